package blockstore

import (
	"errors"
	"sync"

	"github.com/hashicorp/go-hclog"
)

// BlockLocation is where a committed block lives, in the terms the master
// keeps: the tier alias and medium, plus the folder for local readers.
type BlockLocation struct {
	Tier   string
	Medium string
	Dir    string // the configured tier folder
}

// BlockMeta describes one committed block.
type BlockMeta struct {
	ID       int64
	Length   int64
	Location BlockLocation
	Path     string // the block's data file, for short-circuit reads
}

// Store is a tiered block store. Its methods are safe for concurrent use.
type Store struct {
	cfg Config
	log hclog.Logger

	mu sync.Mutex
}

// Open opens the store, creating missing block folders. It rescans every
// folder: temp blocks are deleted, blocks whose data or metadata is torn or
// does not match its checksums are deleted (and logged), and folders that
// are missing or cannot be written are reported as lost storage, not an
// error, so a worker with one bad disk still serves the others. Open fails
// only when the configuration is invalid or no folder at all is usable.
func Open(cfg Config, log hclog.Logger) (*Store, error) {
	return nil, errors.New("blockstore: Open not implemented")
}

// Close releases the store. Open readers and temp blocks fail afterwards;
// uncommitted temp blocks are left for the next Open to delete.
func (s *Store) Close() error {
	return errors.New("blockstore: Close not implemented")
}

// CreateBlock starts writing block blockID for the session, in tierAlias
// ("" for the top tier) with reserve bytes reserved up front. The block
// stays invisible to OpenBlock, HasBlock, Report and TakeChanges until the
// returned TempBlock commits. It fails with ErrBlockExists when the id is
// committed or being written, ErrUnknownTier, or ErrNoSpace when reserve
// cannot be made room for in that tier.
func (s *Store) CreateBlock(sessionID, blockID int64, tierAlias string, reserve int64) (*TempBlock, error) {
	return nil, errors.New("blockstore: CreateBlock not implemented")
}

// CleanupSession aborts every temp block the session still has open, for
// a client that went away without committing or aborting.
func (s *Store) CleanupSession(sessionID int64) {}

// OpenBlock opens a committed block for reading and records the access
// for eviction order. While the reader is open the block is not evicted
// or moved. ErrBlockNotFound when no committed block has the id.
func (s *Store) OpenBlock(blockID int64) (*BlockReader, error) {
	return nil, errors.New("blockstore: OpenBlock not implemented")
}

// HasBlock reports whether a committed block has the id.
func (s *Store) HasBlock(blockID int64) bool { return false }

// BlockMeta returns a committed block's length and location.
func (s *Store) BlockMeta(blockID int64) (BlockMeta, error) {
	return BlockMeta{}, errors.New("blockstore: BlockMeta not implemented")
}

// RemoveBlock deletes a committed block. Readers that have it open keep
// reading the data they opened. ErrBlockNotFound when it is not there.
func (s *Store) RemoveBlock(blockID int64) error {
	return errors.New("blockstore: RemoveBlock not implemented")
}

// MoveBlock moves a committed block to another tier (promotion or
// demotion), evicting there to make room if needed. Moving to the tier it
// is in does nothing.
func (s *Store) MoveBlock(blockID int64, tierAlias string) error {
	return errors.New("blockstore: MoveBlock not implemented")
}

// Pin keeps the blocks from eviction until RemoveBlock or SetPinned
// replaces the pins, as a write with Alluxio's pin flag asks.
func (s *Store) Pin(blockIDs []int64) {}

// SetPinned replaces the whole pinned set: the pinned blocks and the
// files (by Alluxio file id, whose blocks share its container id) the
// master lists as pinned. Pinned blocks are never evicted; they may still
// be removed or moved on request.
func (s *Store) SetPinned(blockIDs, fileIDs []int64) {}
