package fsm

import (
	"slices"

	"github.com/halo-fs/halo/proto/journalpb"
)

// persistQueue holds the files written ASYNC_THROUGH that wait for the
// leader's persister (TO_BE_PERSISTED). Like blockIndex it is derived
// from the inodes, kept by apply and restore alike, never journaled: a new
// leader finds the same queue its predecessor left.
type persistQueue map[*Inode]struct{}

// track records whether n waits to be persisted, as it is now.
func (q persistQueue) track(n *Inode) {
	if !n.isDir() && n.persist == uint8(journalpb.PersistenceState_TO_BE_PERSISTED) {
		q[n] = struct{}{}
		return
	}
	delete(q, n)
}

// ToPersist lists, sorted, the paths of the files waiting to be copied to
// the UFS.
func (f *FSM) ToPersist() []string {
	f.mu.RLock()
	defer f.mu.RUnlock()
	out := make([]string, 0, len(f.toPersist))
	for n := range f.toPersist {
		out = append(out, n.path())
	}
	slices.Sort(out)
	return out
}

// ToPersistIDs lists, sorted, the inode ids of the files waiting to be
// copied to the UFS: their only copy is on the workers until then.
func (f *FSM) ToPersistIDs() []int64 {
	f.mu.RLock()
	defer f.mu.RUnlock()
	ids := make([]int64, 0, len(f.toPersist))
	for n := range f.toPersist {
		ids = append(ids, int64(n.id))
	}
	slices.Sort(ids)
	return ids
}
