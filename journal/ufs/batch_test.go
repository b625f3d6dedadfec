package ufs

import (
	"bytes"
	"errors"
	"testing"
)

func sampleBatches() []Batch {
	return []Batch{
		{Seq: 1, Epoch: 7, Kind: KindEpochMarker, FirstIndex: 1, Writer: "127.0.0.1:19998"},
		{Seq: 2, Epoch: 7, Kind: KindEntries, FirstIndex: 1, Writer: "127.0.0.1:19998", Records: [][]byte{[]byte("a"), {}, bytes.Repeat([]byte{0xff}, 1000)}},
		{Seq: 1 << 40, Epoch: 1 << 62, Kind: KindEntries, FirstIndex: 99, Records: [][]byte{[]byte("x")}},
	}
}

func TestBatchRoundTrip(t *testing.T) {
	for _, b := range sampleBatches() {
		data, err := EncodeBatch(b)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeBatch(data)
		if err != nil {
			t.Fatalf("decode batch %d: %v", b.Seq, err)
		}
		if got.Seq != b.Seq || got.Epoch != b.Epoch || got.Kind != b.Kind || got.FirstIndex != b.FirstIndex || got.Writer != b.Writer || !equalRecords(got.Records, b.Records) {
			t.Fatalf("round trip changed batch: %+v became %+v", b, got)
		}
		h, err := DecodeBatchHeader(data[:min(len(data), maxHeaderLen)])
		if err != nil || h.Seq != b.Seq || h.Epoch != b.Epoch || h.Writer != b.Writer {
			t.Fatalf("header of batch %d: %+v, %v", b.Seq, h, err)
		}
	}
}

func TestBatchEncodeRefusesBadBatches(t *testing.T) {
	for _, b := range []Batch{
		{Seq: 1, Kind: 9},
		{Seq: 1, Kind: KindEpochMarker, Records: [][]byte{[]byte("x")}},
		{Seq: 1, Kind: KindEntries, Writer: string(bytes.Repeat([]byte("w"), MaxWriterLen+1))},
	} {
		if _, err := EncodeBatch(b); err == nil {
			t.Errorf("EncodeBatch(%+v) succeeded", b)
		}
	}
}

// TestBatchDecodeDetectsDamage flips every byte and truncates at every
// length: each damaged copy is refused as corrupt, never decoded into a
// different batch.
func TestBatchDecodeDetectsDamage(t *testing.T) {
	data, err := EncodeBatch(sampleBatches()[1])
	if err != nil {
		t.Fatal(err)
	}
	for i := range data {
		bad := bytes.Clone(data)
		bad[i] ^= 0x40
		if _, err := DecodeBatch(bad); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("flipped byte %d: got %v, want ErrCorrupt", i, err)
		}
	}
	for n := 0; n < len(data); n++ {
		if _, err := DecodeBatch(data[:n]); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("cut to %d bytes: got %v, want ErrCorrupt", n, err)
		}
	}
	if _, err := DecodeBatch(append(bytes.Clone(data), 0)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("a trailing byte: got %v, want ErrCorrupt", err)
	}
}

// FuzzDecodeBatch: the decoder never panics or over-allocates, and what it
// accepts re-encodes to the same bytes.
func FuzzDecodeBatch(f *testing.F) {
	for _, b := range sampleBatches() {
		data, err := EncodeBatch(b)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("HLB1"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := DecodeBatch(data)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		again, err := EncodeBatch(b)
		if err != nil {
			t.Fatalf("decoded batch does not encode: %v", err)
		}
		if !bytes.Equal(again, data) {
			t.Fatalf("decode/encode changed the bytes")
		}
		if _, err := DecodeBatchHeader(data); err != nil {
			t.Fatalf("header of a good batch: %v", err)
		}
	})
}

// FuzzDecodeCheckpointHeader: never panics; accepted headers round-trip.
func FuzzDecodeCheckpointHeader(f *testing.F) {
	f.Add(encodeCheckpointHeader(CheckpointHeader{Seq: 5, Epoch: 9}))
	f.Add([]byte("HLC1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := DecodeCheckpointHeader(data)
		if err != nil {
			return
		}
		if !bytes.Equal(encodeCheckpointHeader(h), data[:checkpointHeaderLen]) {
			t.Fatal("checkpoint header does not round-trip")
		}
	})
}

func TestCursorReadingRule(t *testing.T) {
	batch := func(seq, epoch, first uint64, records int) Batch {
		return Batch{Seq: seq, Epoch: epoch, Kind: KindEntries, FirstIndex: first, Records: make([][]byte, records)}
	}
	tests := []struct {
		name     string
		cursor   Cursor
		batch    Batch
		accepted bool
		corrupt  bool
		after    Cursor
	}{
		{"same epoch continues", Cursor{NextSeq: 5, NextIndex: 10, Epoch: 3}, batch(5, 3, 10, 2), true, false, Cursor{NextSeq: 6, NextIndex: 12, Epoch: 3}},
		{"higher epoch is accepted", Cursor{NextSeq: 5, NextIndex: 10, Epoch: 3}, batch(5, 8, 10, 1), true, false, Cursor{NextSeq: 6, NextIndex: 11, Epoch: 8}},
		{"marker opens an epoch", Cursor{NextSeq: 5, NextIndex: 10, Epoch: 3}, Batch{Seq: 5, Epoch: 4, Kind: KindEpochMarker, FirstIndex: 10}, true, false, Cursor{NextSeq: 6, NextIndex: 10, Epoch: 4}},
		{"lower epoch is skipped", Cursor{NextSeq: 5, NextIndex: 10, Epoch: 3}, batch(5, 2, 10, 4), false, false, Cursor{NextSeq: 6, NextIndex: 10, Epoch: 3, Skipped: 1}},
		{"lower epoch is skipped whatever its index", Cursor{NextSeq: 5, NextIndex: 10, Epoch: 3}, batch(5, 2, 4, 4), false, false, Cursor{NextSeq: 6, NextIndex: 10, Epoch: 3, Skipped: 1}},
		{"index gap is corrupt", Cursor{NextSeq: 5, NextIndex: 10, Epoch: 3}, batch(5, 3, 11, 1), false, true, Cursor{NextSeq: 5, NextIndex: 10, Epoch: 3}},
		{"index overlap is corrupt", Cursor{NextSeq: 5, NextIndex: 10, Epoch: 3}, batch(5, 4, 9, 1), false, true, Cursor{NextSeq: 5, NextIndex: 10, Epoch: 3}},
		{"wrong sequence is corrupt", Cursor{NextSeq: 5, NextIndex: 10, Epoch: 3}, batch(6, 3, 10, 1), false, true, Cursor{NextSeq: 5, NextIndex: 10, Epoch: 3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.cursor
			ok, err := c.Accept(tc.batch)
			if tc.corrupt != errors.Is(err, ErrCorrupt) || (!tc.corrupt && err != nil) {
				t.Fatalf("Accept: error %v, want corrupt=%t", err, tc.corrupt)
			}
			if ok != tc.accepted || c != tc.after {
				t.Fatalf("Accept = %t, cursor %+v; want %t, %+v", ok, c, tc.accepted, tc.after)
			}
		})
	}
}

func equalRecords(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}
