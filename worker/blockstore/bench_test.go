package blockstore

import (
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The benchmarks compare the store with plain files in the same folder:
// 64 MiB blocks (Alluxio's default block size) written and read in 1 MiB
// pieces (Alluxio's client chunk), each iteration timing the store and
// then a plain file, and reporting both rates and their ratio. MEM is a
// folder in /dev/shm, SSD one in the test's temp folder; SSD reads first
// drop the files' cached pages, so they read the device. Run:
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

// ratioTimer adds up the time of the store's and the raw side's halves of
// each iteration. Alternating them inside one benchmark exposes both to
// the same load from the rest of the machine, so their ratio holds even
// when the absolute figures wander.
type ratioTimer struct {
	store, raw time.Duration
}

func (r *ratioTimer) timeStore(f func()) { start := time.Now(); f(); r.store += time.Since(start) }

func (r *ratioTimer) timeRaw(f func()) { start := time.Now(); f(); r.raw += time.Since(start) }

func (r *ratioTimer) report(b *testing.B) {
	mb := float64(b.N) * benchBlockSize / 1e6
	b.ReportMetric(mb/r.store.Seconds(), "store-MB/s")
	b.ReportMetric(mb/r.raw.Seconds(), "raw-MB/s")
	b.ReportMetric(r.raw.Seconds()/r.store.Seconds(), "store/raw")
}

func BenchmarkWrite(b *testing.B) {
	chunk := blockData(1, benchChunk)
	for _, tier := range benchTiers {
		b.Run(tier.alias, func(b *testing.B) {
			s := benchStore(b, tier.alias, tier.dir(b))
			rawPath := filepath.Join(tier.dir(b), "block")
			var timer ratioTimer
			for i := range b.N {
				timer.timeStore(func() { storeWrite(b, s, int64(i), chunk) })
				timer.timeRaw(func() { rawWrite(b, rawPath, chunk, tier.alias != TierMEM) })
			}
			timer.report(b)
		})
	}
}

// storeWrite writes, commits and removes one block.
func storeWrite(b *testing.B, s *Store, id int64, chunk []byte) {
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

// rawWrite does what a commit must do at least: write the data, fsync it
// off tmpfs, put it in place; then removes it, as storeWrite does.
func rawWrite(b *testing.B, path string, chunk []byte, sync bool) {
	f, err := os.Create(path + ".tmp")
	if err != nil {
		b.Fatal(err)
	}
	for range benchBlockSize / benchChunk {
		if _, err := f.Write(chunk); err != nil {
			b.Fatal(err)
		}
	}
	if sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(path+".tmp", path)
	}
	if err == nil {
		err = os.Remove(path)
	}
	if err != nil {
		b.Fatal(err)
	}
}

func BenchmarkRead(b *testing.B) {
	buf := make([]byte, benchChunk)
	for _, tier := range benchTiers {
		b.Run(tier.alias, func(b *testing.B) {
			s := benchStore(b, tier.alias, tier.dir(b))
			storePath := writeBlock(b, s, 1, "", benchBlockSize).Path
			rawPath := filepath.Join(tier.dir(b), "block")
			if err := writeFile(rawPath, blockData(1, benchBlockSize), true); err != nil {
				b.Fatal(err)
			}
			onDisk := tier.alias != TierMEM
			var timer ratioTimer
			for range b.N {
				if onDisk {
					dropPageCache(b, storePath)
					dropPageCache(b, rawPath)
				}
				timer.timeStore(func() {
					r, err := s.OpenBlock(1)
					if err != nil {
						b.Fatal(err)
					}
					readAllChunks(b, r, buf)
					r.Close()
				})
				timer.timeRaw(func() {
					f, err := os.Open(rawPath)
					if err != nil {
						b.Fatal(err)
					}
					readAllChunks(b, f, buf)
					f.Close()
				})
			}
			timer.report(b)
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
