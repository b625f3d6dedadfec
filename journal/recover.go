package journal

import (
	"errors"
	"fmt"
	"io"
	"math"
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
	if err := j.removeLeftovers(listing.leftovers); err != nil {
		return err
	}
	lastIndex, err := j.recoverSegments(listing.segments)
	if err != nil {
		return err
	}
	if len(listing.segments) == 0 && len(listing.checkpoints) > 0 {
		// Every segment was removed after checkpoints: the newest
		// checkpoint is where the journal continues.
		lastIndex = listing.checkpoints[0].Index
	}
	if err := j.checkCoverage(listing, lastIndex); err != nil {
		return err
	}
	segments, err := j.openActive(listing.segments, lastIndex)
	if err != nil {
		return err
	}

	j.mu.Lock()
	j.lastIndex = lastIndex
	j.segments = segments
	j.checkpoints = listing.checkpoints
	plan := j.planRemovalLocked()
	j.mu.Unlock()
	j.removeFiles(plan)

	j.logger.Info("opened journal", "folder", j.dir, "last_index", lastIndex,
		"segments", len(segments), "checkpoints", len(listing.checkpoints))
	return nil
}

func (j *Journal) removeLeftovers(names []string) error {
	if len(names) == 0 {
		return nil
	}
	for _, name := range names {
		if err := os.Remove(j.path(name)); err != nil {
			return fmt.Errorf("remove leftover %s: %w", j.path(name), err)
		}
		j.logger.Info("removed leftover of an interrupted write", "file", name)
	}
	return SyncDir(j.dir)
}

// recoverSegments verifies the segments in order and that their indexes run
// on from one to the next, and returns the last index they hold (0 when
// there are none).
func (j *Journal) recoverSegments(segments []uint64) (uint64, error) {
	var lastIndex uint64
	for i, first := range segments {
		if first == 0 {
			return 0, fmt.Errorf("%w: segment %s: indexes start at 1", ErrCorrupt, j.path(segmentName(first)))
		}
		if i > 0 && first != lastIndex+1 {
			return 0, fmt.Errorf("%w: segment %s starts at index %d, but the segment before it ends at index %d",
				ErrCorrupt, j.path(segmentName(first)), first, lastIndex)
		}
		var err error
		if lastIndex, err = j.recoverSegment(first, i == len(segments)-1); err != nil {
			return 0, err
		}
	}
	return lastIndex, nil
}

// checkCoverage refuses a folder whose segments and checkpoints do not
// describe one unbroken history: records missing before the oldest segment,
// or a checkpoint of records the segments no longer hold.
func (j *Journal) checkCoverage(listing folderListing, lastIndex uint64) error {
	if lastIndex == math.MaxUint64 {
		return fmt.Errorf("%w: the last index is %d, no room for another record", ErrCorrupt, lastIndex)
	}
	if len(listing.segments) == 0 {
		return nil
	}
	var newestCheckpoint uint64
	if len(listing.checkpoints) > 0 {
		newestCheckpoint = listing.checkpoints[0].Index
	}
	if oldest := listing.segments[0]; oldest > 1 && newestCheckpoint < oldest-1 {
		return fmt.Errorf("%w: records before index %d are missing: the oldest segment %s starts there and no checkpoint covers them",
			ErrCorrupt, oldest, j.path(segmentName(oldest)))
	}
	if newestCheckpoint > lastIndex {
		return fmt.Errorf("%w: checkpoint %s is ahead of the last journal record (index %d): acknowledged records were lost",
			ErrCorrupt, listing.checkpoints[0].Path, lastIndex)
	}
	return nil
}

// openActive opens the last segment for appending, or creates the first
// one, and returns the segment list including it.
func (j *Journal) openActive(segments []uint64, lastIndex uint64) ([]uint64, error) {
	if len(segments) == 0 {
		f, err := j.createSegment(lastIndex + 1)
		if err != nil {
			return nil, err
		}
		j.active, j.activeFirst, j.activeSize = f, lastIndex+1, segmentHeaderSize
		return []uint64{lastIndex + 1}, nil
	}
	first := segments[len(segments)-1]
	path := j.path(segmentName(first))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return nil, fmt.Errorf("open segment for append: %w", err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("stat %s: %w", path, err)
	}
	j.active, j.activeFirst, j.activeSize = f, first, info.Size()
	return segments, nil
}

func (j *Journal) path(name string) string { return filepath.Join(j.dir, name) }

// isFrameDamage reports whether err describes damaged bytes rather than a
// failing read.
func isFrameDamage(err error) bool {
	return errors.Is(err, errShortFrame) || errors.Is(err, errBadHeader) || errors.Is(err, errBadPayload)
}

// recoverSegment verifies one segment and returns the index of its last
// record (first-1 when it holds none), cutting off a torn tail of the last
// segment.
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
	info, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("stat %s: %w", path, err)
	}
	scan, err := scanSegment(f, info.Size(), path, first, isLast)
	if err != nil || scan.tornAt < 0 {
		return scan.last, err
	}
	if err := f.Truncate(scan.tornAt); err != nil {
		return 0, fmt.Errorf("truncate torn tail of %s at byte offset %d: %w", path, scan.tornAt, err)
	}
	if err := f.Sync(); err != nil {
		return 0, fmt.Errorf("sync %s after truncating its torn tail: %w", path, err)
	}
	j.logger.Warn("cut off the torn tail of the journal left by a crash",
		"file", path, "offset", scan.tornAt, "dropped_bytes", info.Size()-scan.tornAt,
		"reason", scan.damage.Error(), "last_index", scan.last)
	return scan.last, nil
}

// segmentScan is what scanSegment found in one segment.
type segmentScan struct {
	last   uint64 // index of the last intact record; first-1 when there is none
	tornAt int64  // byte offset where a torn tail starts, to be cut off; -1 when there is none
	damage error  // what is wrong at tornAt
}

// scanSegment verifies the segment in r (size bytes, named path, expected to
// start at index first). Damage is ErrCorrupt, except in the last segment
// when it can only be a torn write (see laterBatchOffset): then tornAt says
// where the file must be cut. It only reads; the caller does the cutting.
func scanSegment(r io.ReaderAt, size int64, path string, first uint64, isLast bool) (segmentScan, error) {
	if err := checkSegmentHeader(r, size, path, first); err != nil {
		return segmentScan{}, err
	}
	fr := newFrameReader(io.NewSectionReader(r, segmentHeaderSize, size-segmentHeaderSize), segmentHeaderSize, size)
	scratch := make([]byte, 0, 64<<10)
	next := first
	for {
		offset := fr.offset
		h, _, err := fr.next(scratch)
		switch {
		case errors.Is(err, io.EOF):
			return segmentScan{last: next - 1, tornAt: -1}, nil
		case err == nil && h.index != next:
			return segmentScan{}, fmt.Errorf("%w: %s at byte offset %d: record has index %d, want %d",
				ErrCorrupt, path, offset, h.index, next)
		case err == nil:
			next++
		case !isFrameDamage(err):
			return segmentScan{}, fmt.Errorf("read %s at byte offset %d: %w", path, offset, err)
		case !isLast:
			return segmentScan{}, fmt.Errorf("%w: %s at byte offset %d (record %d): %w", ErrCorrupt, path, offset, next, err)
		default:
			tail := make([]byte, size-offset)
			if _, err := r.ReadAt(tail, offset); err != nil {
				return segmentScan{}, fmt.Errorf("read %s at byte offset %d: %w", path, offset, err)
			}
			if p := laterBatchOffset(tail, next); p >= 0 {
				return segmentScan{}, fmt.Errorf("%w: %s at byte offset %d (record %d): %w, and a valid record of a later batch follows at byte offset %d",
					ErrCorrupt, path, offset, next, err, offset+int64(p))
			}
			return segmentScan{last: next - 1, tornAt: offset, damage: err}, nil
		}
	}
}

// checkSegmentHeader verifies the header of a segment of size bytes.
func checkSegmentHeader(r io.ReaderAt, size int64, path string, first uint64) error {
	if size < segmentHeaderSize {
		return fmt.Errorf("%w: %s is %d bytes, shorter than a segment header", ErrCorrupt, path, size)
	}
	header := make([]byte, segmentHeaderSize)
	if _, err := r.ReadAt(header, 0); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	headerFirst, err := decodeSegmentHeader(header)
	if errors.Is(err, ErrUnsupportedVersion) {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrCorrupt, path, err)
	}
	if headerFirst != first {
		return fmt.Errorf("%w: %s: header says the first index is %d, the name says %d", ErrCorrupt, path, headerFirst, first)
	}
	return nil
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
		err = SyncDir(j.dir)
	}
	if err != nil {
		f.Close()
		_ = os.Remove(tmp)
		return nil, fmt.Errorf("create segment %s: %w", j.path(name), err)
	}
	return f, nil
}
