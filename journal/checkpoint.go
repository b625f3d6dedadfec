package journal

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
)

const (
	checkpointPrefix = "checkpoint-"
	checkpointSuffix = ".ckpt"
)

// CheckpointInfo describes one checkpoint file: the state after applying
// records 1..Index.
type CheckpointInfo struct {
	Index uint64
	Path  string
	Size  int64
}

func checkpointName(index uint64) string {
	return fmt.Sprintf("%s%016x%s", checkpointPrefix, index, checkpointSuffix)
}

// parseCheckpointName accepts exactly the names checkpointName produces.
func parseCheckpointName(name string) (uint64, bool) {
	rest, ok := strings.CutPrefix(name, checkpointPrefix)
	if !ok {
		return 0, false
	}
	hex, ok := strings.CutSuffix(rest, checkpointSuffix)
	if !ok {
		return 0, false
	}
	return parseFixedHex(hex)
}

// WriteCheckpoint stores a checkpoint of the state after record index. write
// produces its bytes, which the journal does not interpret. The file is
// written under a temporary name, fsynced, renamed into place and the folder
// fsynced, so a crash leaves either no checkpoint or a complete one. Then only
// the newest RetainCheckpoints checkpoints are kept, and segments whose
// records all precede the oldest retained checkpoint are removed.
// An index beyond LastIndex is refused with ErrIndexOutOfRange.
func (j *Journal) WriteCheckpoint(index uint64, write func(w io.Writer) error) (CheckpointInfo, error) {
	j.checkpointMu.Lock()
	defer j.checkpointMu.Unlock()
	j.mu.Lock()
	closed, last := j.closed, j.lastIndex
	j.mu.Unlock()
	if closed {
		return CheckpointInfo{}, ErrClosed
	}
	if index > last {
		return CheckpointInfo{}, fmt.Errorf("write checkpoint at index %d: %w (last index %d)", index, ErrIndexOutOfRange, last)
	}

	path := j.path(checkpointName(index))
	size, err := writeCheckpointFile(path, write)
	if err != nil {
		return CheckpointInfo{}, err
	}
	if err := SyncDir(j.dir); err != nil {
		return CheckpointInfo{}, err
	}
	info := CheckpointInfo{Index: index, Path: path, Size: size}

	j.mu.Lock()
	j.checkpoints = slices.DeleteFunc(j.checkpoints, func(c CheckpointInfo) bool { return c.Index == index })
	at, _ := slices.BinarySearchFunc(j.checkpoints, index, func(c CheckpointInfo, target uint64) int {
		return compareDescending(c.Index, target)
	})
	j.checkpoints = slices.Insert(j.checkpoints, at, info)
	plan := j.planRemovalLocked()
	j.mu.Unlock()
	j.removeFiles(plan)
	return info, nil
}

// writeCheckpointFile writes path via path.tmp and returns its size.
func writeCheckpointFile(path string, write func(w io.Writer) error) (int64, error) {
	tmp := path + tmpSuffix
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return 0, fmt.Errorf("write checkpoint: %w", err)
	}
	buffered := bufio.NewWriterSize(f, readBufferBytes)
	counter := &CountingWriter{W: buffered}
	err = write(counter)
	if err == nil {
		err = buffered.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return 0, fmt.Errorf("write checkpoint %s: %w", path, err)
	}
	return counter.N, nil
}

// CountingWriter passes writes on to W and counts their bytes in N, for
// the sizes that checkpoint and digest logs report.
type CountingWriter struct {
	W io.Writer
	N int64
}

func (c *CountingWriter) Write(p []byte) (int, error) {
	n, err := c.W.Write(p)
	c.N += int64(n)
	return n, err
}

// Checkpoints lists the retained checkpoints, newest first.
func (j *Journal) Checkpoints() ([]CheckpointInfo, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return nil, ErrClosed
	}
	return slices.Clone(j.checkpoints), nil
}

// OpenCheckpoint opens a checkpoint for reading. It returns
// ErrCheckpointNotFound when retention removed it in the meantime.
func (j *Journal) OpenCheckpoint(c CheckpointInfo) (io.ReadCloser, error) {
	j.mu.Lock()
	closed := j.closed
	j.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	// The path is derived from the index rather than taken from c, so a
	// CheckpointInfo cannot point outside the journal folder.
	path := j.path(checkpointName(c.Index))
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("open checkpoint %s: %w", path, ErrCheckpointNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("open checkpoint: %w", err)
	}
	return f, nil
}

// removalPlan names the files retention removes, oldest first so that a crash
// part way leaves a contiguous run of segments.
type removalPlan struct {
	segments    []string
	checkpoints []string
}

// planRemovalLocked drops from the in-memory lists the checkpoints beyond
// RetainCheckpoints and the segments whose records all precede the oldest
// retained checkpoint, and returns their file names. The active segment is
// never removed, and no segment is removed while a Replay may be reading it
// (the next checkpoint or Open removes it). Callers hold j.mu.
func (j *Journal) planRemovalLocked() removalPlan {
	var plan removalPlan
	if keep := j.opts.RetainCheckpoints; len(j.checkpoints) > keep {
		for i := len(j.checkpoints) - 1; i >= keep; i-- {
			plan.checkpoints = append(plan.checkpoints, checkpointName(j.checkpoints[i].Index))
		}
		j.checkpoints = slices.Clone(j.checkpoints[:keep])
	}
	if len(j.checkpoints) == 0 || j.replays > 0 {
		return plan
	}
	oldestKept := j.checkpoints[len(j.checkpoints)-1].Index
	removable := 0
	// Segment i holds records segments[i] .. segments[i+1]-1.
	for removable+1 < len(j.segments) && j.segments[removable+1]-1 <= oldestKept {
		plan.segments = append(plan.segments, segmentName(j.segments[removable]))
		removable++
	}
	j.segments = slices.Clone(j.segments[removable:])
	return plan
}

// removeFiles carries out a removal plan. Failures are logged, not returned:
// the checkpoint that triggered the removal is already durable, and the files
// are found again and removed by the next Open.
func (j *Journal) removeFiles(plan removalPlan) {
	if len(plan.segments) == 0 && len(plan.checkpoints) == 0 {
		return
	}
	for _, name := range append(plan.segments, plan.checkpoints...) {
		if err := os.Remove(j.path(name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			j.logger.Warn("could not remove journal file no longer needed", "file", j.path(name), "error", err)
		}
	}
	if err := SyncDir(j.dir); err != nil {
		j.logger.Warn("could not sync journal folder after removing files", "error", err)
	}
	j.logger.Debug("removed journal files no longer needed",
		"segments", len(plan.segments), "checkpoints", len(plan.checkpoints))
}
