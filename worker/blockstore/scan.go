package blockstore

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// scanDir prepares one folder at Open: it empties the temp folder, checks
// that the folder takes writes, and returns its whole committed blocks,
// deleting the damaged ones. An error means the folder is lost.
func (s *Store) scanDir(d *storageDir) ([]scannedBlock, error) {
	// The configured folder itself is never created: a missing one is a
	// disk that is not mounted, and filling the root file system in its
	// place would hide that.
	if info, err := os.Stat(d.path); err != nil {
		return nil, err
	} else if !info.IsDir() {
		return nil, fmt.Errorf("%s is not a folder", d.path)
	}
	if err := s.lockDir(d); err != nil {
		return nil, err
	}
	if err := os.RemoveAll(d.tmpPath()); err != nil {
		return nil, fmt.Errorf("delete temp blocks: %w", err)
	}
	if err := os.MkdirAll(d.tmpPath(), 0o755); err != nil {
		return nil, err
	}
	if err := probeWritable(d.tmpPath()); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(d.blocksPath())
	if err != nil {
		return nil, err
	}
	return s.checkBlocks(d, s.blockIDsIn(entries, d)), nil
}

// scanWorkers is how many blocks a rescan checks at once: the checks wait
// on the disk more than on the processor, and a disk answers several
// requests faster than one after another.
const scanWorkers = 8

// checkBlocks checks the blocks in parallel, deleting the damaged ones,
// and returns the rest.
func (s *Store) checkBlocks(d *storageDir, ids []int64) []scannedBlock {
	results := make([]scannedBlock, len(ids))
	good := make([]bool, len(ids))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(scanWorkers, len(ids)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				sb, err := s.checkBlock(d, ids[i])
				if err != nil {
					s.log.Error("dropping a damaged block", "block", ids[i], "path", d.dataPath(ids[i]), "reason", err)
					s.removeBlockFiles(d, ids[i])
					continue
				}
				results[i], good[i] = sb, true
			}
		}()
	}
	for i := range ids {
		next <- i
	}
	close(next)
	wg.Wait()
	found := results[:0]
	for i, sb := range results {
		if good[i] {
			found = append(found, sb)
		}
	}
	return found
}

// addScanned makes the blocks found at Open visible, the oldest first in
// line for eviction: as far as anyone can tell, they were used longest
// ago. A block found twice, which a move cut short between installing
// its copy and deleting the original leaves, keeps the first copy in tier
// order; both are whole.
func (s *Store) addScanned(found []scannedBlock) {
	s.mu.Lock()
	defer s.mu.Unlock()
	kept := make(map[int64]*storageDir, len(found))
	unique := found[:0]
	for _, sb := range found {
		if first, twice := kept[sb.id]; twice {
			s.log.Info("deleting a second copy of a block", "block", sb.id, "path", sb.dir.dataPath(sb.id), "kept", first.dataPath(sb.id))
			s.removeBlockFiles(sb.dir, sb.id)
			continue
		}
		kept[sb.id] = sb.dir
		unique = append(unique, sb)
	}
	sort.SliceStable(unique, func(i, j int) bool { return unique[i].modified < unique[j].modified })
	for _, sb := range unique {
		e := &blockEntry{id: sb.id, length: sb.length, dir: sb.dir}
		s.addLocked(e)
		s.touchLocked(e)
	}
}

// lockDir keeps a second store, in this process or another, off the
// folder: its Open would delete this one's temp blocks.
func (s *Store) lockDir(d *storageDir) error {
	if err := os.MkdirAll(d.blocksPath(), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(d.blocksPath(), lockFileName), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	locked, err := tryLock(f)
	if !locked {
		f.Close()
		if err == nil {
			err = fmt.Errorf("%w: %s", ErrInUse, d.path)
		}
		return err
	}
	s.locks = append(s.locks, f)
	return nil
}

type scannedBlock struct {
	dir      *storageDir
	id       int64
	length   int64
	modified int64 // data file's modification time, Unix nanoseconds
}

// blockIDsIn lists the ids that have a data or a metadata file, deleting
// a metadata file whose data file is missing (a commit that crashed
// between its two renames) and ignoring files that are not ours.
func (s *Store) blockIDsIn(entries []os.DirEntry, d *storageDir) []int64 {
	data := make(map[int64]bool)
	meta := make(map[int64]bool)
	for _, entry := range entries {
		name := entry.Name()
		if entry.IsDir() {
			continue
		}
		base, isMeta := strings.CutSuffix(name, metaSuffix)
		id, err := strconv.ParseInt(base, 10, 64)
		if name == lockFileName {
			continue
		}
		if err != nil || strconv.FormatInt(id, 10) != base {
			s.log.Warn("ignoring a file that is not a block", "path", filepath.Join(d.blocksPath(), name))
			continue
		}
		if isMeta {
			meta[id] = true
		} else {
			data[id] = true
		}
	}
	ids := make([]int64, 0, len(data))
	for id := range data {
		ids = append(ids, id)
	}
	for id := range meta {
		if !data[id] {
			s.log.Info("deleting the metadata of a block whose commit did not finish", "block", id)
			s.removeBlockFiles(d, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// checkBlock checks a block's data file against its metadata: its length,
// and unless SkipDataCheckOnOpen, every chunk.
func (s *Store) checkBlock(d *storageDir, id int64) (scannedBlock, error) {
	f, err := os.Open(d.dataPath(id))
	if err != nil {
		return scannedBlock{}, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return scannedBlock{}, err
	}
	sums, err := readMetaFile(d.metaPath(id), id, info.Size())
	if err != nil {
		return scannedBlock{}, err
	}
	if !s.cfg.SkipDataCheckOnOpen {
		if err := copyVerified(io.Discard, f, sums); err != nil {
			return scannedBlock{}, err
		}
	}
	return scannedBlock{dir: d, id: id, length: sums.length, modified: info.ModTime().UnixNano()}, nil
}

// readMetaFile reads and decodes a block's metadata, checking that it is
// the metadata of that block at that length.
func readMetaFile(path string, id, length int64) (blockChecksums, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return blockChecksums{}, err
	}
	m, err := decodeMeta(b)
	if err != nil {
		return blockChecksums{}, err
	}
	if m.blockID != id {
		return blockChecksums{}, fmt.Errorf("%w: %s names block %d", errBadMeta, path, m.blockID)
	}
	if m.length != length {
		return blockChecksums{}, fmt.Errorf("%w: %s records %d bytes, the data file has %d", errBadMeta, path, m.length, length)
	}
	return m, nil
}

// probeWritable creates and deletes a file, so that a read-only mount is
// found at Open rather than at the first write.
func probeWritable(dir string) error {
	f, err := os.CreateTemp(dir, "probe-")
	if err != nil {
		return err
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// removeBlockFiles deletes a block's data and metadata files. The caller
// holds Store.mu (or is Open, before anything else runs), so that a new
// block of the same id cannot be installed in between.
func (s *Store) removeBlockFiles(d *storageDir, id int64) {
	for _, path := range []string{d.dataPath(id), d.metaPath(id)} {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.log.Warn("cannot delete a block file", "block", id, "path", path, "error", err)
		}
	}
}
