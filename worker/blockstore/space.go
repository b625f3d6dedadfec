package blockstore

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/halo-fs/halo/journal"
)

// copyChunks is how many checksum chunks a copy or check reads at once.
const copyChunks = 16

// reserveAttempts bounds how often a reservation evicts and tries again
// when writers that did not need to evict took the space it freed.
const reserveAttempts = 3

// reserve promises n bytes in a folder of tier: in dir when dir is set (a
// temp block growing in place), else in the folder with the most free
// space. It evicts when nothing fits.
func (s *Store) reserve(tier int, dir *storageDir, n int64, blockID int64) (*storageDir, error) {
	s.mu.Lock()
	d := s.pickDirLocked(tier, dir)
	if d != nil && d.free() >= n {
		d.reserved += n
		s.mu.Unlock()
		return d, nil
	}
	s.mu.Unlock()
	s.evictMu.Lock()
	defer s.evictMu.Unlock()
	return s.reserveEvicting(tier, dir, n, blockID)
}

func (s *Store) pickDirLocked(tier int, dir *storageDir) *storageDir {
	if dir != nil {
		if dir.lost {
			return nil
		}
		return dir
	}
	var best *storageDir
	for _, d := range s.tiers[tier] {
		if !d.lost && (best == nil || d.free() > best.free()) {
			best = d
		}
	}
	return best
}

// reserveEvicting is reserve's slow path; the caller holds evictMu.
func (s *Store) reserveEvicting(tier int, dir *storageDir, n int64, blockID int64) (*storageDir, error) {
	for range reserveAttempts {
		s.mu.Lock()
		d := s.pickDirLocked(tier, dir)
		if d == nil {
			s.mu.Unlock()
			return nil, blockError(ErrNoSpace, blockID, fmt.Sprintf("tier %s has no usable folder", s.cfg.Tiers[tier].Alias))
		}
		if d.free() >= n {
			d.reserved += n
			s.mu.Unlock()
			return d, nil
		}
		target, victims := s.planEvictionLocked(tier, dir, n)
		s.mu.Unlock()
		if target == nil {
			return nil, blockError(ErrNoSpace, blockID, fmt.Sprintf(
				"%d bytes do not fit in a folder of tier %s, even after evicting every block that may be evicted",
				n, d.alias))
		}
		s.evict(victims)
	}
	return nil, blockError(ErrNoSpace, blockID, fmt.Sprintf("tier %s: space freed for %d bytes was taken by other writes", s.cfg.Tiers[tier].Alias, n))
}

func (s *Store) release(d *storageDir, n int64) {
	s.mu.Lock()
	d.reserved -= n
	s.mu.Unlock()
}

// planEvictionLocked finds the folder of tier (or dir, when set) that can
// be given n free bytes by evicting the least valuable blocks, and marks
// those blocks moving. Among folders it prefers the one whose most
// valuable victim is least valuable, so that eviction follows the
// annotator's order across the tier, not just within one folder. It
// returns no folder when none can be freed enough.
func (s *Store) planEvictionLocked(tier int, dir *storageDir, n int64) (*storageDir, []*blockEntry) {
	dirs := s.tiers[tier]
	if dir != nil {
		dirs = []*storageDir{dir}
	}
	order := s.evictionOrderLocked()
	var best *storageDir
	var bestVictims []*blockEntry
	for _, d := range dirs {
		if d.lost || d.capacity < n {
			continue
		}
		victims, enough := s.victimsLocked([]*storageDir{d}, n-d.free(), order)
		if !enough {
			continue
		}
		if best == nil || len(victims) == 0 ||
			len(bestVictims) > 0 && order(victims[len(victims)-1], bestVictims[len(bestVictims)-1]) {
			best, bestVictims = d, victims
		}
	}
	s.markMovingLocked(bestVictims...)
	return best, bestVictims
}

// markMovingLocked keeps the blocks from other evictions and, until the
// move is over, their ids from new temp blocks, even if a block is
// removed meanwhile: the move's copy must not land on a new block's
// files.
func (s *Store) markMovingLocked(victims ...*blockEntry) {
	for _, e := range victims {
		e.moving = true
		s.moves[e.id] = true
	}
}

func (s *Store) unmarkMovingLocked(e *blockEntry) {
	e.moving = false
	delete(s.moves, e.id)
}

// victimsLocked chooses blocks in dirs to evict, in order, until they hold
// need bytes, and says whether they do. Pinned blocks, blocks being read
// and blocks already moving are never chosen.
func (s *Store) victimsLocked(dirs []*storageDir, need int64, order func(a, b *blockEntry) bool) ([]*blockEntry, bool) {
	var candidates []*blockEntry
	for _, d := range dirs {
		for _, e := range d.blocks {
			if !e.moving && e.readers == 0 && !s.isPinnedLocked(e.id) {
				candidates = append(candidates, e)
			}
		}
	}
	sort.Slice(candidates, func(i, j int) bool { return order(candidates[i], candidates[j]) })
	var victims []*blockEntry
	var freed int64
	for _, e := range candidates {
		if freed >= need {
			break
		}
		victims = append(victims, e)
		freed += e.length
	}
	return victims, freed >= need
}

// evict moves each victim down a tier, or removes it from the last tier;
// the caller holds evictMu. A victim the tier below cannot take stays.
func (s *Store) evict(victims []*blockEntry) {
	for _, e := range victims {
		tier := e.dir.tier
		if tier == len(s.tiers)-1 {
			s.mu.Lock()
			s.unmarkMovingLocked(e)
			if s.blocks[e.id] == e {
				s.removeLocked(e)
			}
			s.mu.Unlock()
			continue
		}
		if err := s.moveEvicting(e, tier+1); err != nil {
			s.log.Warn("cannot evict a block to the next tier", "block", e.id, "to", s.cfg.Tiers[tier+1].Alias, "error", err)
		}
	}
}

// moveEvicting copies a block marked moving into tier, evicting there as
// needed, then switches the block to the copy and deletes the original;
// the caller holds evictMu. The copy is verified against the checksums as
// it is made, so a damaged block is dropped rather than spread.
func (s *Store) moveEvicting(e *blockEntry, tier int) error {
	s.mu.Lock()
	removed := e.removed
	if removed {
		s.unmarkMovingLocked(e)
	}
	s.mu.Unlock()
	if removed { // since it was chosen: evicting room for it would be waste
		return blockError(ErrBlockNotFound, e.id, "removed before it was moved")
	}
	dst, err := s.reserveEvicting(tier, nil, e.length, e.id)
	if err != nil {
		s.mu.Lock()
		s.unmarkMovingLocked(e)
		s.mu.Unlock()
		return err
	}
	s.mu.Lock()
	src := e.dir
	s.mu.Unlock()
	copyErr := copyBlock(src, dst, e.id, e.length)

	s.mu.Lock()
	defer s.mu.Unlock()
	s.unmarkMovingLocked(e)
	dst.reserved -= e.length
	if e.removed {
		s.removeBlockFiles(dst, e.id)
		return blockError(ErrBlockNotFound, e.id, "removed while it was being moved")
	}
	if copyErr != nil {
		s.removeBlockFiles(dst, e.id)
		if errors.Is(copyErr, ErrCorruptBlock) {
			s.dropLocked(e, copyErr.Error())
		}
		return copyErr
	}
	delete(src.blocks, e.id)
	src.committed -= e.length
	s.removeBlockFiles(src, e.id)
	e.dir = dst
	dst.blocks[e.id] = e
	dst.committed += e.length
	s.changes.noteAdded(e.id, dst.location())
	return nil
}

// copyBlock writes a verified copy of a committed block into dst and
// installs it there.
func copyBlock(src, dst *storageDir, id, length int64) error {
	sums, err := readMetaFile(src.metaPath(id), id, length)
	if err != nil {
		return &Error{Kind: ErrCorruptBlock, BlockID: id, Offset: 0, Detail: err.Error()}
	}
	in, err := os.Open(src.dataPath(id))
	if err != nil {
		return fmt.Errorf("block %d: %w", id, err)
	}
	defer in.Close()
	tmp := dst.tmpDataPath(id)
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("block %d: %w", id, err)
	}
	err = copyVerified(out, in, sums)
	if err == nil && !dst.isMemory() {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = installBlock(dst, tmp, sums)
	}
	if err != nil {
		_ = os.Remove(tmp)
	}
	return err
}

// copyVerified copies a block's data, checking every chunk on the way; the
// first bad one is an ErrCorruptBlock naming its offset.
func copyVerified(w io.Writer, r io.ReaderAt, sums blockChecksums) error {
	// A few chunks at a time, but no more than the block: a rescan checks
	// many small blocks, and allocating a large buffer for each dominated.
	buf := make([]byte, max(1, min(copyChunks*sums.chunkSize, sums.length)))
	for off := int64(0); off < sums.length; off += int64(len(buf)) {
		n := min(int64(len(buf)), sums.length-off)
		if _, err := r.ReadAt(buf[:n], off); err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		if bad, ok := sums.verify(buf[:n], off); !ok {
			return &Error{Kind: ErrCorruptBlock, BlockID: sums.blockID, Offset: bad}
		}
		if _, err := w.Write(buf[:n]); err != nil {
			return err
		}
	}
	return nil
}

// installBlock makes a written temp data file a committed block of d:
// the metadata goes into place first and the data file last, so the data
// file's rename is the moment the block exists; a crash before it leaves
// metadata without data, which Open deletes.
func installBlock(d *storageDir, tmpData string, sums blockChecksums) error {
	metaTmp := tmpData + metaSuffix
	err := writeFile(metaTmp, encodeMeta(sums), !d.isMemory())
	if err == nil {
		err = os.Rename(metaTmp, d.metaPath(sums.blockID))
	}
	if err == nil {
		if err = os.Rename(tmpData, d.dataPath(sums.blockID)); err != nil {
			_ = os.Remove(d.metaPath(sums.blockID))
		}
	}
	if err == nil && !d.isMemory() {
		err = journal.SyncDir(d.blocksPath())
	}
	if err != nil {
		_ = os.Remove(metaTmp)
		return fmt.Errorf("commit block %d in %s: %w", sums.blockID, d.path, err)
	}
	return nil
}

func writeFile(path string, data []byte, sync bool) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
