package master

import (
	"context"
	"errors"

	"github.com/halo-fs/halo/proto/journalpb"
	"github.com/halo-fs/halo/ufs"
)

// ufsCopiesUnder lists path and everything under it, path first and each
// folder before its contents, as a delete finds them: after the namespace
// has dropped them nothing names their UFS copies any more.
func (m *Master) ufsCopiesUnder(path string) []*journalpb.FileStatus {
	root, err := m.fsm.GetStatus(nil, path)
	if err != nil {
		return nil
	}
	out := []*journalpb.FileStatus{root}
	if root.IsDirectory {
		_ = m.fsm.ListStatus(nil, path, true, func(listed *journalpb.FileStatus) error {
			// A listing leaves out where each entry lives in the UFS.
			if st, err := m.fsm.GetStatus(nil, listed.Path); err == nil {
				out = append(out, st)
			}
			return nil
		})
	}
	return out
}

// removeUFSCopies removes what a delete dropped from the namespace from
// the UFS, as Alluxio's delete does unless asked for alluxioOnly: the
// files that were persisted (or being persisted), then every folder that
// is empty then, deepest first — folders the persister made for a file
// are not always persisted themselves. A file the namespace never
// persisted, a folder holding UFS files the namespace did not know, and a
// mount point's folder are left. Failures are logged: the namespace delete
// has been acknowledged already, and a UFS copy left behind would come
// back only through a metadata load.
func (m *Master) removeUFSCopies(ctx context.Context, dropped []*journalpb.FileStatus) {
	stores := map[uint64]ufs.Store{}
	defer func() {
		for _, s := range stores {
			s.Close()
		}
	}()
	remove := func(st *journalpb.FileStatus) {
		mt, rel, err := m.ufsPlaceOf(st)
		if err != nil || rel == "" || rel == "/" {
			return
		}
		store, ok := stores[mt.MountId]
		if !ok {
			if store, err = m.cfg.UFS.Open(ctx, mt.UfsUri, m.ufsOptions(mt.Options)); err != nil {
				m.log.Warn("deleted from the namespace, but cannot open its UFS to delete the copy", "path", st.Path, "error", err)
				return
			}
			stores[mt.MountId] = store
		}
		switch err := store.Delete(ctx, rel); {
		case err == nil, errors.Is(err, ufs.ErrNotFound):
		case errors.Is(err, ufs.ErrNotEmpty):
			m.log.Info("kept a UFS folder that holds files the namespace does not know", "path", st.Path, "ufs", st.UfsPath)
		default:
			m.log.Warn("deleted from the namespace, but the UFS copy remains", "path", st.Path, "ufs", st.UfsPath, "error", err)
		}
	}
	for _, st := range dropped {
		if !st.IsDirectory && st.PersistenceState != journalpb.PersistenceState_NOT_PERSISTED {
			remove(st)
		}
	}
	for i := len(dropped) - 1; i >= 0; i-- {
		if st := dropped[i]; st.IsDirectory && !st.MountPoint {
			remove(st)
		}
	}
}
