package blockstore

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"

	"github.com/halo-fs/halo/fsm"
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

// containerOf is the container id of a block: the id of the file it
// belongs to, in the block id's high bits (fsm.BlockSequenceBits).
func containerOf(blockID int64) int64 { return blockID >> fsm.BlockSequenceBits }

// Store is a tiered block store. Its methods are safe for concurrent use.
type Store struct {
	cfg   Config
	log   hclog.Logger
	tiers [][]*storageDir // by tier index, every configured folder

	// evictMu serialises evictions and moves: they copy data without
	// holding mu, and two of them must not pick the same blocks or count
	// the same free space.
	evictMu sync.Mutex

	mu               sync.Mutex
	closed           bool
	blocks           map[int64]*blockEntry
	temps            map[int64]*TempBlock
	moves            map[int64]bool // ids being copied between folders
	pinnedBlocks     map[int64]bool
	pinnedContainers map[int64]bool
	// pinnedOnCreate holds, by container id, the files a block was
	// written for with Alluxio's pin-on-create flag, each with the
	// pinned-list refresh under way then: the master's list reaches the
	// worker only at a heartbeat, so until a list asked for after the
	// write settles it, the worker keeps the file itself.
	pinnedOnCreate  map[int64]uint64
	pinnedRefreshes uint64
	clock           uint64 // logical time of block accesses
	changes         pendingChanges

	locks []*os.File // one per usable folder, held while open

	wake    chan struct{} // asks the evictor to check the watermarks
	stop    chan struct{}
	stopped chan struct{}
}

// Open opens the store, creating missing block folders. It rescans every
// folder: temp blocks are deleted, blocks whose data or metadata is torn or
// does not match its checksums are deleted (and logged; this reads every
// block unless Config.SkipDataCheckOnOpen), and folders that
// are missing or cannot be written are reported as lost storage, not an
// error, so a worker with one bad disk still serves the others. Open fails
// only when the configuration is invalid or no folder at all is usable.
func Open(cfg Config, log hclog.Logger) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = hclog.NewNullLogger()
	}
	s := &Store{
		cfg:              cfg,
		log:              log,
		blocks:           make(map[int64]*blockEntry),
		temps:            make(map[int64]*TempBlock),
		moves:            make(map[int64]bool),
		pinnedBlocks:     make(map[int64]bool),
		pinnedContainers: make(map[int64]bool),
		pinnedOnCreate:   make(map[int64]uint64),
		changes:          newPendingChanges(),
		wake:             make(chan struct{}, 1),
		stop:             make(chan struct{}),
		stopped:          make(chan struct{}),
		tiers:            make([][]*storageDir, len(cfg.Tiers)),
	}
	if err := s.openDirs(); err != nil {
		s.unlock()
		return nil, err
	}
	s.changes.take() // a worker registers with Report; deltas start after Open
	go s.runEvictor()
	s.signalEvictor()
	return s, nil
}

// openDirs scans every configured folder, taking the ones that fail out
// of service. It fails when another store holds a folder or when none is
// usable.
func (s *Store) openDirs() error {
	var lost []error
	var found []scannedBlock
	for i, tier := range s.cfg.Tiers {
		for _, dc := range tier.Dirs {
			d := &storageDir{tier: i, alias: tier.Alias, medium: dc.Medium, path: dc.Path,
				capacity: dc.Quota, blocks: make(map[int64]*blockEntry)}
			s.tiers[i] = append(s.tiers[i], d)
			blocks, err := s.scanDir(d)
			found = append(found, blocks...)
			if errors.Is(err, ErrInUse) {
				return err
			}
			if err != nil {
				s.log.Error("tier folder is lost", "tier", d.alias, "path", d.path, "error", err)
				lost = append(lost, fmt.Errorf("%s: %w", d.path, err))
				s.mu.Lock()
				s.loseDirLocked(d)
				s.mu.Unlock()
			}
		}
	}
	if len(lost) == s.dirCount() {
		return fmt.Errorf("blockstore: no tier folder is usable: %w", errors.Join(lost...))
	}
	s.addScanned(found)
	return nil
}

func (s *Store) dirCount() int {
	n := 0
	for _, dirs := range s.tiers {
		n += len(dirs)
	}
	return n
}

// Close stops eviction and releases the folders. Later CreateBlock,
// OpenBlock, RemoveBlock and MoveBlock calls fail with ErrClosed; open
// readers keep reading, and temp blocks are left for the next Open to
// delete.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	close(s.stop)
	<-s.stopped
	s.unlock()
	return nil
}

func (s *Store) unlock() {
	for _, f := range s.locks {
		f.Close()
	}
	s.locks = nil
}

func (s *Store) checkOpenLocked(blockID int64) error {
	if s.closed {
		return blockError(ErrClosed, blockID, "the block store is closed")
	}
	return nil
}

// CreateBlock starts writing block blockID for the session, in tierAlias
// ("" for the top tier) with reserve bytes reserved up front. The block
// stays invisible to OpenBlock, HasBlock, Report and TakeChanges until the
// returned TempBlock commits. It fails with ErrBlockExists when the id is
// committed or being written, ErrUnknownTier, or ErrNoSpace when reserve
// cannot be made room for in that tier.
func (s *Store) CreateBlock(sessionID, blockID int64, tierAlias string, reserve int64) (*TempBlock, error) {
	tier := 0
	if tierAlias != "" {
		var err error
		if tier, err = s.tierIndex(tierAlias, blockID); err != nil {
			return nil, err
		}
	}
	if reserve < 0 {
		return nil, blockError(ErrInvalidRequest, blockID, fmt.Sprintf("negative reservation %d", reserve))
	}
	b := &TempBlock{store: s, sessionID: sessionID, blockID: blockID}
	s.mu.Lock()
	if err := s.checkOpenLocked(blockID); err != nil {
		s.mu.Unlock()
		return nil, err
	}
	if _, writing := s.temps[blockID]; writing || s.blocks[blockID] != nil {
		s.mu.Unlock()
		return nil, blockError(ErrBlockExists, blockID, "")
	}
	if s.moves[blockID] {
		s.mu.Unlock()
		return nil, blockError(ErrBlockBusy, blockID, "a removed copy of the block is still being moved; retry")
	}
	// A nil entry claims the id while space is made; CleanupSession skips
	// it, as the block has nothing to abort yet.
	s.temps[blockID] = nil
	s.mu.Unlock()

	err := b.create(tier, reserve)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		delete(s.temps, blockID)
		return nil, err
	}
	s.temps[blockID] = b
	return b, nil
}

// CleanupSession aborts every temp block the session still has open, for
// a client that went away without committing or aborting.
func (s *Store) CleanupSession(sessionID int64) {
	s.mu.Lock()
	var abandoned []*TempBlock
	for _, b := range s.temps {
		if b != nil && b.sessionID == sessionID {
			abandoned = append(abandoned, b)
		}
	}
	s.mu.Unlock()
	for _, b := range abandoned {
		if err := b.Abort(); err != nil {
			s.log.Warn("cannot delete an abandoned temp block", "block", b.blockID, "session", sessionID, "error", err)
		}
	}
}

// OpenBlock opens a committed block for reading and records the access
// for eviction order. While the reader is open the block is not evicted.
// ErrBlockNotFound when no committed block has the id.
func (s *Store) OpenBlock(blockID int64) (*BlockReader, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkOpenLocked(blockID); err != nil {
		return nil, err
	}
	e := s.blocks[blockID]
	if e == nil {
		return nil, blockError(ErrBlockNotFound, blockID, "")
	}
	// The files are opened under mu, which every unlink of them holds, so
	// they are the entry's current ones.
	sums, err := readMetaFile(e.dir.metaPath(blockID), blockID, e.length)
	var f *os.File
	if err == nil {
		f, err = os.Open(e.dir.dataPath(blockID))
	}
	if errors.Is(err, errBadMeta) || errors.Is(err, os.ErrNotExist) {
		// Damaged or deleted behind the store's back: the block is gone.
		// Other errors (too many open files, say) may pass.
		s.dropLocked(e, err.Error())
		return nil, &Error{Kind: ErrCorruptBlock, BlockID: blockID, Offset: 0, Detail: err.Error()}
	}
	if err != nil {
		return nil, fmt.Errorf("block %d: %w", blockID, err)
	}
	e.readers++
	s.touchLocked(e)
	meta := e.meta()
	file := verifiedFile{file: f, sums: sums, id: blockID, path: meta.Path,
		onCorrupt: func(err *Error) { s.dropCorrupt(e, meta.Path, err) }}
	return &BlockReader{verifiedFile: file, store: s, entry: e, meta: meta}, nil
}

// HasBlock reports whether a committed block has the id.
func (s *Store) HasBlock(blockID int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.blocks[blockID] != nil
}

// BlockMeta returns a committed block's length and location.
func (s *Store) BlockMeta(blockID int64) (BlockMeta, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.blocks[blockID]
	if e == nil {
		return BlockMeta{}, blockError(ErrBlockNotFound, blockID, "")
	}
	return e.meta(), nil
}

// RemoveBlock deletes a committed block. Readers that have it open keep
// reading the data they opened. ErrBlockNotFound when it is not there.
func (s *Store) RemoveBlock(blockID int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkOpenLocked(blockID); err != nil {
		return err
	}
	e := s.blocks[blockID]
	if e == nil {
		return blockError(ErrBlockNotFound, blockID, "")
	}
	s.removeLocked(e)
	delete(s.pinnedBlocks, blockID)
	return nil
}

// removeLocked forgets a committed block and deletes its files. A move
// under way notices removed and throws its copy away.
func (s *Store) removeLocked(e *blockEntry) {
	delete(s.blocks, e.id)
	delete(e.dir.blocks, e.id)
	e.dir.committed -= e.length
	e.removed = true
	s.changes.noteRemoved(e.id)
	s.removeBlockFiles(e.dir, e.id)
}

// dropLocked removes a block found damaged, saying why.
func (s *Store) dropLocked(e *blockEntry, why string) {
	if s.blocks[e.id] != e {
		return
	}
	s.log.Error("dropping a damaged block", "block", e.id, "path", e.dir.dataPath(e.id), "reason", why)
	s.removeLocked(e)
}

// MoveBlock moves a committed block to another tier (promotion or
// demotion), evicting there to make room if needed. Moving to the tier it
// is in does nothing. Pinned blocks may be moved; blocks being read may
// be too (readers keep the data they opened).
func (s *Store) MoveBlock(blockID int64, tierAlias string) error {
	tier, err := s.tierIndex(tierAlias, blockID)
	if err != nil {
		return err
	}
	s.evictMu.Lock()
	defer s.evictMu.Unlock()
	s.mu.Lock()
	if err := s.checkOpenLocked(blockID); err != nil {
		s.mu.Unlock()
		return err
	}
	e := s.blocks[blockID]
	if e == nil {
		s.mu.Unlock()
		return blockError(ErrBlockNotFound, blockID, "")
	}
	if e.dir.tier == tier {
		s.mu.Unlock()
		return nil
	}
	s.markMovingLocked(e)
	s.mu.Unlock()
	err = s.moveEvicting(e, tier)
	s.signalEvictor()
	return err
}

// Pin keeps the blocks from eviction until Unpin or RemoveBlock, as a
// write with Alluxio's pin flag asks. Pinned blocks may still be removed
// or moved on request.
func (s *Store) Pin(blockIDs []int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range blockIDs {
		s.pinnedBlocks[id] = true
	}
}

// Unpin undoes Pin.
func (s *Store) Unpin(blockIDs []int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range blockIDs {
		delete(s.pinnedBlocks, id)
	}
}

// SetPinnedFiles replaces the set of pinned files, by Alluxio file id, as
// the master's GetPinnedFileIds lists them: every block of a pinned file
// (a block shares its file's container id) is kept from eviction. Blocks
// pinned with Pin stay pinned.
func (s *Store) SetPinnedFiles(fileIDs []int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setPinnedFilesLocked(fileIDs)
}

func (s *Store) setPinnedFilesLocked(fileIDs []int64) {
	clear(s.pinnedContainers)
	for _, id := range fileIDs {
		s.pinnedContainers[containerOf(id)] = true
	}
}

// PinOnCreate keeps the file blockID belongs to from eviction until a
// refresh of the pinned files started after this call settles it
// (RefreshPinnedFiles). A write asks it (Alluxio's pin_on_create, sent
// for ASYNC_THROUGH files) when its block is the file's only copy: the
// master lists such files as pinned, but the worker learns the list only
// at its next heartbeat. Call it before the block is committed, so that
// no eviction comes between.
func (s *Store) PinOnCreate(blockID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pinnedOnCreate[containerOf(blockID)] = s.pinnedRefreshes
}

// PinnedRefresh is one refresh of the pinned files: started before the
// master is asked for its list, finished by RefreshPinnedFiles.
type PinnedRefresh struct{ seq uint64 }

// StartPinnedRefresh starts a refresh of the pinned files; the files
// pinned on create before it are settled by its RefreshPinnedFiles.
func (s *Store) StartPinnedRefresh() PinnedRefresh {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pinnedRefreshes++
	return PinnedRefresh{seq: s.pinnedRefreshes}
}

// PinnedOnCreate lists, as the master names files (the container id
// shifted, every sequence bit set), the files pinned on create that r
// settles.
func (s *Store) PinnedOnCreate(r PinnedRefresh) []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []int64
	for container, since := range s.pinnedOnCreate {
		if since < r.seq {
			ids = append(ids, container<<fsm.BlockSequenceBits|(1<<fsm.BlockSequenceBits-1))
		}
	}
	slices.Sort(ids)
	return ids
}

// RefreshPinnedFiles finishes r: the master's list replaces the pinned
// files (SetPinnedFiles), and each file pinned on create before r is
// released unless keep names it (its write is not complete yet, or the
// master could not say): a listed file stays pinned through the list.
func (s *Store) RefreshPinnedFiles(r PinnedRefresh, listed, keep []int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setPinnedFilesLocked(listed)
	kept := make(map[int64]bool, len(keep))
	for _, id := range keep {
		kept[containerOf(id)] = true
	}
	for container, since := range s.pinnedOnCreate {
		if since < r.seq && !kept[container] {
			delete(s.pinnedOnCreate, container)
		}
	}
}

func (s *Store) isPinnedLocked(blockID int64) bool {
	container := containerOf(blockID)
	_, onCreate := s.pinnedOnCreate[container]
	return s.pinnedBlocks[blockID] || s.pinnedContainers[container] || onCreate
}

// addLocked makes a committed block visible.
func (s *Store) addLocked(e *blockEntry) {
	s.blocks[e.id] = e
	e.dir.blocks[e.id] = e
	e.dir.committed += e.length
	s.changes.noteAdded(e.id, e.dir.location())
}

// loseDirLocked takes a folder out of service: its blocks are reported
// removed and its space no longer counts.
func (s *Store) loseDirLocked(d *storageDir) {
	if d.lost {
		return
	}
	d.lost = true
	for _, e := range d.blocks {
		delete(s.blocks, e.id)
		e.removed = true
		s.changes.noteRemoved(e.id)
	}
	clear(d.blocks)
	d.committed = 0
	s.changes.noteLost(d.alias, d.path)
}

// dropCorrupt drops a block a reader found damaged, unless it has moved
// since the reader opened it: the move verified the copy it made.
func (s *Store) dropCorrupt(e *blockEntry, openedPath string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e.dir.dataPath(e.id) == openedPath {
		s.dropLocked(e, err.Error())
	}
}

// loseDirIfGone takes d out of service when err came from its folder
// having vanished (an unmounted or failed disk), and says whether it did.
func (s *Store) loseDirIfGone(d *storageDir, err error) bool {
	if _, statErr := os.Stat(d.tmpPath()); statErr == nil {
		return false
	}
	s.log.Error("tier folder is lost", "tier", d.alias, "path", d.path, "error", err)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loseDirLocked(d)
	return true
}

func (s *Store) tierIndex(alias string, blockID int64) (int, error) {
	aliases := make([]string, len(s.cfg.Tiers))
	for i, tier := range s.cfg.Tiers {
		if tier.Alias == alias {
			return i, nil
		}
		aliases[i] = tier.Alias
	}
	return 0, blockError(ErrUnknownTier, blockID, fmt.Sprintf("%q is not one of %v", alias, aliases))
}
