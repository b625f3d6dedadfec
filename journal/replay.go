package journal

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
)

// Replay calls fn for every record with index > after, in index order, up to
// the LastIndex at the time of the call. rec is a fresh slice fn may keep.
// Records are verified again as they are read; damage is ErrCorrupt. An error
// from fn stops the replay and is returned as is.
//
// It returns ErrCompacted when records after `after` were removed following a
// checkpoint, and ErrIndexOutOfRange when after > LastIndex. Replay may run
// concurrently with AppendBatch and WriteCheckpoint; segments are not removed
// while it runs.
func (j *Journal) Replay(after uint64, fn func(index uint64, rec []byte) error) error {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return ErrClosed
	}
	last := j.lastIndex
	if after >= last {
		j.mu.Unlock()
		if after > last {
			return fmt.Errorf("replay after index %d: %w (last index %d)", after, ErrIndexOutOfRange, last)
		}
		return nil
	}
	if oldest := j.segments[0]; after+1 < oldest {
		j.mu.Unlock()
		return fmt.Errorf("replay after index %d: %w; the oldest record kept is %d", after, ErrCompacted, oldest)
	}
	start := sort.Search(len(j.segments), func(i int) bool { return j.segments[i] > after+1 }) - 1
	segments := slices.Clone(j.segments[start:])
	j.replays++
	j.mu.Unlock()
	defer func() {
		j.mu.Lock()
		j.replays--
		j.mu.Unlock()
	}()

	next := segments[0]
	for _, first := range segments {
		if next > last {
			break
		}
		if first != next {
			return fmt.Errorf("%w: segment %s starts at index %d, want %d", ErrCorrupt, j.path(segmentName(first)), first, next)
		}
		var err error
		if next, err = j.replaySegment(first, after, last, fn); err != nil {
			return err
		}
	}
	if next <= last {
		return fmt.Errorf("%w: the journal ends at index %d, want %d", ErrCorrupt, next-1, last)
	}
	return nil
}

// replaySegment replays the records of one segment that lie in
// (after, last] and returns the index after the last record it read.
func (j *Journal) replaySegment(first, after, last uint64, fn func(uint64, []byte) error) (uint64, error) {
	path := j.path(segmentName(first))
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("replay: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("replay: %w", err)
	}
	size := info.Size()
	if err := checkSegmentHeader(f, size, path, first); err != nil {
		return 0, err
	}
	fr := newFrameReader(io.NewSectionReader(f, segmentHeaderSize, size-segmentHeaderSize), segmentHeaderSize, size)
	next := first
	for next <= last {
		offset := fr.offset
		h, rec, err := fr.next(nil)
		switch {
		case errors.Is(err, io.EOF):
			return next, nil
		case err != nil && isFrameDamage(err):
			return 0, fmt.Errorf("%w: %s at byte offset %d (record %d): %w", ErrCorrupt, path, offset, next, err)
		case err != nil:
			return 0, fmt.Errorf("replay %s at byte offset %d: %w", path, offset, err)
		case h.index != next:
			return 0, fmt.Errorf("%w: %s at byte offset %d: record has index %d, want %d", ErrCorrupt, path, offset, h.index, next)
		}
		if next > after {
			if err := fn(next, rec); err != nil {
				return 0, err
			}
		}
		next++
	}
	return next, nil
}
