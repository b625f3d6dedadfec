package journal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// frameLocation is where one record's frame lies.
type frameLocation struct {
	path        string
	offset, end int64
}

// frameLayout maps every record index in dir to its frame.
func frameLayout(t testing.TB, dir string) map[uint64]frameLocation {
	t.Helper()
	layout := make(map[uint64]frameLocation)
	for _, first := range segmentFirsts(t, dir) {
		path := filepath.Join(dir, segmentName(first))
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		fr := newFrameReader(bytes.NewReader(data[segmentHeaderSize:]), segmentHeaderSize, int64(len(data)))
		for {
			offset := fr.offset
			h, _, err := fr.next(nil)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("layout of %s: %v", path, err)
			}
			layout[h.index] = frameLocation{path: path, offset: offset, end: fr.offset}
		}
	}
	return layout
}

func mutateFile(t testing.TB, path string, mutate func([]byte) []byte) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, mutate(data))
}

// folderSnapshot reads every file of dir, to check that a refused Open
// changed nothing.
func folderSnapshot(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := make(map[string][]byte)
	for _, e := range entries {
		if e.Name() == lockFileName {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = data
	}
	return files
}

// TestTornTailEveryCut cuts the segment at every byte offset inside the last
// batch (four records) and checks that recovery keeps exactly the records
// whose frames are complete, truncates the rest, and can append after it.
func TestTornTailEveryCut(t *testing.T) {
	src := formatTestDir(t)
	j := openTestJournal(t, Options{Dir: src})
	appendTestBatches(t, j, 2, 3, 1, 4)
	mustClose(t, j)
	layout := frameLayout(t, src)
	full, err := os.ReadFile(layout[1].path)
	if err != nil {
		t.Fatal(err)
	}

	dir := formatTestDir(t)
	segment := filepath.Join(dir, segmentName(1))
	for cut := layout[7].offset; cut < int64(len(full)); cut++ {
		writeFile(t, segment, full[:cut])
		wantLast := uint64(6)
		for wantLast < 10 && layout[wantLast+1].end <= cut {
			wantLast++
		}

		j, err := Open(Options{Dir: dir})
		if err != nil {
			t.Fatalf("cut at %d: Open: %v", cut, err)
		}
		if got := j.LastIndex(); got != wantLast {
			t.Fatalf("cut at %d: LastIndex() = %d, want %d", cut, got, wantLast)
		}
		info, err := os.Stat(segment)
		if err != nil {
			t.Fatal(err)
		}
		if info.Size() != layout[wantLast].end {
			t.Fatalf("cut at %d: segment is %d bytes after recovery, want %d", cut, info.Size(), layout[wantLast].end)
		}
		checkReplay(t, j, 0, wantLast)
		// Appending after recovery costs fsyncs; check it at every frame
		// boundary and at a sample of cuts inside frames.
		if cut != layout[wantLast].end && cut%7 != 0 {
			mustClose(t, j)
			continue
		}
		appendTestBatches(t, j, 1)
		mustClose(t, j)

		j, err = Open(Options{Dir: dir})
		if err != nil {
			t.Fatalf("cut at %d: reopen after append: %v", cut, err)
		}
		checkReplay(t, j, 0, wantLast+1)
		mustClose(t, j)
	}
}

func TestRecoveryClassifiesDamage(t *testing.T) {
	// Batches of 2, 3, 1 and 3 records: indexes 1-2, 3-5, 6 and 7-9.
	batches := []int{2, 3, 1, 3}
	flipAt := func(index uint64, within func(frameLocation) int64) func(*testing.T, map[uint64]frameLocation) {
		return func(t *testing.T, layout map[uint64]frameLocation) {
			loc := layout[index]
			mutateFile(t, loc.path, func(b []byte) []byte { b[within(loc)] ^= 0x10; return b })
		}
	}
	payloadByte := func(loc frameLocation) int64 { return loc.offset + frameHeaderSize }
	lengthByte := func(loc frameLocation) int64 { return loc.offset + 1 }
	zeroFrame := func(index uint64) func(*testing.T, map[uint64]frameLocation) {
		return func(t *testing.T, layout map[uint64]frameLocation) {
			loc := layout[index]
			mutateFile(t, loc.path, func(b []byte) []byte {
				clear(b[loc.offset:loc.end])
				return b
			})
		}
	}
	appendBytes := func(extra []byte) func(*testing.T, map[uint64]frameLocation) {
		return func(t *testing.T, layout map[uint64]frameLocation) {
			mutateFile(t, layout[9].path, func(b []byte) []byte { return append(b, extra...) })
		}
	}

	tests := []struct {
		name         string
		segmentBytes int64 // 1 puts every batch in its own segment
		damage       func(*testing.T, map[uint64]frameLocation)
		wantLast     uint64   // when recovery succeeds
		wantCorrupt  []string // substrings of the ErrCorrupt message; the frame's file and offset
		corruptFrame uint64   // frame whose segment and offset the message must name
	}{
		{name: "trailing zeros", damage: appendBytes(make([]byte, 100)), wantLast: 9},
		{name: "trailing garbage", damage: appendBytes([]byte("garbage that is not a frame, of some length")), wantLast: 9},
		{name: "last record payload flipped", damage: flipAt(9, payloadByte), wantLast: 8},
		{name: "last record zeroed", damage: zeroFrame(9), wantLast: 8},
		{name: "first record of last batch zeroed, rest of batch survived", damage: zeroFrame(7), wantLast: 6},
		{name: "middle record of last batch flipped", damage: flipAt(8, lengthByte), wantLast: 7},
		{name: "earlier record payload flipped", damage: flipAt(2, payloadByte), corruptFrame: 2},
		{name: "earlier record length flipped", damage: flipAt(4, lengthByte), corruptFrame: 4},
		{name: "single-record batch before the last one flipped", damage: flipAt(6, payloadByte), corruptFrame: 6},
		{
			name: "valid frame with a wrong index",
			damage: func(t *testing.T, layout map[uint64]frameLocation) {
				loc := layout[9]
				mutateFile(t, loc.path, func(b []byte) []byte {
					h := b[loc.offset : loc.offset+frameHeaderSize]
					binary.LittleEndian.PutUint64(h[8:16], 42)
					binary.LittleEndian.PutUint32(h[20:24], crc32.Checksum(h[:20], castagnoli))
					return b
				})
			},
			corruptFrame: 9, wantCorrupt: []string{"index 42, want 9"},
		},
		{
			name: "segment header flipped",
			damage: func(t *testing.T, layout map[uint64]frameLocation) {
				mutateFile(t, layout[1].path, func(b []byte) []byte { b[9] ^= 1; return b })
			},
			wantCorrupt: []string{segmentName(1), "header"},
		},
		{name: "separate segments: last one torn", segmentBytes: 1, damage: flipAt(9, payloadByte), wantLast: 8},
		{name: "separate segments: last one zeroed at its start", segmentBytes: 1, damage: zeroFrame(7), wantLast: 6},
		{name: "separate segments: end of an earlier one flipped", segmentBytes: 1, damage: flipAt(5, payloadByte), corruptFrame: 5},
		{
			name: "separate segments: earlier one cut short", segmentBytes: 1,
			damage: func(t *testing.T, layout map[uint64]frameLocation) {
				mutateFile(t, layout[5].path, func(b []byte) []byte { return b[:len(b)-3] })
			},
			corruptFrame: 5, wantCorrupt: []string{"file ends inside a record"},
		},
		{
			name: "separate segments: middle one missing", segmentBytes: 1,
			damage: func(t *testing.T, layout map[uint64]frameLocation) {
				if err := os.Remove(layout[6].path); err != nil {
					t.Fatal(err)
				}
			},
			wantCorrupt: []string{segmentName(7), "starts at index 7", "ends at index 5"},
		},
		{
			name: "separate segments: first one missing, no checkpoint", segmentBytes: 1,
			damage: func(t *testing.T, layout map[uint64]frameLocation) {
				if err := os.Remove(layout[1].path); err != nil {
					t.Fatal(err)
				}
			},
			wantCorrupt: []string{"records before index 3 are missing"},
		},
		{
			name: "checkpoint ahead of the records",
			damage: func(t *testing.T, layout map[uint64]frameLocation) {
				writeFile(t, filepath.Join(filepath.Dir(layout[1].path), checkpointName(12)), []byte("x"))
			},
			wantCorrupt: []string{checkpointName(12), "ahead"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := formatTestDir(t)
			j := openTestJournal(t, Options{Dir: dir, SegmentBytes: tt.segmentBytes})
			appendTestBatches(t, j, batches...)
			mustClose(t, j)
			layout := frameLayout(t, dir)
			tt.damage(t, layout)
			before := folderSnapshot(t, dir)

			j, err := Open(Options{Dir: dir, SegmentBytes: tt.segmentBytes})
			if tt.corruptFrame == 0 && tt.wantCorrupt == nil {
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				defer j.Close()
				if got := j.LastIndex(); got != tt.wantLast {
					t.Fatalf("LastIndex() = %d, want %d", got, tt.wantLast)
				}
				checkReplay(t, j, 0, tt.wantLast)
				return
			}
			if !errors.Is(err, ErrCorrupt) {
				if j != nil {
					j.Close()
				}
				t.Fatalf("Open error = %v, want ErrCorrupt", err)
			}
			want := tt.wantCorrupt
			if tt.corruptFrame != 0 {
				loc := layout[tt.corruptFrame]
				want = append(want, filepath.Base(loc.path), fmt.Sprintf("byte offset %d", loc.offset))
			}
			for _, s := range want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
			after := folderSnapshot(t, dir)
			for name, data := range before {
				if !bytes.Equal(after[name], data) {
					t.Errorf("refused Open changed %s", name)
				}
			}
		})
	}
}

func TestLaterBatchOffset(t *testing.T) {
	frame := func(index uint64, batchPos uint32) []byte {
		return encodeFrame(nil, index, batchPos, testRecord(index))
	}
	damaged := bytes.Repeat([]byte{0xee}, 30)
	join := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	tests := []struct {
		name string
		tail []byte
		next uint64
		want int
	}{
		{name: "empty", tail: nil, next: 5, want: -1},
		{name: "zeros", tail: make([]byte, 500), next: 5, want: -1},
		{name: "frames of the same batch survive", tail: join(damaged, frame(6, 1), frame(7, 2)), next: 5, want: -1},
		{name: "frame of a later batch", tail: join(damaged, frame(6, 0)), next: 5, want: len(damaged)},
		{name: "same batch then later batch", tail: join(damaged, frame(6, 1), frame(7, 0)), next: 5, want: len(damaged) + len(frame(6, 1))},
		{name: "frame with an old index", tail: join(damaged, frame(3, 0)), next: 5, want: len(damaged)},
		{name: "frame with the damaged frame's own index", tail: join(damaged, frame(5, 0)), next: 5, want: len(damaged)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := laterBatchOffset(tt.tail, tt.next); got != tt.want {
				t.Errorf("laterBatchOffset() = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestOpenRemovesLeftovers(t *testing.T) {
	dir := formatTestDir(t)
	j := openTestJournal(t, Options{Dir: dir})
	appendTestBatches(t, j, 3)
	mustClose(t, j)
	leftovers := []string{checkpointName(2) + tmpSuffix, segmentName(4) + tmpSuffix, metaFileName + tmpSuffix}
	for _, name := range leftovers {
		writeFile(t, filepath.Join(dir, name), []byte("partial"))
	}
	writeFile(t, filepath.Join(dir, "README"), []byte("operator notes"))

	j = openTestJournal(t, Options{Dir: dir})
	for _, name := range leftovers {
		if _, err := os.Stat(filepath.Join(dir, name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("leftover %s still there after Open (stat error %v)", name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "README")); err != nil {
		t.Errorf("Open removed a file it does not own: %v", err)
	}
	if ckpts, _ := j.Checkpoints(); len(ckpts) != 0 {
		t.Errorf("a checkpoint temporary was taken for a checkpoint: %v", ckpts)
	}
	checkReplay(t, j, 0, 3)
}

func TestDecodeSegmentHeader(t *testing.T) {
	valid := encodeSegmentHeader(0xa1)
	newer := bytes.Clone(valid[:16])
	newer[4] = segmentVersion + 1
	newer = binary.LittleEndian.AppendUint32(newer, crc32.Checksum(newer, castagnoli))
	flipped := bytes.Clone(valid)
	flipped[12] ^= 1
	tests := []struct {
		name      string
		in        []byte
		want      uint64
		wantErr   bool
		wantIsErr error
	}{
		{name: "valid", in: valid, want: 0xa1},
		{name: "short", in: valid[:segmentHeaderSize-1], wantErr: true},
		{name: "bad magic", in: append([]byte("XXXX"), valid[4:]...), wantErr: true},
		{name: "flipped first index", in: flipped, wantErr: true},
		{name: "newer version", in: newer, wantErr: true, wantIsErr: ErrUnsupportedVersion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeSegmentHeader(tt.in)
			if (err != nil) != tt.wantErr || (tt.wantIsErr != nil && !errors.Is(err, tt.wantIsErr)) {
				t.Fatalf("decodeSegmentHeader error = %v, want error %v (%v)", err, tt.wantErr, tt.wantIsErr)
			}
			if !tt.wantErr && got != tt.want {
				t.Errorf("decodeSegmentHeader = %#x, want %#x", got, tt.want)
			}
		})
	}
}
