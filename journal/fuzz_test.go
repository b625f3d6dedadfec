package journal

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// fuzzSeedFrames returns the frames of batches of testRecord records starting
// at index first, plus the offset where each frame starts.
func fuzzSeedFrames(first uint64, batches ...int) []byte {
	var b []byte
	index := first
	for _, n := range batches {
		for i := 0; i < n; i++ {
			b = encodeFrame(b, index, uint32(i), testRecord(index))
			index++
		}
	}
	return b
}

// FuzzOpenSegment writes arbitrary bytes after a valid header as the last
// segment (optionally behind a valid first segment) and opens the journal.
// Open must fail with ErrCorrupt or succeed; when it succeeds the segment
// must have been cut to a prefix of its bytes, replay must yield every index
// up to LastIndex, and the journal must accept and keep a new record.
func FuzzOpenSegment(f *testing.F) {
	valid := fuzzSeedFrames(4, 2, 3, 1)
	f.Add(valid, false)
	f.Add(valid, true)
	f.Add(valid[:len(valid)-5], true)
	f.Add(append(bytes.Clone(valid), make([]byte, 64)...), true)
	f.Add(fuzzSeedFrames(1, 1, 1, 1), false)
	f.Add([]byte{}, true)
	f.Add(make([]byte, 100), false)
	damaged := bytes.Clone(valid)
	damaged[frameHeaderSize+3] ^= 1
	f.Add(damaged, true)
	tornBatch := fuzzSeedFrames(4, 4)
	clear(tornBatch[:frameHeaderSize+10])
	f.Add(tornBatch, true)

	// One folder reused by every input: a fresh t.TempDir per input would give
	// each run a different path, whose handling the fuzzer sees as new
	// coverage and spends its time minimizing.
	dir := filepath.Join(f.TempDir(), "journal")
	f.Fuzz(func(t *testing.T, frames []byte, withPrevious bool) {
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
		// Written directly rather than with Format, which fsyncs.
		writeFile(t, filepath.Join(dir, metaFileName), encodeMeta(testClusterID))
		first := uint64(1)
		if withPrevious {
			prev := append(encodeSegmentHeader(1), fuzzSeedFrames(1, 3)...)
			writeFile(t, filepath.Join(dir, segmentName(1)), prev)
			first = 4
		}
		path := filepath.Join(dir, segmentName(first))
		original := append(encodeSegmentHeader(first), frames...)
		writeFile(t, path, original)

		j, err := Open(Options{Dir: dir})
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Open error = %v, want ErrCorrupt", err)
			}
			return
		}
		defer j.Close()
		recovered, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(original, recovered) {
			t.Fatalf("recovery rewrote the segment instead of cutting it: %x -> %x", original, recovered)
		}
		last := j.LastIndex()
		if last < first-1 {
			t.Fatalf("LastIndex() = %d, below the segment's first index %d", last, first)
		}
		next := uint64(1)
		if err := j.Replay(0, func(index uint64, _ []byte) error {
			if index != next {
				return fmt.Errorf("replay gave index %d, want %d", index, next)
			}
			next++
			return nil
		}); err != nil {
			t.Fatalf("Replay after a successful Open: %v", err)
		}
		if next-1 != last {
			t.Fatalf("Replay ended at %d, LastIndex() = %d", next-1, last)
		}
		if _, err := j.AppendBatch([][]byte{[]byte("after recovery")}); err != nil {
			t.Fatalf("AppendBatch after recovery: %v", err)
		}
		j.Close()
		j, err = Open(Options{Dir: dir})
		if err != nil {
			t.Fatalf("reopen after append: %v", err)
		}
		defer j.Close()
		var got []byte
		if err := j.Replay(last, func(_ uint64, rec []byte) error { got = rec; return nil }); err != nil || string(got) != "after recovery" {
			t.Fatalf("record appended after recovery reads back as %q, %v", got, err)
		}
	})
}

// FuzzScanSegment runs segment verification over arbitrary bytes in memory:
// much faster than FuzzOpenSegment, over the same decisions. A scan must end
// in ErrCorrupt, a clean segment, or (last segment only) a cut point after
// which the remaining prefix scans clean to the same last index.
func FuzzScanSegment(f *testing.F) {
	withHeader := func(frames []byte) []byte { return append(encodeSegmentHeader(1), frames...) }
	valid := fuzzSeedFrames(1, 2, 3, 1)
	f.Add(withHeader(valid), true)
	f.Add(withHeader(valid), false)
	f.Add(withHeader(valid[:len(valid)-7]), true)
	f.Add(withHeader(append(bytes.Clone(valid), make([]byte, 40)...)), true)
	tornBatch := fuzzSeedFrames(1, 4)
	clear(tornBatch[:frameHeaderSize+10])
	f.Add(withHeader(tornBatch), true)
	f.Add(withHeader(nil), true)
	f.Add([]byte{}, true)

	f.Fuzz(func(t *testing.T, data []byte, isLast bool) {
		scan, err := scanSegment(bytes.NewReader(data), int64(len(data)), "segment", 1, isLast)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnsupportedVersion) {
				t.Fatalf("scanSegment error = %v, want ErrCorrupt or ErrUnsupportedVersion", err)
			}
			return
		}
		if scan.tornAt < 0 {
			return
		}
		if !isLast {
			t.Fatalf("a segment that is not the last one got a torn tail at %d", scan.tornAt)
		}
		if scan.tornAt < segmentHeaderSize || scan.tornAt >= int64(len(data)) {
			t.Fatalf("torn tail at %d in a %d-byte segment", scan.tornAt, len(data))
		}
		cut := data[:scan.tornAt]
		again, err := scanSegment(bytes.NewReader(cut), int64(len(cut)), "segment", 1, true)
		if err != nil || again.tornAt != -1 || again.last != scan.last {
			t.Fatalf("after cutting at %d the segment scans as %+v, %v; want clean with last index %d", scan.tornAt, again, err, scan.last)
		}
	})
}
