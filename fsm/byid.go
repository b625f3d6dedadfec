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
//
// It is a hash table that chains inodes through their own nextByID
// rather than a Go map: a map of every inode costs about 38 bytes an
// inode, this table 8 to 16 (one slot each, at most twice as many slots as
// inodes), and the field takes room the inode's allocation had spare.
type inodeIndex struct {
	slots []*Inode // len is a power of two
	shift uint     // 64 minus log2(len(slots))
	count int
	// rehashed counts the inodes moved by growing the table, which a
	// restore, knowing its size, avoids.
	rehashed int
	// pinned holds the pinned files, by id.
	pinned map[uint64]struct{}
}

// minIndexSlots is the table's size in a new namespace.
const minIndexSlots = 1 << 10

func newInodeIndex() *inodeIndex {
	x := &inodeIndex{pinned: map[uint64]struct{}{}}
	x.resize(minIndexSlots)
	return x
}

// slot is where the chain of id's inodes starts. Ids are handed out in
// sequence; Fibonacci hashing spreads them over the table's high bits.
func (x *inodeIndex) slot(id uint64) **Inode {
	return &x.slots[id*0x9E3779B97F4A7C15>>x.shift]
}

func (x *inodeIndex) resize(slots int) {
	old := x.slots
	x.slots = make([]*Inode, slots)
	x.shift = 64
	for n := slots; n > 1; n >>= 1 {
		x.shift--
	}
	for _, head := range old {
		for n := head; n != nil; {
			next := n.nextByID
			s := x.slot(n.id)
			n.nextByID, *s = *s, n
			n = next
			x.rehashed++
		}
	}
}

// reserve sizes the table for n inodes, so that adding them rehashes
// nothing.
func (x *inodeIndex) reserve(n int) {
	slots := len(x.slots)
	for slots < n {
		slots *= 2
	}
	if slots > len(x.slots) {
		x.resize(slots)
	}
}

// add indexes a newly linked inode, which must not be indexed yet.
func (x *inodeIndex) add(n *Inode) {
	if x.count >= len(x.slots) {
		x.resize(2 * len(x.slots))
	}
	s := x.slot(n.id)
	n.nextByID, *s = *s, n
	x.count++
	x.notePinned(n)
}

// notePinned records whether n is a pinned file, as it is now.
func (x *inodeIndex) notePinned(n *Inode) {
	if !n.isDir() && n.flags&flagPinned != 0 {
		x.pinned[n.id] = struct{}{}
	} else {
		delete(x.pinned, n.id)
	}
}

func (x *inodeIndex) find(id uint64) *Inode {
	for n := *x.slot(id); n != nil; n = n.nextByID {
		if n.id == id {
			return n
		}
	}
	return nil
}

// remove drops inode n from the index.
func (x *inodeIndex) remove(n *Inode) {
	for p := x.slot(n.id); *p != nil; p = &(*p).nextByID {
		if *p == n {
			*p, n.nextByID = n.nextByID, nil
			x.count--
			break
		}
	}
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
	n := f.index.find(id)
	if n == nil {
		return nil, fserr.New(fserr.NotFound, "no file or directory has id %d", id)
	}
	fi := n.info(n.path())
	fi.UfsPath, fi.MountId = f.ufsPathLocked(n)
	return fi, nil
}
