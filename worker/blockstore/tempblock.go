package blockstore

import "errors"

// TempBlock is a block being written. Only one goroutine may use it at a
// time. It is invisible to readers until Commit.
type TempBlock struct {
	store     *Store
	sessionID int64
	blockID   int64
}

// ID is the block id.
func (b *TempBlock) ID() int64 { return b.blockID }

// Path is the temp file, for a client on the same host that writes the
// block itself (Alluxio's CreateLocalBlock); it must Reserve before it
// writes past the reservation.
func (b *TempBlock) Path() string { return "" }

// Tier is the alias of the tier the block is being written in.
func (b *TempBlock) Tier() string { return "" }

// Size is the number of bytes written so far.
func (b *TempBlock) Size() int64 { return 0 }

// Reserve makes room for n more bytes beyond the current reservation,
// evicting if needed. ErrNoSpace when it cannot.
func (b *TempBlock) Reserve(n int64) error {
	return errors.New("blockstore: TempBlock.Reserve not implemented")
}

// Write appends p, reserving more space when p goes beyond the
// reservation. On ErrNoSpace nothing of p was written.
func (b *TempBlock) Write(p []byte) (int, error) {
	return 0, errors.New("blockstore: TempBlock.Write not implemented")
}

// Commit makes the block visible: on SSD and HDD the data is fsynced, the
// checksums are written beside it, and the data file is renamed into place
// so that readers and a rescan see all of the block or none of it. Unused
// reservation is released. It returns the committed block's metadata.
func (b *TempBlock) Commit() (BlockMeta, error) {
	return BlockMeta{}, errors.New("blockstore: TempBlock.Commit not implemented")
}

// Abort deletes the temp block and releases its space. Aborting a
// committed or aborted block does nothing.
func (b *TempBlock) Abort() error {
	return errors.New("blockstore: TempBlock.Abort not implemented")
}
