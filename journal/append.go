package journal

import (
	"fmt"
	"math"
)

// maxRetainedFrameBuf bounds the encoding buffer kept between batches, so one
// huge batch does not pin its memory for the life of the journal.
const maxRetainedFrameBuf = 4 << 20

// AppendBatch appends recs as records first..first+len(recs)-1 with one write
// and one fsync, and returns first once they are durable. It must not be
// called concurrently with itself. An empty batch writes nothing and returns
// the index the next record will get.
//
// After a failed write or fsync every later call returns ErrWriteFailed: what
// reached the disk is unknown until Open recovers the folder, and records of
// the failed batch may or may not be found there.
func (j *Journal) AppendBatch(recs [][]byte) (first uint64, err error) {
	j.writeMu.Lock()
	defer j.writeMu.Unlock()
	j.mu.Lock()
	closed, first := j.closed, j.lastIndex+1
	j.mu.Unlock()
	if closed {
		return 0, ErrClosed
	}
	if j.writeErr != nil {
		return 0, fmt.Errorf("%w: %w", ErrWriteFailed, j.writeErr)
	}
	if len(recs) == 0 {
		return first, nil
	}
	if uint64(len(recs)) > math.MaxUint64-first {
		return 0, fmt.Errorf("%w: %d records after index %d overflow the index space", ErrIndexOutOfRange, len(recs), first-1)
	}
	for i, rec := range recs {
		if len(rec) > MaxRecordBytes {
			return 0, fmt.Errorf("%w: record %d of the batch is %d bytes, at most %d", ErrRecordTooLarge, i, len(rec), MaxRecordBytes)
		}
	}

	// Switch segments only when the active one holds records, so two
	// segments never share a first index.
	if first > j.activeFirst && j.activeSize >= j.opts.SegmentBytes {
		if err := j.rotate(first); err != nil {
			j.writeErr = err
			return 0, err
		}
	}

	buf := j.frameBuf[:0]
	for i, rec := range recs {
		buf = encodeFrame(buf, first+uint64(i), uint32(i), rec)
	}
	if cap(buf) <= maxRetainedFrameBuf {
		j.frameBuf = buf
	}
	last := first + uint64(len(recs)) - 1
	if _, err := j.active.Write(buf); err != nil {
		j.writeErr = fmt.Errorf("write records %d..%d to %s: %w", first, last, j.active.Name(), err)
		return 0, j.writeErr
	}
	if err := j.active.Sync(); err != nil {
		j.writeErr = fmt.Errorf("fsync records %d..%d in %s: %w", first, last, j.active.Name(), err)
		return 0, j.writeErr
	}
	j.activeSize += int64(len(buf))

	j.mu.Lock()
	j.lastIndex = last
	j.mu.Unlock()
	return first, nil
}

// rotate starts a new segment whose first record will be first. The old
// segment's records are already fsynced, so it is simply closed.
func (j *Journal) rotate(first uint64) error {
	f, err := j.createSegment(first)
	if err != nil {
		return err
	}
	old := j.active
	j.active, j.activeFirst, j.activeSize = f, first, segmentHeaderSize
	j.mu.Lock()
	j.segments = append(j.segments, first)
	j.mu.Unlock()
	if err := old.Close(); err != nil {
		j.logger.Warn("could not close full segment", "file", old.Name(), "error", err)
	}
	return nil
}
