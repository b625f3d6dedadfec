package journal

import (
	"bytes"
	"errors"
	"fmt"
	"io"
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
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
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

// FuzzScanFrames runs the frame decoder and the torn-tail classifier over
// arbitrary bytes in memory, which is much faster than FuzzOpenSegment and
// reaches the same parsing code.
func FuzzScanFrames(f *testing.F) {
	f.Add(fuzzSeedFrames(1, 2, 3), uint64(1))
	f.Add(fuzzSeedFrames(7, 5)[3:], uint64(7))
	f.Add(make([]byte, 50), uint64(1))
	f.Fuzz(func(t *testing.T, data []byte, next uint64) {
		fr := newFrameReader(bytes.NewReader(data), 0, int64(len(data)))
		for {
			before := fr.offset
			h, payload, err := fr.next(nil)
			if err != nil {
				if !errors.Is(err, io.EOF) && !isFrameDamage(err) {
					t.Fatalf("unexpected error %v", err)
				}
				if fr.offset != before {
					t.Fatalf("a failed read moved the offset from %d to %d", before, fr.offset)
				}
				break
			}
			if len(payload) != int(h.length) || fr.offset != before+frameHeaderSize+int64(h.length) || fr.offset > int64(len(data)) {
				t.Fatalf("frame at %d: length %d, payload %d bytes, next offset %d of %d", before, h.length, len(payload), fr.offset, len(data))
			}
		}
		p := laterBatchOffset(data, next)
		if p < -1 || p >= len(data) {
			t.Fatalf("laterBatchOffset = %d for %d bytes", p, len(data))
		}
		if p >= 0 {
			if _, ok := decodeFrameHeader(data[p:]); !ok {
				t.Fatalf("laterBatchOffset = %d, which holds no valid frame header", p)
			}
		}
	})
}
