package fsm

import (
	"strings"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/proto/journalpb"
)

// newChild links a new inode under parent and updates the parent's
// modification time.
func (f *FSM) newChild(parent *Inode, name string, dir bool, e *journalpb.Entry, mode uint32) *Inode {
	n := f.linkInode(parent, name, dir, e, mode)
	parent.mtime = e.TimeMs
	return n
}

// linkInode links a new inode under parent, owned by the entry's caller.
// The name is copied so that the inode does not keep the whole path (or
// the decoded entry) it came from alive.
func (f *FSM) linkInode(parent *Inode, name string, dir bool, e *journalpb.Entry, mode uint32) *Inode {
	name = strings.Clone(name)
	n := &Inode{
		id:     f.nextID,
		parent: parent,
		name:   name,
		ctime:  e.TimeMs,
		mtime:  e.TimeMs,
		own:    f.owners.of(callerUser(e.Caller), primaryGroup(e.Caller)),
		mode:   uint16(mode & 0o7777),
	}
	if dir {
		n.flags = flagDirectory | flagCompleted | flagChildrenLoaded
		n.children = &childList{}
		f.dirs++
	}
	f.nextID++
	f.inodes++
	parent.children.insert(n)
	f.index.add(n)
	raiseBelow(n)
	return n
}

// prepareCreate validates creating parts and returns the deepest existing
// directory on the way and the index of the first missing component. It
// changes nothing, so a create that fails leaves no half-made parents.
func (f *FSM) prepareCreate(c *journalpb.Caller, parts []string, recursive bool) (*Inode, int, error) {
	cur := f.root
	for i, name := range parts {
		if !cur.isDir() {
			return nil, 0, fserr.New(fserr.InvalidPath, "cannot create %s: %s is a file", JoinPath(parts), JoinPath(parts[:i]))
		}
		if err := checkPermission(c, cur, permExecute, parts[:i]); err != nil {
			return nil, 0, err
		}
		next := cur.children.get(name)
		if next == nil {
			if i < len(parts)-1 && !recursive {
				return nil, 0, fserr.New(fserr.NotFound, "cannot create %s: parent %s does not exist", JoinPath(parts), JoinPath(parts[:i+1]))
			}
			if err := checkPermission(c, cur, permWrite|permExecute, parts[:i]); err != nil {
				return nil, 0, err
			}
			if err := f.checkWritableMount(parts); err != nil {
				return nil, 0, err
			}
			return cur, i, nil
		}
		cur = next
	}
	return cur, len(parts), nil
}

// createPath makes every missing component of parts; the parents as
// directories, the last one as a file or directory.
func (f *FSM) createPath(e *journalpb.Entry, parts []string, dir bool, mode uint32, recursive bool) (*Inode, bool, error) {
	if len(parts) == 0 {
		if dir {
			return f.root, false, nil
		}
		return nil, false, fserr.New(fserr.InvalidPath, "cannot create a file at /")
	}
	base, missing, err := f.prepareCreate(e.Caller, parts, recursive)
	if err != nil {
		return nil, false, err
	}
	if missing == len(parts) {
		return base, false, nil
	}
	cur := base
	for i := missing; i < len(parts)-1; i++ {
		cur = f.newChild(cur, parts[i], true, e, implicitParentMode(mode))
	}
	return f.newChild(cur, parts[len(parts)-1], dir, e, mode), true, nil
}

// implicitParentMode is the mode of a parent directory made on the way to
// a path created with mode. Like mkdir -p, it takes the permission bits
// (not setuid, setgid or sticky), adds search wherever read is granted, so
// that whoever may read the new file can also reach it (0644 gives 0755),
// and gives the owner write and search so the caller can go on creating.
func implicitParentMode(mode uint32) uint32 {
	m := mode & 0o777
	return m | (m&0o444)>>2 | 0o300
}

func applyCreateFile(f *FSM, e *journalpb.Entry) (uint64, error) {
	op := e.GetCreateFile()
	parts, err := SplitPath(op.Path)
	if err != nil {
		return 0, err
	}
	if op.Overwrite {
		if err := f.removeFileToOverwrite(e, parts); err != nil {
			return 0, err
		}
	}
	n, created, err := f.createPath(e, parts, false, op.Mode, op.Recursive)
	if err != nil {
		return 0, err
	}
	if !created {
		return 0, fserr.New(fserr.AlreadyExists, "%s already exists", op.Path)
	}
	if op.Completed {
		n.flags |= flagCompleted
	}
	if op.Pinned {
		n.flags |= flagPinned
	}
	if op.Persisted {
		n.persist = uint8(journalpb.PersistenceState_PERSISTED)
	}
	if op.TtlMs != 0 {
		n.ext().ttlMs = op.TtlMs
	}
	if op.BlockSizeBytes != 0 {
		n.ext().blockSizeBytes = op.BlockSizeBytes
	}
	f.blocks.track(n)
	f.index.notePinned(n)
	return n.id, nil
}

// removeFileToOverwrite deletes the file at parts, if one is there, for
// a create that replaces it. Anything else there (a directory) is left
// for the create to refuse.
func (f *FSM) removeFileToOverwrite(e *journalpb.Entry, parts []string) error {
	if len(parts) == 0 {
		return nil
	}
	n, err := f.lookup(e.Caller, parts)
	if fserr.CodeOf(err) == fserr.NotFound {
		return nil
	}
	if err != nil {
		return err
	}
	if n.isDir() {
		return nil
	}
	if err := f.checkDeletable(e.Caller, n, parts, false); err != nil {
		return err
	}
	f.unlink(n, e.TimeMs)
	return nil
}

func applyCreateDirectory(f *FSM, e *journalpb.Entry) (uint64, error) {
	op := e.GetCreateDirectory()
	parts, err := SplitPath(op.Path)
	if err != nil {
		return 0, err
	}
	n, created, err := f.createPath(e, parts, true, op.Mode, op.Recursive)
	if err != nil {
		return 0, err
	}
	if !created {
		if !n.isDir() || !op.AllowExists {
			return 0, fserr.New(fserr.AlreadyExists, "%s already exists", op.Path)
		}
	}
	return n.id, nil
}

func applyCompleteFile(f *FSM, e *journalpb.Entry) (uint64, error) {
	op := e.GetCompleteFile()
	parts, err := SplitPath(op.Path)
	if err != nil {
		return 0, err
	}
	n, err := f.lookup(e.Caller, parts)
	if err != nil {
		return 0, err
	}
	switch {
	case n.isDir():
		return 0, fserr.New(fserr.InvalidArgument, "cannot complete %s: it is a directory", op.Path)
	case n.flags&flagCompleted != 0:
		return 0, fserr.New(fserr.FailedPrecondition, "%s is already complete", op.Path)
	case op.Length < 0:
		return 0, fserr.New(fserr.InvalidArgument, "cannot complete %s: negative length %d", op.Path, op.Length)
	}
	if err := checkPermission(e.Caller, n, permWrite, parts); err != nil {
		return 0, err
	}
	n.length = op.Length
	n.blockIDs = append([]uint64(nil), op.BlockIds...)
	n.flags |= flagCompleted
	n.mtime = e.TimeMs
	if op.ToBePersisted && n.persist != uint8(journalpb.PersistenceState_PERSISTED) {
		n.persist = uint8(journalpb.PersistenceState_TO_BE_PERSISTED)
	}
	f.blocks.track(n)
	f.toPersist.track(n)
	return n.id, nil
}
