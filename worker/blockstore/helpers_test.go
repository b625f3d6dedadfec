package blockstore

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/hashicorp/go-hclog"
)

// testTier describes a tier for newConfig: its alias and the quota of
// each of its folders.
type testTier struct {
	alias  string
	quotas []int64
}

// newConfig makes a store configuration with one fresh folder per quota,
// watermarks off (1.0/0.99) so that only reservations evict: tests that
// want the watermarks set them.
func newConfig(t testing.TB, tiers ...testTier) Config {
	t.Helper()
	root := t.TempDir()
	var cfg Config
	for _, tier := range tiers {
		tc := TierConfig{Alias: tier.alias, HighWatermark: 1, LowWatermark: 0.99}
		for i, quota := range tier.quotas {
			path := filepath.Join(root, tier.alias+string(rune('a'+i)))
			if err := os.Mkdir(path, 0o755); err != nil {
				t.Fatal(err)
			}
			tc.Dirs = append(tc.Dirs, DirConfig{Path: path, Quota: quota})
		}
		cfg.Tiers = append(cfg.Tiers, tc)
	}
	return cfg
}

func testLogger(t testing.TB) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Name: t.Name(), Level: hclog.Debug, Output: testWriter{t}})
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}

func openStore(t testing.TB, cfg Config) *Store {
	t.Helper()
	s, err := Open(cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func blockData(id int64, n int) []byte {
	data := make([]byte, n)
	r := rand.New(rand.NewPCG(uint64(id), 7))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	return data
}

// writeBlock writes and commits a block of n bytes whose contents derive
// from its id.
func writeBlock(t testing.TB, s *Store, id int64, tier string, n int) BlockMeta {
	t.Helper()
	b, err := s.CreateBlock(1, id, tier, 0)
	if err != nil {
		t.Fatalf("create block %d: %v", id, err)
	}
	if _, err := b.Write(blockData(id, n)); err != nil {
		t.Fatalf("write block %d: %v", id, err)
	}
	meta, err := b.Commit()
	if err != nil {
		t.Fatalf("commit block %d: %v", id, err)
	}
	return meta
}

// readBlock reads a whole block through a BlockReader.
func readBlock(s *Store, id int64) ([]byte, error) {
	r, err := s.OpenBlock(id)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	data := make([]byte, r.Length())
	n, err := r.ReadAt(data, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return data[:n], nil
}

func checkBlock(t testing.TB, s *Store, id int64, n int) {
	t.Helper()
	data, err := readBlock(s, id)
	if err != nil {
		t.Fatalf("read block %d: %v", id, err)
	}
	if !bytes.Equal(data, blockData(id, n)) {
		t.Fatalf("block %d: read %d bytes that differ from the %d written", id, len(data), n)
	}
}

// blocksIn lists the committed block ids of a tier by the report.
func blocksIn(s *Store, alias string) []int64 {
	var ids []int64
	for _, tier := range s.Report().Tiers {
		if tier.Alias == alias {
			for _, medium := range tier.Blocks {
				ids = append(ids, medium...)
			}
		}
	}
	slices.Sort(ids)
	return ids
}
