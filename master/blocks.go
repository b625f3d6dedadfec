package master

import (
	"context"
	"sync"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/proto/journalpb"
)

// maxBlocksPerFile is how many blocks one file's ids can number.
const maxBlocksPerFile = 1 << fsm.BlockSequenceBits

// blockAllocations remembers, on the leader, how many block ids each file
// being written was handed. It is soft state: a new leader finds the next
// id from the blocks workers committed (see nextBlock), and the ids need
// no journal entry because the namespace knows every block of a file
// being written by its container (fsm.BlockSequenceBits).
type blockAllocations struct {
	mu   sync.Mutex
	next map[uint64]uint64 // file id to its next block's sequence number
}

func (a *blockAllocations) take(file uint64, firstFree func() uint64) uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.next == nil {
		a.next = map[uint64]uint64{}
	}
	seq, ok := a.next[file]
	if !ok {
		seq = firstFree()
	}
	a.next[file] = seq + 1
	return seq
}

// handedOut is how many block ids this leader handed out for file; ok is
// false when it handed out none (another leader may have).
func (a *blockAllocations) handedOut(file uint64) (n uint64, ok bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	n, ok = a.next[file]
	return n, ok
}

func (a *blockAllocations) forget(file uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.next, file)
}

func blockID(file, seq uint64) int64 { return int64(file<<fsm.BlockSequenceBits | seq) }

// NewBlockID hands out the id of the next block of the file being written
// at path, as Alluxio's GetNewBlockIdForFile.
func (m *Master) NewBlockID(ctx context.Context, path string) (int64, error) {
	st, err := m.writableFile(ctx, path)
	if err != nil {
		return 0, err
	}
	seq := m.allocations.take(st.Id, func() uint64 {
		n, _ := m.committedBlocks(st.Id)
		return uint64(len(n))
	})
	if seq >= maxBlocksPerFile {
		return 0, fserr.New(fserr.ResourceExhausted, "%s cannot have more than %d blocks: write it with a larger block size", path, maxBlocksPerFile)
	}
	return blockID(st.Id, seq), nil
}

// writableFile is the file at path if it is still being written.
func (m *Master) writableFile(ctx context.Context, path string) (*journalpb.FileStatus, error) {
	st, err := m.GetStatus(ctx, path)
	if err != nil {
		return nil, err
	}
	if st.IsDirectory {
		return nil, fserr.New(fserr.InvalidArgument, "%s is a directory, not a file being written", path)
	}
	if st.Completed {
		return nil, fserr.New(fserr.FailedPrecondition, "%s is already complete: its blocks cannot change", path)
	}
	return st, nil
}

// committedBlocks lists the lengths of file's blocks that workers
// committed, in order, up to the first block no worker holds.
func (m *Master) committedBlocks(file uint64) ([]int64, error) {
	var lengths []int64
	for seq := uint64(0); seq < maxBlocksPerFile; seq++ {
		b, ok := m.workers.Block(blockID(file, seq))
		if !ok {
			break
		}
		if b.Length < 0 {
			return nil, fserr.New(fserr.Unavailable, "block %d is held by a worker whose commit this master has not received yet: retry", b.ID)
		}
		lengths = append(lengths, b.Length)
	}
	return lengths, nil
}

// WrittenFileOptions completes a file whose blocks workers hold.
type WrittenFileOptions struct {
	OpID *OpID
	Path string
	// UfsLength is the length of the file's UFS copy or, from Halo's
	// client, the length it wrote; nil when the client names none.
	UfsLength *int64
	// AsyncPersist: written ASYNC_THROUGH, the file is to be copied to
	// the UFS by the leader's persister.
	AsyncPersist bool
}

// CompleteWrittenFile completes a file written through workers: its
// blocks are the ones workers committed, its length theirs (or the UFS
// copy's when it has no cached block), checked against what the client
// says it wrote, so that a write whose blocks did not all arrive never
// appears complete.
func (m *Master) CompleteWrittenFile(ctx context.Context, o WrittenFileOptions) error {
	if err := checkPaths("path", o.Path); err != nil {
		return err
	}
	st, err := m.writableFile(ctx, o.Path)
	if fserr.CodeOf(err) == fserr.FailedPrecondition && o.OpID != nil {
		// A retry whose first attempt completed the file: the
		// exactly-once table answers it with the first result.
		return m.CompleteFile(ctx, CompleteFileOptions{OpID: o.OpID, Path: o.Path})
	}
	if err != nil {
		return err
	}
	ids, length, err := m.fileLayout(st, o.UfsLength)
	if err != nil {
		return err
	}
	err = m.CompleteFile(ctx, CompleteFileOptions{OpID: o.OpID, Path: o.Path, Length: length, BlockIDs: ids, ToBePersisted: o.AsyncPersist && len(ids) > 0})
	if err == nil {
		m.allocations.forget(st.Id)
	}
	return err
}

// fileLayout is the block list and length of the file st being completed.
func (m *Master) fileLayout(st *journalpb.FileStatus, ufsLength *int64) ([]uint64, int64, error) {
	lengths, err := m.committedBlocks(st.Id)
	if err != nil {
		return nil, 0, err
	}
	if handed, ok := m.allocations.handedOut(st.Id); ok && uint64(len(lengths)) < handed {
		return nil, 0, fserr.New(fserr.FailedPrecondition, "cannot complete %s: %d blocks were handed out for it but workers hold only the first %d; the write did not finish", st.Path, handed, len(lengths))
	}
	if len(lengths) == 0 {
		if ufsLength == nil {
			return nil, 0, nil
		}
		if *ufsLength < 0 {
			return nil, 0, fserr.New(fserr.InvalidArgument, "cannot complete %s: negative length %d", st.Path, *ufsLength)
		}
		return ufsBlocks(st, *ufsLength), *ufsLength, nil
	}
	ids := make([]uint64, len(lengths))
	var total int64
	for i, n := range lengths {
		if i < len(lengths)-1 && st.BlockSizeBytes > 0 && n != st.BlockSizeBytes {
			return nil, 0, fserr.New(fserr.FailedPrecondition, "cannot complete %s: block %d has %d bytes, not the block size %d", st.Path, i, n, st.BlockSizeBytes)
		}
		ids[i] = uint64(blockID(st.Id, uint64(i)))
		total += n
	}
	if ufsLength != nil && *ufsLength != total {
		return nil, 0, fserr.New(fserr.FailedPrecondition, "cannot complete %s: %d bytes were written but workers hold %d; the write did not finish", st.Path, *ufsLength, total)
	}
	return ids, total, nil
}

// ufsBlocks names the blocks of a file written to the UFS only
// (THROUGH), as Alluxio does: a worker that reads one from the UFS caches
// it under that id, and the namespace knows it.
func ufsBlocks(st *journalpb.FileStatus, length int64) []uint64 {
	if st.PersistenceState != journalpb.PersistenceState_PERSISTED || length == 0 {
		return nil
	}
	n := int64(1)
	if st.BlockSizeBytes > 0 {
		n = (length + st.BlockSizeBytes - 1) / st.BlockSizeBytes
	}
	if n > maxBlocksPerFile {
		return nil
	}
	ids := make([]uint64, n)
	for i := range ids {
		ids[i] = uint64(blockID(st.Id, uint64(i)))
	}
	return ids
}

// blocksUnder lists the blocks of the files at or under path, for the
// workers to drop once the path is deleted. It reads the namespace as
// applied here, without a read barrier: the delete itself is the
// linearized step, and with no live worker there is nothing to drop.
func (m *Master) blocksUnder(path string) []int64 {
	if m.workers.Summary().Live == 0 {
		return nil
	}
	var blocks []int64
	err := m.fsm.ListStatus(nil, path, true, func(st *journalpb.FileStatus) error {
		for _, b := range st.BlockIds {
			blocks = append(blocks, int64(b))
		}
		return nil
	})
	if err != nil {
		return nil
	}
	return blocks
}

// FreeOptions is a request to drop the cached copies of path's files.
type FreeOptions struct {
	Path string
	// Forced also frees pinned files.
	Forced bool
}

// Free drops the workers' copies of the blocks of the files at or under
// path. Only persisted files are freed: a file only cached would lose its
// data, so freeing one is refused, as in Alluxio.
func (m *Master) Free(ctx context.Context, o FreeOptions) (int, error) {
	if err := checkPaths("path", o.Path); err != nil {
		return 0, err
	}
	var blocks []int64
	check := func(page []*journalpb.FileStatus) error {
		for _, st := range page {
			if st.IsDirectory || len(st.BlockIds) == 0 {
				continue
			}
			if st.PersistenceState != journalpb.PersistenceState_PERSISTED {
				return fserr.New(fserr.FailedPrecondition, "cannot free %s: it is not persisted, and freeing it would lose its data", st.Path)
			}
			if st.Pinned && !o.Forced {
				return fserr.New(fserr.FailedPrecondition, "cannot free %s: it is pinned (free -f frees it anyway)", st.Path)
			}
			for _, b := range st.BlockIds {
				blocks = append(blocks, int64(b))
			}
		}
		return nil
	}
	st, err := m.GetStatus(ctx, o.Path)
	if err != nil {
		return 0, err
	}
	if st.IsDirectory {
		err = m.List(ctx, ListOptions{Path: o.Path, Recursive: true}, check)
	} else {
		err = check([]*journalpb.FileStatus{st})
	}
	if err != nil {
		return 0, err
	}
	return m.workers.Free(blocks), nil
}
