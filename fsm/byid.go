package fsm

import (
	"slices"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/proto/journalpb"
)

// inodeIndex finds inodes by id, for callers that name a file by id
// (Alluxio's workers), and holds the ids of the pinned files, whose
// blocks workers keep from eviction. Like blockIndex it is derived from
// the tree, never journaled or checkpointed: apply and restore keep it
// current.
type inodeIndex struct {
	byID   map[uint64]*Inode
	pinned map[uint64]struct{}
}

func newInodeIndex() inodeIndex {
	return inodeIndex{byID: map[uint64]*Inode{}, pinned: map[uint64]struct{}{}}
}

// track records n as it is now: linked, and pinned or not.
func (x inodeIndex) track(n *Inode) {
	x.byID[n.id] = n
	if !n.isDir() && n.flags&flagPinned != 0 {
		x.pinned[n.id] = struct{}{}
	} else {
		delete(x.pinned, n.id)
	}
}

// forget drops n's subtree.
func (x inodeIndex) forget(n *Inode) {
	eachInSubtree(n, x.forgetOne)
}

func (x inodeIndex) forgetOne(n *Inode) {
	delete(x.byID, n.id)
	delete(x.pinned, n.id)
}

// PinnedFileIDs returns the ids of the pinned files, in increasing
// order. A pinned directory pins nothing by itself: pinning a folder's
// files is a recursive change.
func (f *FSM) PinnedFileIDs() []int64 {
	f.mu.RLock()
	defer f.mu.RUnlock()
	ids := make([]int64, 0, len(f.index.pinned))
	for id := range f.index.pinned {
		ids = append(ids, int64(id))
	}
	slices.Sort(ids)
	return ids
}

// StatusByID describes the inode with id as GetStatus describes it at
// its current path. It checks no permission: the caller is a worker, as
// in Alluxio, not a user.
func (f *FSM) StatusByID(id uint64) (*journalpb.FileStatus, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	n, ok := f.index.byID[id]
	if !ok {
		return nil, fserr.New(fserr.NotFound, "no file or directory has id %d", id)
	}
	fi := n.info(n.path())
	fi.UfsPath = f.ufsPathLocked(n)
	return fi, nil
}
