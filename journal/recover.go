package journal

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/go-hclog"
)

// Open opens the journal in opts.Dir and recovers it: leftover temporary
// files are removed, every segment is verified, a torn tail of the last
// segment is cut off, and files no retained checkpoint needs are removed.
// It returns ErrNotFormatted for a folder Format never prepared, ErrLocked
// when another process holds it, and ErrCorrupt for damage recovery must not
// repair silently.
func Open(opts Options) (*Journal, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	clusterID, err := readMeta(opts.Dir)
	if err != nil {
		return nil, err
	}
	lock, err := lockFolder(opts.Dir)
	if err != nil {
		return nil, err
	}
	j := &Journal{
		dir:       opts.Dir,
		opts:      opts,
		logger:    opts.Logger,
		clusterID: clusterID,
		lockFile:  lock,
	}
	if err := j.recover(); err != nil {
		if j.active != nil {
			j.active.Close()
		}
		lock.Close()
		return nil, err
	}
	return j, nil
}

// folderListing is what a journal folder holds, by kind.
type folderListing struct {
	segments    []uint64         // first indexes, ascending
	checkpoints []CheckpointInfo // newest first
	leftovers   []string         // temporaries of interrupted writes
}

func listFolder(dir string, logger hclog.Logger) (folderListing, error) {
	var l folderListing
	entries, err := os.ReadDir(dir)
	if err != nil {
		return l, fmt.Errorf("list journal folder %s: %w", dir, err)
	}
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() {
			logger.Warn("ignoring unexpected entry in journal folder", "name", name)
			continue
		}
		if first, ok := parseSegmentName(name); ok {
			l.segments = append(l.segments, first)
			continue
		}
		if index, ok := parseCheckpointName(name); ok {
			info, err := e.Info()
			if err != nil {
				return l, fmt.Errorf("stat %s: %w", filepath.Join(dir, name), err)
			}
			l.checkpoints = append(l.checkpoints, CheckpointInfo{Index: index, Path: filepath.Join(dir, name), Size: info.Size()})
			continue
		}
		if strings.HasSuffix(name, tmpSuffix) && isJournalFileName(name) {
			l.leftovers = append(l.leftovers, name)
			continue
		}
		if name != metaFileName && name != lockFileName {
			logger.Warn("ignoring unexpected file in journal folder", "name", name)
		}
	}
	slices.Sort(l.segments)
	slices.SortFunc(l.checkpoints, func(a, b CheckpointInfo) int { return compareDescending(a.Index, b.Index) })
	return l, nil
}

func compareDescending(a, b uint64) int {
	switch {
	case a > b:
		return -1
	case a < b:
		return 1
	}
	return 0
}

func (j *Journal) recover() error {
	listing, err := listFolder(j.dir, j.logger)
	if err != nil {
		return err
	}
	if len(listing.leftovers) > 0 {
		for _, name := range listing.leftovers {
			if err := os.Remove(filepath.Join(j.dir, name)); err != nil {
				return fmt.Errorf("remove leftover %s: %w", filepath.Join(j.dir, name), err)
			}
			j.logger.Info("removed leftover of an interrupted write", "file", name)
		}
		if err := syncDir(j.dir); err != nil {
			return err
		}
	}

	var lastIndex uint64
	for i, first := range listing.segments {
		if i > 0 && first != lastIndex+1 {
			return fmt.Errorf("%w: segment %s starts at index %d, but the segment before it ends at index %d",
				ErrCorrupt, j.path(segmentName(first)), first, lastIndex)
		}
		if lastIndex, err = j.recoverSegment(first, i == len(listing.segments)-1); err != nil {
			return err
		}
	}

	var newestCheckpoint uint64
	if len(listing.checkpoints) > 0 {
		newestCheckpoint = listing.checkpoints[0].Index
	}
	if len(listing.segments) == 0 {
		// Every segment was removed after checkpoints (or never written):
		// the newest checkpoint is where the journal continues.
		lastIndex = newestCheckpoint
	} else {
		oldest := listing.segments[0]
		if oldest > 1 && newestCheckpoint < oldest-1 {
			return fmt.Errorf("%w: records before index %d are missing: the oldest segment %s starts there and no checkpoint covers them",
				ErrCorrupt, oldest, j.path(segmentName(oldest)))
		}
		if newestCheckpoint > lastIndex {
			return fmt.Errorf("%w: checkpoint %s is ahead of the last journal record (index %d): acknowledged records were lost",
				ErrCorrupt, listing.checkpoints[0].Path, lastIndex)
		}
	}

	if len(listing.segments) == 0 {
		f, err := j.createSegment(lastIndex + 1)
		if err != nil {
			return err
		}
		j.active, j.activeFirst, j.activeSize = f, lastIndex+1, segmentHeaderSize
		listing.segments = []uint64{lastIndex + 1}
	} else {
		first := listing.segments[len(listing.segments)-1]
		path := j.path(segmentName(first))
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return fmt.Errorf("open segment for append: %w", err)
		}
		info, err := f.Stat()
		if err != nil {
			f.Close()
			return fmt.Errorf("stat %s: %w", path, err)
		}
		j.active, j.activeFirst, j.activeSize = f, first, info.Size()
	}

	j.mu.Lock()
	j.lastIndex = lastIndex
	j.segments = listing.segments
	j.checkpoints = listing.checkpoints
	plan := j.planRemovalLocked()
	j.mu.Unlock()
	j.removeFiles(plan)

	j.logger.Info("opened journal", "folder", j.dir, "last_index", lastIndex,
		"segments", len(listing.segments), "checkpoints", len(listing.checkpoints))
	return nil
}

func (j *Journal) path(name string) string { return filepath.Join(j.dir, name) }

// isFrameDamage reports whether err describes damaged bytes rather than a
// failing read.
func isFrameDamage(err error) bool {
	return errors.Is(err, errShortFrame) || errors.Is(err, errBadHeader) || errors.Is(err, errBadPayload)
}

// recoverSegment verifies one segment and returns the index of its last
// record (first-1 when it holds none). Damage in the last segment that can
// only be a torn write is cut off; any other damage is ErrCorrupt.
func (j *Journal) recoverSegment(first uint64, isLast bool) (uint64, error) {
	path := j.path(segmentName(first))
	flag := os.O_RDONLY
	if isLast {
		flag = os.O_RDWR // a torn tail is truncated through this handle
	}
	f, err := os.OpenFile(path, flag, 0)
	if err != nil {
		return 0, fmt.Errorf("open segment: %w", err)
	}
	defer f.Close()
	size, err := readSegmentHeader(f, path, first)
	if err != nil {
		return 0, err
	}

	fr := newFrameReader(f, segmentHeaderSize, size)
	scratch := make([]byte, 0, 64<<10)
	next := first
	for {
		offset := fr.offset
		h, _, err := fr.next(scratch)
		switch {
		case errors.Is(err, io.EOF):
			return next - 1, nil
		case err == nil && h.index != next:
			return 0, fmt.Errorf("%w: %s at byte offset %d: record has index %d, want %d",
				ErrCorrupt, path, offset, h.index, next)
		case err == nil:
			next++
		case !isFrameDamage(err):
			return 0, fmt.Errorf("read %s at byte offset %d: %w", path, offset, err)
		case !isLast:
			return 0, fmt.Errorf("%w: %s at byte offset %d (record %d): %w", ErrCorrupt, path, offset, next, err)
		default:
			return j.cutTornTail(f, path, offset, size, next, err)
		}
	}
}

// readSegmentHeader checks the header of an open segment, leaves f positioned
// after it and returns the file size.
func readSegmentHeader(f *os.File, path string, first uint64) (int64, error) {
	info, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("stat %s: %w", path, err)
	}
	header := make([]byte, segmentHeaderSize)
	if _, err := io.ReadFull(f, header); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, fmt.Errorf("%w: %s is %d bytes, shorter than a segment header", ErrCorrupt, path, info.Size())
		}
		return 0, fmt.Errorf("read %s: %w", path, err)
	}
	headerFirst, err := decodeSegmentHeader(header)
	if errors.Is(err, ErrUnsupportedVersion) {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	if err != nil {
		return 0, fmt.Errorf("%w: %s: %w", ErrCorrupt, path, err)
	}
	if headerFirst != first {
		return 0, fmt.Errorf("%w: %s: header says the first index is %d, the name says %d", ErrCorrupt, path, headerFirst, first)
	}
	return info.Size(), nil
}

// cutTornTail handles damage at offset in the last segment: it truncates the
// file there when the damage can only be a torn write (see laterBatchOffset),
// and returns ErrCorrupt otherwise.
func (j *Journal) cutTornTail(f *os.File, path string, offset, size int64, next uint64, damage error) (uint64, error) {
	tail := make([]byte, size-offset)
	if _, err := f.ReadAt(tail, offset); err != nil {
		return 0, fmt.Errorf("read %s at byte offset %d: %w", path, offset, err)
	}
	if p := laterBatchOffset(tail, next); p >= 0 {
		return 0, fmt.Errorf("%w: %s at byte offset %d (record %d): %w, and a valid record of a later batch follows at byte offset %d",
			ErrCorrupt, path, offset, next, damage, offset+int64(p))
	}
	if err := f.Truncate(offset); err != nil {
		return 0, fmt.Errorf("truncate torn tail of %s at byte offset %d: %w", path, offset, err)
	}
	if err := f.Sync(); err != nil {
		return 0, fmt.Errorf("sync %s after truncating its torn tail: %w", path, err)
	}
	j.logger.Warn("cut off the torn tail of the journal left by a crash",
		"file", path, "offset", offset, "dropped_bytes", size-offset, "reason", damage.Error(), "last_index", next-1)
	return next - 1, nil
}

// createSegment creates the segment whose first record will have index first
// and returns it open for appending. The header is written to a temporary
// file that is renamed into place, so a segment never lacks its header.
func (j *Journal) createSegment(first uint64) (*os.File, error) {
	name := segmentName(first)
	tmp := j.path(name + tmpSuffix)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("create segment: %w", err)
	}
	_, err = f.Write(encodeSegmentHeader(first))
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = os.Rename(tmp, j.path(name))
	}
	if err == nil {
		err = syncDir(j.dir)
	}
	if err != nil {
		f.Close()
		_ = os.Remove(tmp)
		return nil, fmt.Errorf("create segment %s: %w", j.path(name), err)
	}
	return f, nil
}
