package blockstore

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

// The benchmarks compare the store with plain files in the same folder:
// 64 MiB blocks (Alluxio's default block size) written and read in 1 MiB
// pieces (Alluxio's client chunk). MEM is a folder in /dev/shm, SSD one in
// the test's temp folder; SSD reads first drop the file's cached pages, so
// they read the device. Run:
//
//	go test -run '^$' -bench . -benchtime 20x ./worker/blockstore/
const (
	benchBlockSize = 64 << 20
	benchChunk     = 1 << 20
)

var benchTiers = []struct {
	alias string
	dir   func(b *testing.B) string
}{
	{TierMEM, shmDir},
	{TierSSD, func(b *testing.B) string { return b.TempDir() }},
}

// shmDir is a fresh folder on the tmpfs at /dev/shm.
func shmDir(b *testing.B) string {
	dir, err := os.MkdirTemp("/dev/shm", "halo-blockstore-bench-")
	if err != nil {
		b.Fatalf("the MEM benchmark needs /dev/shm: %v", err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func benchStore(b *testing.B, alias, dir string) *Store {
	cfg := Config{Tiers: []TierConfig{{Alias: alias, Dirs: []DirConfig{{Path: dir, Quota: 4 * benchBlockSize}}}}}
	s, err := Open(cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

func BenchmarkWrite(b *testing.B) {
	chunk := blockData(1, benchChunk)
	for _, tier := range benchTiers {
		b.Run("store/"+tier.alias, func(b *testing.B) {
			s := benchStore(b, tier.alias, tier.dir(b))
			b.SetBytes(benchBlockSize)
			for i := range b.N {
				id := int64(i)
				t, err := s.CreateBlock(1, id, "", benchBlockSize)
				if err != nil {
					b.Fatal(err)
				}
				for range benchBlockSize / benchChunk {
					if _, err := t.Write(chunk); err != nil {
						b.Fatal(err)
					}
				}
				if _, err := t.Commit(); err != nil {
					b.Fatal(err)
				}
				if err := s.RemoveBlock(id); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("raw/"+tier.alias, func(b *testing.B) {
			dir := tier.dir(b)
			b.SetBytes(benchBlockSize)
			for range b.N {
				// What a commit must do at least: write the data, fsync it
				// off tmpfs, put it in place.
				path := filepath.Join(dir, "block")
				f, err := os.Create(path + ".tmp")
				if err != nil {
					b.Fatal(err)
				}
				for range benchBlockSize / benchChunk {
					if _, err := f.Write(chunk); err != nil {
						b.Fatal(err)
					}
				}
				if tier.alias != TierMEM {
					if err := f.Sync(); err != nil {
						b.Fatal(err)
					}
				}
				if err := f.Close(); err != nil {
					b.Fatal(err)
				}
				if err := os.Rename(path+".tmp", path); err != nil {
					b.Fatal(err)
				}
				if err := os.Remove(path); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkRead(b *testing.B) {
	buf := make([]byte, benchChunk)
	for _, tier := range benchTiers {
		b.Run("store/"+tier.alias, func(b *testing.B) {
			s := benchStore(b, tier.alias, tier.dir(b))
			path := writeBlock(b, s, 1, "", benchBlockSize).Path
			b.SetBytes(benchBlockSize)
			b.ResetTimer()
			for range b.N {
				if tier.alias != TierMEM {
					dropPageCache(b, path)
				}
				r, err := s.OpenBlock(1)
				if err != nil {
					b.Fatal(err)
				}
				readAllChunks(b, r, buf)
				r.Close()
			}
		})
		b.Run("raw/"+tier.alias, func(b *testing.B) {
			path := filepath.Join(tier.dir(b), "block")
			if err := writeFile(path, blockData(1, benchBlockSize), true); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(benchBlockSize)
			b.ResetTimer()
			for range b.N {
				if tier.alias != TierMEM {
					dropPageCache(b, path)
				}
				f, err := os.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				readAllChunks(b, f, buf)
				f.Close()
			}
		})
	}
}

func readAllChunks(b *testing.B, r io.ReaderAt, buf []byte) {
	for off := int64(0); off < benchBlockSize; off += int64(len(buf)) {
		if _, err := r.ReadAt(buf, off); err != nil && err != io.EOF {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpen measures a restart's rescan of a store holding many small
// blocks, with and without reading their data through the checksums.
func BenchmarkOpen(b *testing.B) {
	const blocks, size = 20000, 4 << 10
	for _, skip := range []bool{false, true} {
		name := "verify"
		if skip {
			name = "metadata-only"
		}
		b.Run(name, func(b *testing.B) {
			cfg := Config{Tiers: []TierConfig{{Alias: TierSSD, Dirs: []DirConfig{{Path: b.TempDir(), Quota: 1 << 30}}}},
				SkipDataCheckOnOpen: skip}
			s, err := Open(cfg, nil)
			if err != nil {
				b.Fatal(err)
			}
			for id := range int64(blocks) {
				writeBlock(b, s, id, "", size)
			}
			s.Close()
			b.ResetTimer()
			for range b.N {
				s, err := Open(cfg, nil)
				if err != nil {
					b.Fatal(err)
				}
				s.Close()
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*blocks), "µs/block")
		})
	}
}
