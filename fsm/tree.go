package fsm

import (
	"strings"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/proto/journalpb"
)

func applyRename(f *FSM, e *journalpb.Entry) (uint64, error) {
	op := e.GetRename()
	src, err := SplitPath(op.Src)
	if err != nil {
		return 0, err
	}
	dst, err := SplitPath(op.Dst)
	if err != nil {
		return 0, err
	}
	switch {
	case len(src) == 0:
		return 0, fserr.New(fserr.InvalidPath, "cannot rename /")
	case len(dst) == 0:
		return 0, fserr.New(fserr.AlreadyExists, "cannot rename %s to /: / already exists", op.Src)
	case isPrefix(src, dst) && len(dst) > len(src):
		return 0, fserr.New(fserr.InvalidPath, "cannot rename %s into its own subtree %s", op.Src, op.Dst)
	}
	n, err := f.lookup(e.Caller, src)
	if err != nil {
		return 0, err
	}
	srcParent := n.parent
	if err := checkPermission(e.Caller, srcParent, permWrite|permExecute, src[:len(src)-1]); err != nil {
		return 0, err
	}
	dstParent, err := f.lookupParent(e.Caller, dst)
	if err != nil {
		return 0, err
	}
	if isPrefix(src, dst) {
		// dst == src: renaming onto itself.
		return 0, fserr.New(fserr.AlreadyExists, "cannot rename %s to %s: destination already exists", op.Src, op.Dst)
	}
	if dstParent.children.get(dst[len(dst)-1]) != nil {
		return 0, fserr.New(fserr.AlreadyExists, "cannot rename %s to %s: destination already exists", op.Src, op.Dst)
	}
	if err := checkPermission(e.Caller, dstParent, permWrite|permExecute, dst[:len(dst)-1]); err != nil {
		return 0, err
	}
	if n.isMountPoint() || len(f.mounts.under(src)) > 0 {
		return 0, fserr.New(fserr.InvalidArgument, "cannot rename %s: it is or holds a mount point; unmount it first", op.Src)
	}
	srcMount, _ := f.mounts.resolve(src)
	dstMount, _ := f.mounts.resolve(dst)
	if srcMount != dstMount {
		return 0, fserr.New(fserr.InvalidArgument, "cannot rename %s to %s: they are under different mount points", op.Src, op.Dst)
	}
	if err := f.checkWritableMount(dst); err != nil {
		return 0, err
	}
	if err := checkMoveLength(n, src, dst); err != nil {
		return 0, err
	}
	srcParent.children.remove(n.name)
	srcParent.mtime = e.TimeMs
	n.name = strings.Clone(dst[len(dst)-1]) // not a slice of the whole path
	n.parent = dstParent
	dstParent.children.insert(n)
	dstParent.mtime = e.TimeMs
	raiseBelow(n)
	return n.id, nil
}

func applyDelete(f *FSM, e *journalpb.Entry) (uint64, error) {
	op := e.GetDelete()
	parts, err := SplitPath(op.Path)
	if err != nil {
		return 0, err
	}
	if len(parts) == 0 {
		if f.root.children.len() > 0 && !op.Recursive {
			return 0, fserr.New(fserr.DirectoryNotEmpty, "cannot delete /: directory is not empty (and / itself is never deleted)")
		}
		return 0, fserr.New(fserr.InvalidPath, "cannot delete /")
	}
	n, err := f.lookup(e.Caller, parts)
	if err != nil {
		return 0, err
	}
	if err := f.checkDeletable(e.Caller, n, parts, op.Recursive); err != nil {
		return 0, err
	}
	f.unlink(n, e.TimeMs)
	return n.id, nil
}

// checkDeletable checks that the caller may delete n, found at parts,
// and its subtree when recursive.
func (f *FSM) checkDeletable(c *journalpb.Caller, n *Inode, parts []string, recursive bool) error {
	if err := checkPermission(c, n.parent, permWrite|permExecute, parts[:len(parts)-1]); err != nil {
		return err
	}
	if n.isDir() && n.children.len() > 0 && !recursive {
		return fserr.New(fserr.DirectoryNotEmpty, "cannot delete %s: directory is not empty (use recursive delete)", JoinPath(parts))
	}
	if n.isMountPoint() || len(f.mounts.under(parts)) > 0 {
		return fserr.New(fserr.InvalidArgument, "cannot delete %s: it is or holds a mount point; unmount it first", JoinPath(parts))
	}
	if recursive {
		if err := checkEmptyingPermission(c, n); err != nil {
			return err
		}
	}
	return f.checkWritableMount(parts)
}

// checkEmptyingPermission checks that the caller may remove the entries of
// every non-empty directory in n's subtree, as a recursive delete does,
// so that a refusal deep inside removes nothing rather than part.
func checkEmptyingPermission(c *journalpb.Caller, n *Inode) error {
	if c == nil || c.Superuser {
		return nil
	}
	return walkSubtree(n, func(d *Inode) error {
		if d.children.len() == 0 || allowed(c, d, permWrite|permExecute) {
			return nil
		}
		return permissionError(c, d, permWrite|permExecute, d.path())
	})
}

// unlink removes n and its subtree, which one walk drops from the
// indexes and the counts.
func (f *FSM) unlink(n *Inode, timeMs int64) {
	eachInSubtree(n, func(c *Inode) {
		f.blocks.forgetFile(c)
		delete(f.toPersist, c)
		f.index.remove(c)
		f.inodes--
		if c.isDir() {
			f.dirs--
		}
	})
	n.parent.children.remove(n.name)
	n.parent.mtime = timeMs
	n.parent = nil
}

// checkWritableMount refuses changes under a read-only mount.
func (f *FSM) checkWritableMount(parts []string) error {
	if m, _ := f.mounts.resolve(parts); m != nil && m.readOnly {
		return fserr.New(fserr.PermissionDenied, "cannot change %s: mount point %s is read-only", JoinPath(parts), JoinPath(m.parts))
	}
	return nil
}
