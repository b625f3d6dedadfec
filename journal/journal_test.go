package journal

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
)

func TestOptionsDefaultsAndValidation(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		wantErr bool
		want    Options
	}{
		{name: "defaults", opts: Options{Dir: "d"}, want: Options{Dir: "d", SegmentBytes: DefaultSegmentBytes, RetainCheckpoints: DefaultRetainCheckpoints}},
		{name: "explicit", opts: Options{Dir: "d", SegmentBytes: 4096, RetainCheckpoints: 5}, want: Options{Dir: "d", SegmentBytes: 4096, RetainCheckpoints: 5}},
		{name: "no dir", opts: Options{}, wantErr: true},
		{name: "negative segment size", opts: Options{Dir: "d", SegmentBytes: -1}, wantErr: true},
		{name: "negative retention", opts: Options{Dir: "d", RetainCheckpoints: -1}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.opts.withDefaults()
			if tt.wantErr {
				if !errors.Is(err, ErrInvalidOptions) {
					t.Fatalf("withDefaults() error = %v, want ErrInvalidOptions", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Logger == nil {
				t.Error("Logger not defaulted")
			}
			got.Logger = nil
			if got != tt.want {
				t.Errorf("withDefaults() = %+v, want %+v", got, tt.want)
			}
		})
	}
	if _, err := Open(Options{}); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("Open(Options{}) error = %v, want ErrInvalidOptions", err)
	}
}

func TestAppendReopenRoundTrip(t *testing.T) {
	tests := []struct {
		name    string
		batches []int
	}{
		{name: "one record", batches: []int{1}},
		{name: "single records", batches: []int{1, 1, 1, 1, 1, 1, 1}},
		{name: "one big batch", batches: []int{500}},
		{name: "mixed", batches: []int{3, 1, 64, 2, 17}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := formatTestDir(t)
			j := openTestJournal(t, Options{Dir: dir})
			if got := j.ClusterID(); got != testClusterID {
				t.Errorf("ClusterID() = %q, want %q", got, testClusterID)
			}
			last := appendTestBatches(t, j, tt.batches...)
			want := uint64(0)
			for _, n := range tt.batches {
				want += uint64(n)
			}
			if last != want {
				t.Fatalf("LastIndex() = %d, want %d", last, want)
			}
			checkReplay(t, j, 0, want)
			mustClose(t, j)

			j = openTestJournal(t, Options{Dir: dir})
			if got := j.LastIndex(); got != want {
				t.Fatalf("after reopen LastIndex() = %d, want %d", got, want)
			}
			checkReplay(t, j, 0, want)
			// Appending after a reopen continues the index sequence.
			appendTestBatches(t, j, 2)
			checkReplay(t, j, want, want+2)
		})
	}
}

func TestAppendEmptyAndOddRecords(t *testing.T) {
	j := openTestJournal(t, Options{Dir: formatTestDir(t)})
	first, err := j.AppendBatch(nil)
	if err != nil || first != 1 || j.LastIndex() != 0 {
		t.Fatalf("AppendBatch(nil) = %d, %v with LastIndex %d; want 1, nil, 0", first, err, j.LastIndex())
	}
	recs := [][]byte{{}, []byte("x"), nil, bytes.Repeat([]byte{0}, 1000)}
	if _, err := j.AppendBatch(recs); err != nil {
		t.Fatal(err)
	}
	var got [][]byte
	if err := j.Replay(0, func(_ uint64, rec []byte) error { got = append(got, rec); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(recs) {
		t.Fatalf("replayed %d records, want %d", len(got), len(recs))
	}
	for i := range recs {
		if !bytes.Equal(got[i], recs[i]) {
			t.Errorf("record %d = %q, want %q", i+1, got[i], recs[i])
		}
	}
}

func TestAppendRefusesTooLargeRecord(t *testing.T) {
	j := openTestJournal(t, Options{Dir: formatTestDir(t)})
	_, err := j.AppendBatch([][]byte{[]byte("ok"), make([]byte, MaxRecordBytes+1)})
	if !errors.Is(err, ErrRecordTooLarge) {
		t.Fatalf("AppendBatch error = %v, want ErrRecordTooLarge", err)
	}
	if j.LastIndex() != 0 {
		t.Fatalf("LastIndex() = %d after a refused batch, want 0", j.LastIndex())
	}
	// A refused batch is not a write failure: the journal still works.
	appendTestBatches(t, j, 1)
}

func TestRotationAcrossManySegments(t *testing.T) {
	dir := formatTestDir(t)
	j := openTestJournal(t, Options{Dir: dir, SegmentBytes: 512})
	batches := make([]int, 150)
	for i := range batches {
		batches[i] = i%5 + 1
	}
	last := appendTestBatches(t, j, batches...)

	firsts := segmentFirsts(t, dir)
	if len(firsts) < 50 {
		t.Fatalf("%d segments, want at least 50 with 512-byte segments", len(firsts))
	}
	if firsts[0] != 1 {
		t.Errorf("first segment starts at %d, want 1", firsts[0])
	}
	mustClose(t, j)

	j = openTestJournal(t, Options{Dir: dir, SegmentBytes: 512})
	if j.LastIndex() != last {
		t.Fatalf("after reopen LastIndex() = %d, want %d", j.LastIndex(), last)
	}
	// Start replays at, just before and just after segment boundaries.
	for _, after := range []uint64{0, 1, firsts[1] - 2, firsts[1] - 1, firsts[1], firsts[len(firsts)/2] - 1, last - 1, last} {
		t.Run(fmt.Sprintf("after=%d", after), func(t *testing.T) {
			checkReplay(t, j, after, last)
		})
	}
}

func TestReplayBoundsAndCallbackError(t *testing.T) {
	j := openTestJournal(t, Options{Dir: formatTestDir(t)})
	appendTestBatches(t, j, 10)

	if err := j.Replay(11, func(uint64, []byte) error { return nil }); !errors.Is(err, ErrIndexOutOfRange) {
		t.Errorf("Replay(11) error = %v, want ErrIndexOutOfRange", err)
	}
	called := false
	if err := j.Replay(10, func(uint64, []byte) error { called = true; return nil }); err != nil || called {
		t.Errorf("Replay(10) = %v, called %v; want nil, false", err, called)
	}
	stop := errors.New("stop")
	var seen []uint64
	err := j.Replay(0, func(index uint64, _ []byte) error {
		seen = append(seen, index)
		if index == 4 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Errorf("Replay error = %v, want the callback's error", err)
	}
	if len(seen) != 4 {
		t.Errorf("callback saw %v, want indexes 1..4", seen)
	}
}

func TestOpenLocksFolder(t *testing.T) {
	dir := formatTestDir(t)
	j := openTestJournal(t, Options{Dir: dir})
	if _, err := Open(Options{Dir: dir}); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open error = %v, want ErrLocked", err)
	}
	if err := Format(dir, "other"); !errors.Is(err, ErrLocked) {
		t.Fatalf("Format of an open journal error = %v, want ErrLocked", err)
	}
	mustClose(t, j)
	openTestJournal(t, Options{Dir: dir})
}

func TestClosedJournalRefusesCalls(t *testing.T) {
	j := openTestJournal(t, Options{Dir: formatTestDir(t)})
	appendTestBatches(t, j, 1)
	mustClose(t, j)
	calls := map[string]error{
		"Close":       j.Close(),
		"AppendBatch": func() error { _, err := j.AppendBatch(testRecords(2, 1)); return err }(),
		"Replay":      j.Replay(0, func(uint64, []byte) error { return nil }),
		"WriteCheckpoint": func() error {
			_, err := j.WriteCheckpoint(1, func(io.Writer) error { return nil })
			return err
		}(),
		"Checkpoints": func() error { _, err := j.Checkpoints(); return err }(),
	}
	for name, err := range calls {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close: error = %v, want ErrClosed", name, err)
		}
	}
}

// TestReplayConcurrentWithAppend runs replays while the committer appends and
// rotates; run it with -race. Every replay must see a gap-free prefix.
func TestReplayConcurrentWithAppend(t *testing.T) {
	dir := formatTestDir(t)
	j := openTestJournal(t, Options{Dir: dir, SegmentBytes: 2048})
	const batches = 300

	var wg sync.WaitGroup
	errs := make(chan error, 1)
	done := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(done)
		for i := 0; i < batches; i++ {
			next := j.LastIndex() + 1
			if _, err := j.AppendBatch(testRecords(next, i%4+1)); err != nil {
				errs <- err
				return
			}
			if i%50 == 49 {
				if _, err := j.WriteCheckpoint(j.LastIndex(), func(io.Writer) error { return nil }); err != nil {
					errs <- err
					return
				}
			}
		}
	}()

	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		ckpts, err := j.Checkpoints()
		if err != nil {
			t.Fatal(err)
		}
		after := uint64(0)
		if len(ckpts) > 0 {
			after = ckpts[len(ckpts)-1].Index
		}
		before := j.LastIndex()
		next := after + 1
		err = j.Replay(after, func(index uint64, rec []byte) error {
			if index != next || !bytes.Equal(rec, testRecord(index)) {
				return fmt.Errorf("replay gave record %d (%q), want %d", index, rec, next)
			}
			next++
			return nil
		})
		if err != nil && !errors.Is(err, ErrCompacted) {
			t.Fatalf("Replay(%d): %v", after, err)
		}
		if err == nil && next-1 < before {
			t.Fatalf("Replay(%d) stopped at %d, but LastIndex was already %d", after, next-1, before)
		}
	}
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
}

func TestWriteFailureIsSticky(t *testing.T) {
	dir := formatTestDir(t)
	j := openTestJournal(t, Options{Dir: dir})
	appendTestBatches(t, j, 3)
	// Closing the segment underneath the writer makes the next write fail
	// as a full disk or an I/O error would.
	j.active.Close()
	if _, err := j.AppendBatch(testRecords(4, 1)); err == nil {
		t.Fatal("AppendBatch to a closed segment succeeded")
	}
	for i := 0; i < 2; i++ {
		if _, err := j.AppendBatch(testRecords(4, 1)); !errors.Is(err, ErrWriteFailed) {
			t.Fatalf("AppendBatch after a failed write: error = %v, want ErrWriteFailed", err)
		}
	}
	if j.LastIndex() != 3 {
		t.Errorf("LastIndex() = %d after failed appends, want 3", j.LastIndex())
	}
	j.Close()
	j = openTestJournal(t, Options{Dir: dir})
	checkReplay(t, j, 0, 3)
	appendTestBatches(t, j, 1)
}
