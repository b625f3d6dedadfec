package journal

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestCheckpointWriteAndRead(t *testing.T) {
	dir := formatTestDir(t)
	j := openTestJournal(t, Options{Dir: dir})
	appendTestBatches(t, j, 10)

	if _, err := j.WriteCheckpoint(11, func(io.Writer) error { return nil }); !errors.Is(err, ErrIndexOutOfRange) {
		t.Errorf("WriteCheckpoint(11) with last index 10: error = %v, want ErrIndexOutOfRange", err)
	}
	failure := errors.New("encoder failed")
	if _, err := j.WriteCheckpoint(5, func(w io.Writer) error { w.Write([]byte("half")); return failure }); !errors.Is(err, failure) {
		t.Errorf("WriteCheckpoint with a failing writer: error = %v, want the writer's error", err)
	}
	if got := checkpointIndexes(t, dir); len(got) != 0 {
		t.Errorf("a failed checkpoint left files for indexes %v", got)
	}
	if _, err := os.Stat(filepath.Join(dir, checkpointName(5)+tmpSuffix)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed checkpoint left its temporary file (stat error %v)", err)
	}

	info := writeTestCheckpoint(t, j, 7)
	want := CheckpointInfo{Index: 7, Path: filepath.Join(dir, checkpointName(7)), Size: int64(len(testCheckpointBytes(7)))}
	if info != want {
		t.Errorf("WriteCheckpoint = %+v, want %+v", info, want)
	}
	if got := j.EntriesSinceCheckpoint(); got != 3 {
		t.Errorf("EntriesSinceCheckpoint() = %d, want 3", got)
	}
	mustClose(t, j)

	j = openTestJournal(t, Options{Dir: dir})
	ckpts, err := j.Checkpoints()
	if err != nil || !slices.Equal(ckpts, []CheckpointInfo{want}) {
		t.Fatalf("Checkpoints() after reopen = %+v, %v; want [%+v]", ckpts, err, want)
	}
	r, err := j.OpenCheckpoint(ckpts[0])
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil || !bytes.Equal(got, testCheckpointBytes(7)) {
		t.Errorf("checkpoint content = %q, %v; want %q", got, err, testCheckpointBytes(7))
	}
	if _, err := j.OpenCheckpoint(CheckpointInfo{Index: 3}); !errors.Is(err, ErrCheckpointNotFound) {
		t.Errorf("OpenCheckpoint of a missing checkpoint: error = %v, want ErrCheckpointNotFound", err)
	}
}

// TestCheckpointRetentionAndSegmentGC writes checkpoints while appending over
// many small segments and checks after each one that the newest
// RetainCheckpoints checkpoints are kept, that exactly the segments holding
// only records up to the oldest retained checkpoint are gone, and that replay
// from every retained checkpoint still works, also after a reopen.
func TestCheckpointRetentionAndSegmentGC(t *testing.T) {
	for _, retain := range []int{1, 2, 3} {
		t.Run(fmt.Sprintf("retain=%d", retain), func(t *testing.T) {
			dir := formatTestDir(t)
			opts := Options{Dir: dir, SegmentBytes: 400, RetainCheckpoints: retain}
			j := openTestJournal(t, opts)
			var written []uint64
			for round := 0; round < 6; round++ {
				last := appendTestBatches(t, j, 3, 3, 3, 3, 3, 3)
				// Checkpoint a little behind the head, as a server applying
				// asynchronously would.
				index := last - uint64(round%3)
				writeTestCheckpoint(t, j, index)
				written = append(written, index)

				wantCkpts := slices.Clone(written)
				slices.Reverse(wantCkpts)
				wantCkpts = wantCkpts[:min(retain, len(wantCkpts))]
				if got := checkpointIndexes(t, dir); !slices.Equal(got, wantCkpts) {
					t.Fatalf("round %d: checkpoint files %v, want %v", round, got, wantCkpts)
				}
				oldestKept := wantCkpts[len(wantCkpts)-1]
				segs := segmentFirsts(t, dir)
				if segs[0] > oldestKept+1 {
					t.Fatalf("round %d: oldest segment starts at %d, but records after checkpoint %d are needed", round, segs[0], oldestKept)
				}
				if len(segs) > 1 && segs[1]-1 <= oldestKept {
					t.Fatalf("round %d: segment %d holds only records up to %d <= %d and should be gone", round, segs[0], segs[1]-1, oldestKept)
				}
				for _, c := range wantCkpts {
					checkReplay(t, j, c, last)
				}
				if segs[0] > 1 {
					if err := j.Replay(segs[0]-2, func(uint64, []byte) error { return nil }); !errors.Is(err, ErrCompacted) {
						t.Fatalf("round %d: Replay before the oldest segment: error = %v, want ErrCompacted", round, err)
					}
				}
			}
			last := j.LastIndex()
			mustClose(t, j)

			j = openTestJournal(t, opts)
			if j.LastIndex() != last {
				t.Fatalf("after reopen LastIndex() = %d, want %d", j.LastIndex(), last)
			}
			ckpts, _ := j.Checkpoints()
			checkReplay(t, j, ckpts[len(ckpts)-1].Index, last)
		})
	}
}

func TestReopenAfterAllSegmentsRemoved(t *testing.T) {
	tests := []struct {
		name string
		// removeAll deletes every segment file by hand after the checkpoint;
		// otherwise only retention removes them (it keeps the active one).
		removeAll bool
	}{
		{name: "retention keeps only the active segment"},
		{name: "every segment file gone", removeAll: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := formatTestDir(t)
			opts := Options{Dir: dir, SegmentBytes: 300, RetainCheckpoints: 1}
			j := openTestJournal(t, opts)
			last := appendTestBatches(t, j, 5, 5, 5, 5, 5)
			writeTestCheckpoint(t, j, last)
			if segs := segmentFirsts(t, dir); len(segs) != 1 {
				t.Fatalf("segments %v after a checkpoint at the last index, want only the active one", segs)
			}
			mustClose(t, j)
			if tt.removeAll {
				for _, first := range segmentFirsts(t, dir) {
					if err := os.Remove(filepath.Join(dir, segmentName(first))); err != nil {
						t.Fatal(err)
					}
				}
			}

			j = openTestJournal(t, opts)
			if j.LastIndex() != last {
				t.Fatalf("after reopen LastIndex() = %d, want %d", j.LastIndex(), last)
			}
			if got := j.EntriesSinceCheckpoint(); got != 0 {
				t.Errorf("EntriesSinceCheckpoint() = %d, want 0", got)
			}
			appendTestBatches(t, j, 2)
			checkReplay(t, j, last, last+2)
			mustClose(t, j)

			j = openTestJournal(t, opts)
			checkReplay(t, j, last, last+2)
		})
	}
}

// TestSegmentsKeptWhileReplaying checks that retention does not remove a
// segment out from under a Replay in flight, and removes it at the next
// checkpoint after the replay ends.
func TestSegmentsKeptWhileReplaying(t *testing.T) {
	dir := formatTestDir(t)
	j := openTestJournal(t, Options{Dir: dir, SegmentBytes: 300, RetainCheckpoints: 1})
	last := appendTestBatches(t, j, 4, 4, 4, 4, 4, 4)
	segsBefore := segmentFirsts(t, dir)

	inReplay := make(chan struct{})
	release := make(chan struct{})
	replayErr := make(chan error, 1)
	go func() {
		first := true
		replayErr <- j.Replay(0, func(index uint64, rec []byte) error {
			if first {
				first = false
				close(inReplay)
				<-release
			}
			if !bytes.Equal(rec, testRecord(index)) {
				return errors.New("wrong record content")
			}
			return nil
		})
	}()
	<-inReplay
	writeTestCheckpoint(t, j, last)
	if got := segmentFirsts(t, dir); !slices.Equal(got, segsBefore) {
		t.Errorf("segments %v removed during a replay, want %v kept", got, segsBefore)
	}
	close(release)
	if err := <-replayErr; err != nil {
		t.Fatalf("Replay: %v", err)
	}
	writeTestCheckpoint(t, j, last)
	if got := segmentFirsts(t, dir); len(got) != 1 {
		t.Errorf("segments %v after the replay ended and another checkpoint, want only the active one", got)
	}
}
