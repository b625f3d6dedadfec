package fsm

import "github.com/halo-fs/halo/proto/journalpb"

// BlockSequenceBits is how many low bits of a block id number the block
// within its file, as in Alluxio: a block id is the id of the file being
// written (its container) shifted left by this many bits, plus the
// block's sequence number. A block a worker holds for a file still being
// written is therefore known before the file's completion lists it.
const BlockSequenceBits = 24

// BlockLength is the length of block i of a complete file: every block
// but the last is full; a file without a block size is one block.
func BlockLength(st *journalpb.FileStatus, i int) int64 {
	if st.BlockSizeBytes <= 0 {
		return st.Length
	}
	return max(0, min(st.BlockSizeBytes, st.Length-int64(i)*st.BlockSizeBytes))
}

// blockIndex answers which block ids the namespace knows. It is derived
// from the inodes, never journaled or checkpointed: apply and restore
// keep it current, so every replica holds the same index.
type blockIndex struct {
	// completed holds the blocks that completed files list.
	completed map[uint64]struct{}
	// writing holds the ids of files not yet complete: the containers
	// of blocks being written.
	writing map[uint64]struct{}
}

func newBlockIndex() blockIndex {
	return blockIndex{completed: map[uint64]struct{}{}, writing: map[uint64]struct{}{}}
}

// track records file n as it is now: being written, or complete with its
// blocks.
func (x blockIndex) track(n *Inode) {
	if n.isDir() {
		return
	}
	if n.flags&flagCompleted == 0 {
		x.writing[n.id] = struct{}{}
		return
	}
	delete(x.writing, n.id)
	for _, b := range n.blockIDs {
		x.completed[b] = struct{}{}
	}
}

// forgetFile drops inode n: a file's blocks are known no more.
func (x blockIndex) forgetFile(n *Inode) {
	if n.isDir() {
		return
	}
	delete(x.writing, n.id)
	for _, b := range n.blockIDs {
		delete(x.completed, b)
	}
}

func (x blockIndex) knows(block uint64) bool {
	if _, ok := x.completed[block]; ok {
		return true
	}
	_, ok := x.writing[block>>BlockSequenceBits]
	return ok
}

// UnknownBlocks returns, in their order, the ids in blocks that no file
// of the namespace lists or is writing: blocks a worker may delete. Only
// a master that has applied every committed entry may act on the answer;
// a replica behind the journal does not know blocks written since.
func (f *FSM) UnknownBlocks(blocks []int64) []int64 {
	f.mu.RLock()
	defer f.mu.RUnlock()
	var unknown []int64
	for _, b := range blocks {
		if b < 0 || !f.blocks.knows(uint64(b)) {
			unknown = append(unknown, b)
		}
	}
	return unknown
}
