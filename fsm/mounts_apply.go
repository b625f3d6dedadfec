package fsm

import (
	"strings"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/proto/journalpb"
)

func applyAddMountPoint(f *FSM, e *journalpb.Entry) (uint64, error) {
	op := e.GetAddMountPoint()
	parts, err := SplitPath(op.Path)
	if err != nil {
		return 0, err
	}
	if op.UfsUri == "" {
		return 0, fserr.New(fserr.InvalidArgument, "cannot mount at %s: empty UFS URI", op.Path)
	}
	if !e.GetCaller().GetSuperuser() && e.Caller != nil {
		return 0, fserr.New(fserr.PermissionDenied, "permission denied: only a superuser can mount (user=%s)", e.Caller.User)
	}
	// In id order: the error names the first overlap, and that message is
	// kept in the operation table, so it must be the same on every replica.
	for _, m := range f.mounts.sorted() {
		if sameOrNestedURI(m.ufsURI, op.UfsUri) && len(m.parts) > 0 && len(parts) > 0 {
			return 0, fserr.New(fserr.InvalidArgument, "cannot mount %s at %s: it overlaps %s mounted at %s", op.UfsUri, op.Path, m.ufsURI, JoinPath(m.parts))
		}
	}
	m := &mount{id: f.mounts.nextID, parts: parts, ufsURI: op.UfsUri, readOnly: op.ReadOnly, shared: op.Shared, options: copyOptions(op.Options)}
	if len(parts) == 0 {
		if f.root.isMountPoint() {
			return 0, fserr.New(fserr.AlreadyExists, "/ is already mounted")
		}
		f.root.flags |= flagMountPoint
		f.root.flags &^= flagChildrenLoaded
		f.root.ext().mountID = m.id
		f.root.persist = uint8(journalpb.PersistenceState_PERSISTED)
		f.mounts.add(m)
		return f.root.id, nil
	}
	parent, err := f.lookupParent(e.Caller, parts)
	if err != nil {
		return 0, err
	}
	if parent.children.get(parts[len(parts)-1]) != nil {
		return 0, fserr.New(fserr.AlreadyExists, "cannot mount at %s: path already exists", op.Path)
	}
	if outer, _ := f.mounts.resolve(parts); outer != nil && len(outer.parts) > 0 {
		return 0, fserr.New(fserr.InvalidArgument, "cannot mount at %s: it is inside mount point %s", op.Path, JoinPath(outer.parts))
	}
	n := f.newChild(parent, parts[len(parts)-1], true, e, op.Mode)
	if op.Owner != "" {
		n.own = f.owners.of(op.Owner, n.group())
	}
	if op.Group != "" {
		n.own = f.owners.of(n.owner(), op.Group)
	}
	n.flags |= flagMountPoint
	n.flags &^= flagChildrenLoaded
	n.ext().mountID = m.id
	n.persist = uint8(journalpb.PersistenceState_PERSISTED)
	f.mounts.add(m)
	return n.id, nil
}

// sameOrNestedURI reports whether one UFS URI is the other or inside it.
func sameOrNestedURI(a, b string) bool {
	a, b = strings.TrimSuffix(a, "/")+"/", strings.TrimSuffix(b, "/")+"/"
	return strings.HasPrefix(a, b) || strings.HasPrefix(b, a)
}

func copyOptions(in map[string]string) map[string]string {
	if len(in) == 0 {
		return nil
	}
	out := make(map[string]string, len(in))
	for k, v := range in {
		out[k] = v
	}
	return out
}

func applyDeleteMountPoint(f *FSM, e *journalpb.Entry) (uint64, error) {
	op := e.GetDeleteMountPoint()
	parts, err := SplitPath(op.Path)
	if err != nil {
		return 0, err
	}
	if len(parts) == 0 {
		return 0, fserr.New(fserr.InvalidPath, "cannot unmount /")
	}
	if !e.GetCaller().GetSuperuser() && e.Caller != nil {
		return 0, fserr.New(fserr.PermissionDenied, "permission denied: only a superuser can unmount (user=%s)", e.Caller.User)
	}
	n, err := f.lookup(e.Caller, parts)
	if err != nil {
		return 0, err
	}
	if !n.isMountPoint() {
		return 0, fserr.New(fserr.InvalidArgument, "cannot unmount %s: it is not a mount point", op.Path)
	}
	delete(f.mounts.byID, n.mountID())
	f.unlink(n, e.TimeMs)
	return n.id, nil
}

func applyLoadMetadata(f *FSM, e *journalpb.Entry) (uint64, error) {
	op := e.GetLoadMetadata()
	parts, err := SplitPath(op.Path)
	if err != nil {
		return 0, err
	}
	base, err := f.lookup(e.Caller, parts)
	if err != nil {
		return 0, err
	}
	if !base.isDir() {
		return 0, fserr.New(fserr.InvalidArgument, "cannot load metadata into %s: it is a file", op.Path)
	}
	if err := checkPermission(e.Caller, base, permWrite|permExecute, parts); err != nil {
		return 0, err
	}
	// Validate every child path before changing anything.
	rels := make([][]string, len(op.Children))
	basePath := JoinPath(parts)
	for i, c := range op.Children {
		rel, err := SplitPath("/" + c.RelPath)
		if err != nil || len(rel) == 0 {
			return 0, fserr.New(fserr.InvalidPath, "cannot load metadata into %s: bad child path %q", op.Path, c.RelPath)
		}
		if full := joinChild(basePath, strings.Join(rel, "/")); len(full) > MaxPathBytes {
			return 0, fserr.New(fserr.InvalidPath, "cannot load metadata into %s: child path %q would be %d bytes, beyond the limit of %d",
				op.Path, c.RelPath, len(full), MaxPathBytes)
		}
		rels[i] = rel
	}
	var loaded uint64
	for i, c := range op.Children {
		dir := base
		rel := rels[i]
		ok := true
		for _, name := range rel[:len(rel)-1] {
			next := dir.children.get(name)
			// A listing names parents first; a missing one means skip. A
			// mount point below base holds another UFS, so what the listing
			// has under that name is not in it.
			if next == nil || !next.isDir() || next.isMountPoint() {
				ok = false
				break
			}
			dir = next
		}
		if !ok {
			continue
		}
		name := rel[len(rel)-1]
		if dir.children.get(name) != nil {
			continue
		}
		// Loading metadata changes no directory: parents keep their times.
		n := f.linkInode(dir, name, c.IsDirectory, e, c.Mode)
		n.own = f.owners.of(c.Owner, c.Group)
		n.persist = uint8(journalpb.PersistenceState_PERSISTED)
		n.flags |= flagCompleted
		n.flags &^= flagChildrenLoaded
		if !c.IsDirectory {
			n.length = c.Length
		}
		if c.MtimeMs != 0 {
			n.mtime = c.MtimeMs
		}
		loaded++
	}
	if op.WholeListing {
		base.flags |= flagChildrenLoaded
	}
	return loaded, nil
}
