package fsm

import "github.com/halo-fs/halo/fserr"

// ChildrenLoaded says whether the directory at path has its UFS listing
// in the namespace (a whole-listing metadata load, or Halo made it), so
// that a listing under Alluxio's metadata load type ONCE need not list
// the UFS; false for a file or a missing path. It checks no permission:
// the load that follows does.
func (f *FSM) ChildrenLoaded(path string) bool {
	parts, err := SplitPath(path)
	if err != nil {
		return false
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	n, err := f.lookup(nil, parts)
	return err == nil && n.isDir() && n.flags&flagChildrenLoaded != 0
}

// MissingBelow splits a path the namespace lacks into its deepest
// existing directory and the names below it, for a metadata load on
// first access. NotFound when a file stands in the way: nothing can be
// loaded below a file; AlreadyExists when path exists.
func (f *FSM) MissingBelow(path string) (dir string, missing []string, err error) {
	parts, err := SplitPath(path)
	if err != nil {
		return "", nil, err
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	cur := f.root
	for i, name := range parts {
		if !cur.isDir() {
			return "", nil, fserr.New(fserr.NotFound, "path %s does not exist: %s is a file", path, JoinPath(parts[:i]))
		}
		next := cur.children.get(name)
		if next == nil {
			return JoinPath(parts[:i]), parts[i:], nil
		}
		cur = next
	}
	return "", nil, fserr.New(fserr.AlreadyExists, "path %s exists", path)
}
