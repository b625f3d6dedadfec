package blockstore

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
)

// TempBlock is a block being written. It is invisible to readers until
// Commit. Its methods may be called from several goroutines (the worker's
// stream and a session cleanup), but writes are meant to come from one.
type TempBlock struct {
	store     *Store
	sessionID int64
	blockID   int64

	mu       sync.Mutex
	dir      *storageDir
	file     *os.File
	size     int64 // bytes written through Write
	reserved int64
	summer   chunkSummer
	finished bool // committed or aborted
}

// ID is the block id.
func (b *TempBlock) ID() int64 { return b.blockID }

// Path is the temp file, for a client on the same host that writes the
// block itself (Alluxio's CreateLocalBlock); it must Reserve before it
// writes past the reservation.
func (b *TempBlock) Path() string { return b.dir.tmpDataPath(b.blockID) }

// Tier is the alias of the tier the block is being written in.
func (b *TempBlock) Tier() string { return b.dir.alias }

// Size is the number of bytes written through Write so far.
func (b *TempBlock) Size() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.size
}

// create reserves the first space and creates the temp file, trying the
// tier's other folders when one turns out to be gone.
func (b *TempBlock) create(tier int, reserve int64) error {
	s := b.store
	for range s.tiers[tier] {
		d, err := s.reserve(tier, nil, reserve, b.blockID)
		if err != nil {
			return err
		}
		f, err := os.OpenFile(d.tmpDataPath(b.blockID), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err == nil {
			b.dir, b.file, b.reserved = d, f, reserve
			return nil
		}
		s.release(d, reserve)
		if !s.loseDirIfGone(d, err) {
			return fmt.Errorf("block %d: %w", b.blockID, err)
		}
	}
	return blockError(ErrNoSpace, b.blockID, fmt.Sprintf("no usable folder in tier %s", s.cfg.Tiers[tier].Alias))
}

// Reserve makes room for n more bytes beyond the current reservation,
// evicting if needed. ErrNoSpace when it cannot.
func (b *TempBlock) Reserve(n int64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.reserveLocked(n)
}

func (b *TempBlock) reserveLocked(n int64) error {
	if b.finished {
		return b.errFinished()
	}
	if n < 0 {
		return blockError(ErrInvalidRequest, b.blockID, fmt.Sprintf("negative reservation %d", n))
	}
	if _, err := b.store.reserve(b.dir.tier, b.dir, n, b.blockID); err != nil {
		return err
	}
	b.reserved += n
	return nil
}

// Write appends p, reserving more space when p goes beyond the
// reservation. On ErrNoSpace nothing of p was written.
func (b *TempBlock) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.finished {
		return 0, b.errFinished()
	}
	if over := b.size + int64(len(p)) - b.reserved; over > 0 {
		if err := b.reserveLocked(over); err != nil {
			return 0, err
		}
	}
	n, err := b.file.Write(p)
	b.summer.write(p[:n])
	b.size += int64(n)
	if errors.Is(err, syscall.ENOSPC) {
		return n, blockError(ErrNoSpace, b.blockID, fmt.Sprintf("%s is full below its quota: %v", b.dir.path, err))
	}
	return n, err
}

// Commit makes the block visible: on SSD and HDD the data is fsynced, the
// checksums are written beside it, and the data file is renamed into place
// so that readers and a rescan see all of the block or none of it. Unused
// reservation is released. It returns the committed block's metadata.
func (b *TempBlock) Commit() (BlockMeta, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.finished {
		return BlockMeta{}, b.errFinished()
	}
	sums, err := b.finishData()
	if err == nil {
		err = installBlock(b.dir, b.dir.tmpDataPath(b.blockID), sums)
	}
	if err != nil {
		b.abortLocked()
		return BlockMeta{}, err
	}
	b.finished = true
	s := b.store
	s.mu.Lock()
	delete(s.temps, b.blockID)
	b.dir.reserved -= b.reserved
	e := &blockEntry{id: b.blockID, length: sums.length, dir: b.dir}
	s.addLocked(e)
	s.touchLocked(e)
	meta := e.meta()
	s.mu.Unlock()
	s.signalEvictor()
	return meta, nil
}

// finishData closes the data file, fsynced unless in memory, and returns
// its checksums. Data a local client wrote into Path itself is read back
// to checksum it, after reserving what it used beyond the reservation.
func (b *TempBlock) finishData() (blockChecksums, error) {
	info, err := b.file.Stat()
	if err != nil {
		return blockChecksums{}, err
	}
	length := info.Size()
	if over := length - b.reserved; over > 0 {
		if err := b.reserveLocked(over); err != nil {
			return blockChecksums{}, err
		}
	}
	if !b.dir.isMemory() {
		err = b.file.Sync()
	}
	if cerr := b.file.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return blockChecksums{}, fmt.Errorf("block %d: %w", b.blockID, err)
	}
	sums := blockChecksums{blockID: b.blockID, length: length, chunkSize: chunkSize}
	if length == b.size {
		sums.sums = b.summer.finish()
		return sums, nil
	}
	sums.sums, err = checksumFile(b.dir.tmpDataPath(b.blockID))
	return sums, err
}

func checksumFile(path string) ([]uint32, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var summer chunkSummer
	buf := make([]byte, copyChunks*chunkSize)
	for {
		n, err := f.Read(buf)
		summer.write(buf[:n])
		if errors.Is(err, io.EOF) {
			return summer.finish(), nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// Abort deletes the temp block and releases its space. Aborting a
// committed or aborted block does nothing.
func (b *TempBlock) Abort() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.finished {
		return nil
	}
	return b.abortLocked()
}

func (b *TempBlock) abortLocked() error {
	b.finished = true
	_ = b.file.Close()
	err := os.Remove(b.dir.tmpDataPath(b.blockID))
	if errors.Is(err, os.ErrNotExist) {
		err = nil
	}
	s := b.store
	s.mu.Lock()
	delete(s.temps, b.blockID)
	b.dir.reserved -= b.reserved
	s.mu.Unlock()
	return err
}

func (b *TempBlock) errFinished() error {
	return blockError(ErrClosed, b.blockID, "the temp block was committed or aborted")
}
