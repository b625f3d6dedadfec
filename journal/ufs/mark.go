package ufs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/halo-fs/halo/ufs"
)

// The compacted mark is the highest sequence number whose batch may have
// been deleted. Several masters collect at once (the leader after the
// checkpoints it is asked for, every standby after its periodic ones), and
// no store offers compare-and-swap, so the mark cannot be one object that
// each collector overwrites: one paused between reading and writing it
// would lower it below batches a faster one already deleted. Instead each
// raise creates compactions/<seq as 16 hex> only if it is absent, and the
// mark is the highest such name: a raise can never lower it. Old marks
// are deleted only below a higher one the deleter listed, so the highest
// is never removed.
const (
	marksDir = "compactions"
	// legacyMarkName is the single overwritten mark of journals written
	// by earlier versions; Open carries it over.
	legacyMarkName = "compacted"
	markHeading    = "halo journal compacted through"
)

func markPath(seq uint64) string { return marksDir + "/" + seqName(seq) }

func markText(seq uint64) []byte { return []byte(markHeading + " " + seqName(seq) + "\n") }

// Compacted returns the compacted mark: every batch at or below it may have
// been deleted, and none may be written there. 0 when nothing was collected.
// A mark object that Halo did not write is an error wrapping ErrCorrupt.
func (j *Journal) Compacted(ctx context.Context) (uint64, error) {
	// A mark listed but gone when read was pruned below a higher one:
	// list again.
	for attempt := 0; ; attempt++ {
		marks, err := j.listMarks(ctx)
		if err != nil || len(marks) == 0 {
			return j.verifiedMark.Load(), err
		}
		highest := marks[len(marks)-1]
		if highest <= j.verifiedMark.Load() {
			return j.verifiedMark.Load(), nil
		}
		err = j.verifyMark(ctx, highest)
		if errors.Is(err, ufs.ErrNotFound) && attempt < 3 {
			continue
		}
		if err != nil {
			return 0, err
		}
		j.noteMark(highest)
		return highest, nil
	}
}

// noteMark remembers seq as a verified mark; marks only grow, so the
// highest one seen is a lower bound of every later reading.
func (j *Journal) noteMark(seq uint64) {
	for {
		old := j.verifiedMark.Load()
		if seq <= old || j.verifiedMark.CompareAndSwap(old, seq) {
			return
		}
	}
}

// listMarks returns the marks' sequence numbers in ascending order.
func (j *Journal) listMarks(ctx context.Context) ([]uint64, error) {
	return j.listSeqs(ctx, marksDir, "compacted marks")
}

func (j *Journal) verifyMark(ctx context.Context, seq uint64) error {
	loc := ufs.Join(j.store.URI(), markPath(seq))
	data, err := ufs.ReadFile(ctx, j.store, markPath(seq))
	if err != nil {
		return fmt.Errorf("read the compacted mark %s: %w", loc, err)
	}
	if !bytes.Equal(data, markText(seq)) {
		return fmt.Errorf("%s: %w", loc, corrupt("not a compacted mark written by Halo (it holds %q)", truncate(data, 64)))
	}
	return nil
}

func truncate(b []byte, n int) []byte { return b[:min(len(b), n)] }

// raiseMark makes the mark at least seq. Another collector's mark at seq
// is as good as this one's.
func (j *Journal) raiseMark(ctx context.Context, seq uint64) error {
	err := ufs.WriteFile(ctx, j.store, markPath(seq), markText(seq), ufs.CreateOptions{})
	if err != nil && !errors.Is(err, ufs.ErrExists) {
		return fmt.Errorf("raise the compacted mark to %d: %w", seq, err)
	}
	return nil
}

// pruneMarks deletes the marks below the highest it lists and returns how
// many it deleted.
func (j *Journal) pruneMarks(ctx context.Context) (int, error) {
	marks, err := j.listMarks(ctx)
	if err != nil || len(marks) < 2 {
		return 0, err
	}
	deleted := 0
	for _, seq := range marks[:len(marks)-1] {
		if err := j.store.Delete(ctx, markPath(seq)); err != nil && !errors.Is(err, ufs.ErrNotFound) {
			return deleted, fmt.Errorf("delete old compacted mark %s: %w", ufs.Join(j.store.URI(), markPath(seq)), err)
		}
		deleted++
	}
	return deleted, nil
}

// carryLegacyMark raises the mark to the one a journal written by an
// earlier version keeps in its single overwritten object, so that batches
// it collected stay collected.
func (j *Journal) carryLegacyMark(ctx context.Context) error {
	data, err := ufs.ReadFile(ctx, j.store, legacyMarkName)
	if errors.Is(err, ufs.ErrNotFound) {
		return nil
	}
	loc := ufs.Join(j.store.URI(), legacyMarkName)
	if err != nil {
		return fmt.Errorf("read %s: %w", loc, err)
	}
	seq, ok := parseSeqName(strings.TrimSpace(string(data)))
	if !ok {
		return fmt.Errorf("%s: %w", loc, corrupt("%q is not a sequence number", truncate(data, 64)))
	}
	mark, err := j.Compacted(ctx)
	if err != nil || mark >= seq {
		return err
	}
	return j.raiseMark(ctx, seq)
}

// checkNotCompacted fails with ErrCompacted if batch seq may have been
// collected.
func (j *Journal) checkNotCompacted(ctx context.Context, seq uint64) error {
	floor := j.verifiedMark.Load()
	if seq > floor {
		var err error
		if floor, err = j.Compacted(ctx); err != nil {
			return err
		}
	}
	if seq <= floor {
		return fmt.Errorf("batch %d (compacted through %d): %w", seq, floor, ErrCompacted)
	}
	return nil
}
