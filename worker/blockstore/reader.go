package blockstore

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
)

// readPieceChunks is how many checksum chunks a read takes from the file
// at a time.
const readPieceChunks = 4

// BlockReader reads a committed block, verifying chunk checksums. It is
// safe for concurrent ReadAt calls.
type BlockReader struct {
	store *Store
	entry *blockEntry
	file  *os.File
	sums  blockChecksums
	meta  BlockMeta

	closeOnce sync.Once
}

// Meta is the block's length and location when it was opened.
func (r *BlockReader) Meta() BlockMeta { return r.meta }

// Length is the block's length in bytes.
func (r *BlockReader) Length() int64 { return r.meta.Length }

// ReadAt reads as io.ReaderAt does. A read starting at or after Length is
// ErrReadPastEnd (not io.EOF: asking for it is the caller's mistake); a
// read that runs over the end returns the bytes up to it and io.EOF. Data
// that fails its checksum is ErrCorruptBlock naming the offset of the bad
// chunk, and the block is dropped from the store.
func (r *BlockReader) ReadAt(p []byte, off int64) (int, error) {
	length := r.meta.Length
	if off < 0 || off >= length && !(off == 0 && length == 0) {
		return 0, &Error{Kind: ErrReadPastEnd, BlockID: r.meta.ID, Offset: off,
			Detail: fmt.Sprintf("the block has %d bytes", length)}
	}
	end := min(off+int64(len(p)), length)
	var err error
	if end < off+int64(len(p)) {
		err = io.EOF
	}
	if end == off {
		return 0, err
	}
	if verr := r.readVerified(p[:end-off], off); verr != nil {
		return 0, verr
	}
	return int(end - off), err
}

// readVerified fills p from off with verified data. Whole aligned chunks
// are read straight into p; a read that starts or ends inside a chunk goes
// through a buffer covering the chunks it touches.
func (r *BlockReader) readVerified(p []byte, off int64) error {
	size := r.sums.chunkSize
	end := off + int64(len(p))
	if off%size == 0 && (end%size == 0 || end == r.meta.Length) {
		return r.readChunks(p, off)
	}
	first := off / size * size
	last := min((end+size-1)/size*size, r.meta.Length)
	buf := make([]byte, last-first)
	if err := r.readChunks(buf, first); err != nil {
		return err
	}
	copy(p, buf[off-first:])
	return nil
}

// readChunks reads whole chunks starting at a chunk boundary and checks
// them.
func (r *BlockReader) readChunks(p []byte, off int64) error {
	// Each piece is checked right after it is read, while it is still in
	// the processor's cache.
	piece := int(readPieceChunks * r.sums.chunkSize)
	for start := 0; start < len(p); start += piece {
		part := p[start:min(start+piece, len(p))]
		at := off + int64(start)
		if _, err := r.file.ReadAt(part, at); err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("block %d: %w", r.meta.ID, err)
		}
		if bad, ok := r.sums.verify(part, at); !ok {
			err := &Error{Kind: ErrCorruptBlock, BlockID: r.meta.ID, Offset: bad, Detail: r.meta.Path}
			r.store.dropCorrupt(r.entry, r.meta.Path, err)
			return err
		}
	}
	return nil
}

// Close releases the block for eviction.
func (r *BlockReader) Close() error {
	var err error
	r.closeOnce.Do(func() {
		err = r.file.Close()
		r.store.mu.Lock()
		r.entry.readers--
		r.store.mu.Unlock()
	})
	return err
}
