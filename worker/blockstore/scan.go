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
)

// scanDir prepares one folder at Open: it empties the temp folder, checks
// that the folder takes writes, and adds every whole committed block,
// deleting the damaged ones. An error means the folder is lost.
func (s *Store) scanDir(d *storageDir) error {
	// The configured folder itself is never created: a missing one is a
	// disk that is not mounted, and filling the root file system in its
	// place would hide that.
	if info, err := os.Stat(d.path); err != nil {
		return err
	} else if !info.IsDir() {
		return fmt.Errorf("%s is not a folder", d.path)
	}
	if err := s.lockDir(d); err != nil {
		return err
	}
	if err := os.RemoveAll(d.tmpPath()); err != nil {
		return fmt.Errorf("delete temp blocks: %w", err)
	}
	if err := os.MkdirAll(d.tmpPath(), 0o755); err != nil {
		return err
	}
	if err := probeWritable(d.tmpPath()); err != nil {
		return err
	}
	entries, err := os.ReadDir(d.blocksPath())
	if err != nil {
		return err
	}
	var found []scannedBlock
	for _, id := range s.blockIDsIn(entries, d) {
		sb, err := s.checkBlock(d, id)
		if err != nil {
			s.log.Error("dropping a damaged block", "block", id, "path", d.dataPath(id), "reason", err)
			s.removeBlockFiles(d, id)
			continue
		}
		found = append(found, sb)
	}
	// The oldest blocks were used longest ago as far as anyone can tell,
	// so they start first in line for eviction.
	sort.Slice(found, func(i, j int) bool { return found[i].modified < found[j].modified })
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sb := range found {
		if other := s.blocks[sb.id]; other != nil {
			// A move that crashed between installing the copy and deleting
			// the original leaves both, each whole: keep the first seen.
			s.log.Info("deleting a second copy of a block", "block", sb.id, "path", d.dataPath(sb.id), "kept", other.dir.dataPath(sb.id))
			s.removeBlockFiles(d, sb.id)
			continue
		}
		e := &blockEntry{id: sb.id, length: sb.length, dir: d}
		s.addLocked(e)
		s.touchLocked(e)
	}
	return nil
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
	return scannedBlock{id: id, length: sums.length, modified: info.ModTime().UnixNano()}, nil
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

// removeBlockFiles deletes a block's data and metadata files; the caller
// holds Store.mu, so that a new block of the same id cannot be installed
// in between.
func (s *Store) removeBlockFiles(d *storageDir, id int64) {
	for _, path := range []string{d.dataPath(id), d.metaPath(id)} {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.log.Warn("cannot delete a block file", "block", id, "path", path, "error", err)
		}
	}
}
