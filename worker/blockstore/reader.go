package blockstore

import "errors"

// BlockReader reads a committed block, verifying chunk checksums. It is
// safe for concurrent ReadAt calls.
type BlockReader struct {
	store *Store
	meta  BlockMeta
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
	return 0, errors.New("blockstore: BlockReader.ReadAt not implemented")
}

// Close releases the block for eviction and moves.
func (r *BlockReader) Close() error {
	return errors.New("blockstore: BlockReader.Close not implemented")
}
