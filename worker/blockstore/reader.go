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
	verifiedFile
	store *Store
	entry *blockEntry
	meta  BlockMeta

	closeOnce sync.Once
}

// Meta is the block's length and location when it was opened.
func (r *BlockReader) Meta() BlockMeta { return r.meta }

// Length is the block's length in bytes.
func (r *BlockReader) Length() int64 { return r.meta.Length }

// LocalBlock reads a committed block's data file directly, as a client on
// the worker's host does with the path OpenLocalBlock gave it (Alluxio's
// short-circuit read), verifying each chunk against the .meta file beside
// it. A corrupt chunk is ErrCorruptBlock; the client cannot drop the
// block itself, so it reads through the worker, which does.
type LocalBlock struct {
	verifiedFile
}

// OpenLocalBlock opens the data file at path of block blockID, which the
// master says holds length bytes, with its checksums.
func OpenLocalBlock(path string, blockID, length int64) (*LocalBlock, error) {
	sums, err := readMetaFile(path+metaSuffix, blockID, length)
	if errors.Is(err, errBadMeta) {
		return nil, &Error{Kind: ErrCorruptBlock, BlockID: blockID, Offset: 0, Detail: err.Error()}
	}
	if err != nil {
		return nil, fmt.Errorf("block %d: %w", blockID, err)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("block %d: %w", blockID, err)
	}
	return &LocalBlock{verifiedFile{file: f, sums: sums, id: blockID, path: path}}, nil
}

// Length is the block's length in bytes.
func (b *LocalBlock) Length() int64 { return b.sums.length }

// Close closes the data file.
func (b *LocalBlock) Close() error { return b.file.Close() }

// verifiedFile is a committed block's data file with its checksums; every
// byte it returns passed its chunk's CRC-32C.
type verifiedFile struct {
	file *os.File
	sums blockChecksums
	id   int64
	path string
	// onCorrupt, when set, hears of a chunk that failed its checksum.
	onCorrupt func(*Error)
}

// ReadAt reads as io.ReaderAt does. A read starting at or after the
// block's length is ErrReadPastEnd (not io.EOF: asking for it is the
// caller's mistake); a read that runs over the end returns the bytes up
// to it and io.EOF. Data that fails its checksum is ErrCorruptBlock naming
// the offset of the bad chunk.
func (r *verifiedFile) ReadAt(p []byte, off int64) (int, error) {
	length := r.sums.length
	if off < 0 || off >= length && !(off == 0 && length == 0) {
		return 0, &Error{Kind: ErrReadPastEnd, BlockID: r.id, Offset: off,
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
func (r *verifiedFile) readVerified(p []byte, off int64) error {
	size := r.sums.chunkSize
	end := off + int64(len(p))
	if off%size == 0 && (end%size == 0 || end == r.sums.length) {
		return r.readChunks(p, off)
	}
	first := off / size * size
	last := min((end+size-1)/size*size, r.sums.length)
	buf := make([]byte, last-first)
	if err := r.readChunks(buf, first); err != nil {
		return err
	}
	copy(p, buf[off-first:])
	return nil
}

// readChunks reads whole chunks starting at a chunk boundary and checks
// them.
func (r *verifiedFile) readChunks(p []byte, off int64) error {
	// Each piece is checked right after it is read, while it is still in
	// the processor's cache.
	piece := int(readPieceChunks * r.sums.chunkSize)
	for start := 0; start < len(p); start += piece {
		part := p[start:min(start+piece, len(p))]
		at := off + int64(start)
		if _, err := r.file.ReadAt(part, at); err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("block %d: %w", r.id, err)
		}
		if bad, ok := r.sums.verify(part, at); !ok {
			err := &Error{Kind: ErrCorruptBlock, BlockID: r.id, Offset: bad, Detail: r.path}
			if r.onCorrupt != nil {
				r.onCorrupt(err)
			}
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
