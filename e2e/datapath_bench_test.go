package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/internal/testinfra/masters"
	"github.com/halo-fs/halo/internal/testinfra/workers"
)

// BenchmarkDataPath times one client writing and reading 64 MiB files
// through one worker over loopback (its MEM tier is a folder of the test,
// so the page cache, not a tmpfs), with three Raft masters:
//
//	go test -run='^$' -bench=DataPath -benchtime=5x ./e2e/
func BenchmarkDataPath(b *testing.B) {
	c := masters.NewRaft(b, 3, nil)
	c.StartAll()
	c.Leader(60 * time.Second)
	w := workers.New(b, c, "w1", "127.0.0.1", map[string]string{"alluxio.worker.tieredstore.level0.dirs.quota": "2GB"})
	w.Start()
	w.WaitRegistered(c.RPCAddresses(), 60*time.Second)
	fs := benchClient(b, c.RPCAddresses())
	ctx := context.Background()
	data := randomBytes(19, 64<<20)
	write := func(b *testing.B, wt client.WriteType) {
		b.SetBytes(int64(len(data)))
		for i := 0; b.Loop(); i++ {
			f, err := fs.Create(ctx, fmt.Sprintf("/bench/%s-%d", wt, i), client.CreateOptions{WriteType: wt, Recursive: true})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.Copy(f, bytes.NewReader(data)); err != nil {
				b.Fatal(err)
			}
			if err := f.Close(); err != nil {
				b.Fatal(err)
			}
		}
	}
	read := func(b *testing.B, path string, rt client.ReadType) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			r, err := fs.Open(ctx, path, client.OpenOptions{ReadType: rt})
			if err != nil {
				b.Fatal(err)
			}
			if n, err := io.Copy(io.Discard, r); err != nil || n != int64(len(data)) {
				b.Fatalf("read %d bytes: %v", n, err)
			}
			r.Close()
		}
	}
	b.Run("write/MUST_CACHE", func(b *testing.B) { write(b, client.MustCache) })
	b.Run("write/CACHE_THROUGH", func(b *testing.B) { write(b, client.CacheThrough) })
	b.Run("write/THROUGH", func(b *testing.B) { write(b, client.Through) })
	b.Run("read/warm", func(b *testing.B) { read(b, "/bench/MUST_CACHE-0", client.Cache) })
	b.Run("read/UFS-NO_CACHE", func(b *testing.B) { read(b, "/bench/THROUGH-0", client.NoCache) })
}
