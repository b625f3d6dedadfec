package blockstore

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzDecodeMeta feeds the metadata decoder arbitrary bytes, as a damaged
// disk may: it must refuse them with errBadMeta or decode them into
// metadata that encodes back to the same bytes.
func FuzzDecodeMeta(f *testing.F) {
	var summer chunkSummer
	summer.write(blockData(1, 3*chunkSize+5))
	f.Add(encodeMeta(blockChecksums{blockID: 1, length: 3*chunkSize + 5, chunkSize: chunkSize, sums: summer.finish()}))
	f.Add(encodeMeta(blockChecksums{blockID: -7, length: 0, chunkSize: chunkSize}))
	f.Add([]byte(metaMagic))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeMeta(b)
		if err != nil {
			if !errors.Is(err, errBadMeta) {
				t.Fatalf("error %v is not errBadMeta", err)
			}
			return
		}
		if int64(len(m.sums)) != chunkCount(m.length, m.chunkSize) {
			t.Fatalf("%d checksums for %d bytes in chunks of %d", len(m.sums), m.length, m.chunkSize)
		}
		if again := encodeMeta(m); !bytes.Equal(again, b) {
			t.Fatalf("decoded metadata encodes to different bytes")
		}
	})
}

func TestMetaRoundTripsAndRefusesEveryDamagedByte(t *testing.T) {
	var summer chunkSummer
	summer.write(blockData(9, 2*chunkSize+1))
	m := blockChecksums{blockID: 9, length: 2*chunkSize + 1, chunkSize: chunkSize, sums: summer.finish()}
	b := encodeMeta(m)
	got, err := decodeMeta(b)
	if err != nil || got.blockID != 9 || got.length != m.length || len(got.sums) != 3 {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	for i := range b {
		damaged := bytes.Clone(b)
		damaged[i] ^= 0x01
		if _, err := decodeMeta(damaged); !errors.Is(err, errBadMeta) {
			t.Errorf("byte %d flipped: got %v, want errBadMeta", i, err)
		}
	}
	for n := range b {
		if _, err := decodeMeta(b[:n]); !errors.Is(err, errBadMeta) {
			t.Errorf("torn at %d bytes: got %v, want errBadMeta", n, err)
		}
	}
}
