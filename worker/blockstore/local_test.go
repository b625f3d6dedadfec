package blockstore

import (
	"bytes"
	"errors"
	"testing"
)

// A client on the worker's host reads a block's file itself and gets the
// bytes written, verified: a flipped byte is ErrCorruptBlock at its
// chunk, and a .meta that does not describe the block is refused at open.
func TestOpenLocalBlockVerifiesChunks(t *testing.T) {
	s := openStore(t, newConfig(t, testTier{TierSSD, []int64{1 << 20}}))
	n := 3*chunkSize + 100
	meta := writeBlock(t, s, 7, TierSSD, n)

	b, err := OpenLocalBlock(meta.Path, 7, int64(n))
	if err != nil {
		t.Fatal(err)
	}
	got := make([]byte, n)
	if _, err := b.ReadAt(got, 0); err != nil || !bytes.Equal(got, blockData(7, n)) {
		t.Fatalf("local read of a good block: %v, same bytes %v", err, bytes.Equal(got, blockData(7, n)))
	}
	b.Close()

	if _, err := OpenLocalBlock(meta.Path, 8, int64(n)); !errors.Is(err, ErrCorruptBlock) {
		t.Errorf("open with another block's id: %v, want ErrCorruptBlock", err)
	}
	if _, err := OpenLocalBlock(meta.Path, 7, int64(n+1)); !errors.Is(err, ErrCorruptBlock) {
		t.Errorf("open with another length: %v, want ErrCorruptBlock", err)
	}

	flipByte(t, meta.Path, 2*chunkSize+9)
	b, err = OpenLocalBlock(meta.Path, 7, int64(n))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := b.ReadAt(got[:chunkSize], 0); err != nil {
		t.Errorf("local read of a good chunk of a damaged block: %v", err)
	}
	var e *Error
	if _, err := b.ReadAt(got, 0); !errors.As(err, &e) || e.Kind != ErrCorruptBlock || e.Offset != 2*chunkSize {
		t.Errorf("local read over a flipped byte: %v, want ErrCorruptBlock at offset %d", err, 2*chunkSize)
	}
}
