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

const testClusterID = "test-cluster"

// testRecord is the deterministic content of record index: its length varies
// with the index so frames do not line up, and its bytes name the index so a
// misplaced record is caught.
func testRecord(index uint64) []byte {
	n := int(index*37%211) + 1
	b := make([]byte, 0, n+20)
	for len(b) < n {
		b = fmt.Appendf(b, "r%d;", index)
	}
	return b[:n]
}

func testRecords(first uint64, n int) [][]byte {
	recs := make([][]byte, n)
	for i := range recs {
		recs[i] = testRecord(first + uint64(i))
	}
	return recs
}

// formatTestDir returns a freshly formatted journal folder.
func formatTestDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "journal")
	if err := Format(dir, testClusterID); err != nil {
		t.Fatalf("Format: %v", err)
	}
	return dir
}

// openTestJournal opens dir and closes it at the end of the test unless the
// test closed it already.
func openTestJournal(t testing.TB, opts Options) *Journal {
	t.Helper()
	j, err := Open(opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", opts.Dir, err)
	}
	t.Cleanup(func() {
		if err := j.Close(); err != nil && !errors.Is(err, ErrClosed) {
			t.Errorf("Close: %v", err)
		}
	})
	return j
}

func mustClose(t testing.TB, j *Journal) {
	t.Helper()
	if err := j.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// appendTestBatches appends batches of testRecord records with the given
// sizes and returns the last index.
func appendTestBatches(t testing.TB, j *Journal, sizes ...int) uint64 {
	t.Helper()
	for _, n := range sizes {
		want := j.LastIndex() + 1
		first, err := j.AppendBatch(testRecords(want, n))
		if err != nil {
			t.Fatalf("AppendBatch(%d records): %v", n, err)
		}
		if first != want {
			t.Fatalf("AppendBatch returned first index %d, want %d", first, want)
		}
	}
	return j.LastIndex()
}

// checkReplay replays after `after` and checks it yields exactly the
// testRecord records after..last.
func checkReplay(t testing.TB, j *Journal, after, last uint64) {
	t.Helper()
	next := after + 1
	err := j.Replay(after, func(index uint64, rec []byte) error {
		if index != next {
			return fmt.Errorf("got index %d, want %d", index, next)
		}
		if want := testRecord(index); !bytes.Equal(rec, want) {
			return fmt.Errorf("record %d is %q, want %q", index, rec, want)
		}
		next++
		return nil
	})
	if err != nil {
		t.Fatalf("Replay(%d): %v", after, err)
	}
	if next-1 != last {
		t.Fatalf("Replay(%d) ended at index %d, want %d", after, next-1, last)
	}
}

// segmentFirsts lists the first indexes of the segment files in dir.
func segmentFirsts(t testing.TB, dir string) []uint64 {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var firsts []uint64
	for _, e := range entries {
		if first, ok := parseSegmentName(e.Name()); ok {
			firsts = append(firsts, first)
		}
	}
	slices.Sort(firsts)
	return firsts
}

// checkpointIndexes lists the indexes of the checkpoint files in dir, newest first.
func checkpointIndexes(t testing.TB, dir string) []uint64 {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var indexes []uint64
	for _, e := range entries {
		if index, ok := parseCheckpointName(e.Name()); ok {
			indexes = append(indexes, index)
		}
	}
	slices.SortFunc(indexes, compareDescending)
	return indexes
}

// testCheckpointBytes is the content of a test checkpoint at index.
func testCheckpointBytes(index uint64) []byte {
	return fmt.Appendf(nil, "state after record %d", index)
}

func writeTestCheckpoint(t testing.TB, j *Journal, index uint64) CheckpointInfo {
	t.Helper()
	info, err := j.WriteCheckpoint(index, func(w io.Writer) error {
		_, err := w.Write(testCheckpointBytes(index))
		return err
	})
	if err != nil {
		t.Fatalf("WriteCheckpoint(%d): %v", index, err)
	}
	return info
}
