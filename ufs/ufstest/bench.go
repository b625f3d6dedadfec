package ufstest

import (
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/halo-fs/halo/ufs"
)

// BenchmarkLargeFile measures streaming one file of size bytes into s and
// reading it back, as the sub-benchmarks Write and Read; their MB/s is the
// store's throughput for large sequential files (checkpoints, backups).
// Run it with -benchtime=1x: one file per iteration.
func BenchmarkLargeFile(b *testing.B, s ufs.Store, size int64) {
	const name = "bench-large"
	source := func() io.Reader {
		return io.LimitReader(rand.NewChaCha8([32]byte{'b', 'e', 'n', 'c', 'h'}), size)
	}
	write := func(b *testing.B) {
		w, err := s.Create(b.Context(), name, ufs.CreateOptions{Overwrite: true})
		if err != nil {
			b.Fatal(err)
		}
		defer w.Abort()
		buf := make([]byte, 1<<20)
		if n, err := io.CopyBuffer(w, source(), buf); err != nil || n != size {
			b.Fatalf("wrote %d bytes: %v", n, err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("Write", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			write(b)
		}
	})
	b.Run("Read", func(b *testing.B) {
		if ok, err := ufs.Exists(b.Context(), s, name); err != nil || !ok {
			write(b)
		}
		b.SetBytes(size)
		buf := make([]byte, 1<<20)
		for b.Loop() {
			r, err := s.Open(b.Context(), name)
			if err != nil {
				b.Fatal(err)
			}
			n, err := io.CopyBuffer(io.Discard, r, buf)
			r.Close()
			if err != nil || n != size {
				b.Fatal(fmt.Errorf("read %d bytes: %w", n, err))
			}
		}
	})
	if err := s.Delete(b.Context(), name); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkSmallFiles creates b.N files of size bytes without Overwrite,
// one after another, as a journal writes one object per batch; ns/op is
// the latency of one durable, fenced write.
func BenchmarkSmallFiles(b *testing.B, s ufs.Store, size int) {
	data := make([]byte, size)
	b.SetBytes(int64(size))
	i := 0
	for b.Loop() {
		if err := ufs.WriteFile(b.Context(), s, fmt.Sprintf("small/%016x", i), data, ufs.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.StopTimer()
	if err := s.DeleteAll(b.Context(), "small"); err != nil {
		b.Fatal(err)
	}
}
