package client

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/halo-fs/halo/worker/blockstore"
)

func TestIsLocalHost(t *testing.T) {
	hostname, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	for host, want := range map[string]bool{
		"localhost": true, hostname: true, "127.0.0.1": true, "127.0.0.3": true, "::1": true,
		// TEST-NET-1 and a name no machine has: never this host.
		"192.0.2.7": false, "worker.invalid": false, "": false,
	} {
		if got := isLocalHost(host); got != want {
			t.Errorf("isLocalHost(%q) = %v, want %v", host, got, want)
		}
	}
}

// localBlockFile commits a block of data in a store of the test's and
// opens its file as a client on the worker's host does.
func localBlockFile(t *testing.T, id int64, data []byte) *blockstore.LocalBlock {
	t.Helper()
	store, err := blockstore.Open(blockstore.Config{Tiers: []blockstore.TierConfig{{
		Alias: "MEM", Dirs: []blockstore.DirConfig{{Path: t.TempDir(), Quota: 64 << 20}}, HighWatermark: 1, LowWatermark: 0.99,
	}}}, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	temp, err := store.CreateBlock(1, id, "MEM", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := temp.Write(data); err != nil {
		t.Fatal(err)
	}
	meta, err := temp.Commit()
	if err != nil {
		t.Fatal(err)
	}
	block, err := blockstore.OpenLocalBlock(meta.Path, id, int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { block.Close() })
	return block
}

// A short-circuit read in io.Copy's 32 KiB pieces reads each checksum
// span of the block's file once, not once per piece: it allocates no
// buffer per piece, and returns the block's bytes from any offset.
func TestLocalReaderSmallReads(t *testing.T) {
	data := make([]byte, 4<<20+123)
	rand.NewChaCha8([32]byte{9}).Read(data)
	block := localBlockFile(t, 9, data)
	read := func(off int64) []byte {
		l := &localReader{block: block, id: 9, offset: off, want: int64(len(data)) - off}
		var out bytes.Buffer
		piece := make([]byte, 32<<10)
		for {
			n, err := l.Read(piece)
			out.Write(piece[:n])
			if errors.Is(err, io.EOF) {
				return out.Bytes()
			}
			if err != nil {
				t.Fatalf("read at %d: %v", off, err)
			}
		}
	}
	for _, off := range []int64{0, 1000, 1 << 20, int64(len(data)) - 5} {
		if got := read(off); !bytes.Equal(got, data[off:]) {
			t.Fatalf("from %d: read %d bytes that differ from the block's %d", off, len(got), len(data[off:]))
		}
	}
	pieces := len(data) / (32 << 10)
	if allocs := testing.AllocsPerRun(3, func() { read(0) }); allocs > float64(pieces)/4 {
		t.Errorf("reading %d pieces of 32 KiB allocated %.0f times: a buffer per piece", pieces, allocs)
	}
}

// A small positional read (ReadAt of a few bytes) does not read a whole
// chunk ahead: it reads what it asked for.
func TestLocalReaderSmallRangeReadsOnlyItsRange(t *testing.T) {
	data := make([]byte, 2<<20)
	rand.NewChaCha8([32]byte{3}).Read(data)
	block := localBlockFile(t, 11, data)
	l := &localReader{block: block, id: 11, offset: 5000, want: 100}
	got, err := io.ReadAll(l)
	if err != nil || !bytes.Equal(got, data[5000:5100]) {
		t.Fatalf("read %d bytes (%v), want the 100 at 5000", len(got), err)
	}
	if cap(l.buf) > 100 {
		t.Errorf("a read of 100 bytes took a buffer of %d", cap(l.buf))
	}
}
