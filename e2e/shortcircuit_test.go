package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/internal/poll"
	"github.com/halo-fs/halo/internal/testinfra/masters"
	"github.com/halo-fs/halo/internal/testinfra/workers"
)

// The worker's counters of bytes that crossed its RPC streams, and of the
// short-circuit path, where the client touches the block files itself.
const (
	remoteBytesWritten = "halo_worker_bytes_written_total"
	remoteBytesRead    = "halo_worker_bytes_read_total"
	localBytesWritten  = "halo_worker_bytes_written_local_total"
	localBlocksOpened  = "halo_worker_blocks_opened_local_total"
)

// oneWorkerCluster is one Raft master and one worker on this host, so
// that every block is on that worker and the client short-circuits to it.
func oneWorkerCluster(t *testing.T) (*workers.Worker, *client.Client, context.Context) {
	t.Helper()
	c := masters.NewRaft(t, 1, nil)
	c.StartAll()
	c.Leader(60 * time.Second)
	w := startWorkers(t, c, 1, nil)[0]
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return w, newClient(t, c.RPCAddresses(), time.Minute), ctx
}

// A client on the worker's host writes and reads blocks in the worker's
// files itself: no block byte crosses the worker's WriteBlock or ReadBlock
// streams, and the bytes read back are those written. The same file read
// with short-circuit off does cross them, so the counters are the proof.
func TestShortCircuitWriteAndRead(t *testing.T) {
	w, fs, ctx := oneWorkerCluster(t)
	data := randomBytes(51, 3*dataBlockSize+123)

	writeAll(t, ctx, fs, "/sc/file", client.MustCache, data)
	requireContent(t, ctx, fs, "/sc/file", client.Cache, data)
	wantMetrics(t, w, "after a short-circuit write and read", map[string]float64{
		remoteBytesWritten: 0, remoteBytesRead: 0,
		localBytesWritten: float64(len(data)), localBlocksOpened: 4,
	})

	got, err := readWith(ctx, fs, "/sc/file", client.OpenOptions{NoShortCircuit: true})
	if err != nil {
		t.Fatal(err)
	}
	sameBytes(t, "read with short-circuit off", got, data)
	wantMetrics(t, w, "after a read with short-circuit off", map[string]float64{
		remoteBytesRead: float64(len(data)), localBlocksOpened: 4,
	})
}

func readWith(ctx context.Context, fs *client.Client, path string, opts client.OpenOptions) ([]byte, error) {
	r, err := fs.Open(ctx, path, opts)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// wantMetrics compares the worker's counters with want.
func wantMetrics(t *testing.T, w *workers.Worker, when string, want map[string]float64) {
	t.Helper()
	got := workerMetrics(t, w)
	for name, v := range want {
		if got[name] != v {
			t.Errorf("%s: %s = %v, want %v", when, name, got[name], v)
		}
	}
}

// workerMetrics reads the worker's Prometheus counters.
func workerMetrics(t *testing.T, w *workers.Worker) map[string]float64 {
	t.Helper()
	resp, err := http.Get("http://" + net.JoinHostPort(w.Host, strconv.Itoa(w.WebPort)) + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	lines := bufio.NewScanner(resp.Body)
	for lines.Scan() {
		name, value, ok := strings.Cut(lines.Text(), " ")
		if v, err := strconv.ParseFloat(value, 64); ok && err == nil && !strings.HasPrefix(name, "#") {
			out[name] = v
		}
	}
	if err := lines.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// corruptBlockFile flips a byte at off of the block's data file in the
// worker's folder, behind the worker's back.
func corruptBlockFile(t *testing.T, w *workers.Worker, blockID, off int64) {
	t.Helper()
	var path string
	err := filepath.WalkDir(w.Dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == strconv.FormatInt(blockID, 10) && filepath.Base(filepath.Dir(p)) != "tmp" {
			path = p
		}
		return err
	})
	if err != nil || path == "" {
		t.Fatalf("no data file of block %d under %s: %v", blockID, w.Dir, err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[off] ^= 0x5a
	// In place, as a disk's bit rot would: the worker keeps its handle.
	if err := os.WriteFile(path, data, 0); err != nil {
		t.Fatal(err)
	}
}

// A byte flipped in a block file on the worker's disk is found on read,
// whether the client reads the file itself or through the worker: the
// worker drops the block and reports it gone to the master, and the read
// returns the right bytes from the UFS for a persisted file, and an error,
// never wrong bytes, for a file that was only cached.
func TestCorruptBlockIsDroppedAndReadFromUfs(t *testing.T) {
	w, fs, ctx := oneWorkerCluster(t)
	data := randomBytes(52, 2*dataBlockSize+77)
	for _, tc := range []struct {
		path string
		wt   client.WriteType
		open client.OpenOptions
	}{
		// NO_CACHE, so that the UFS read does not cache the block again
		// and the master's listing shows it gone.
		{"/corrupt/sc", client.CacheThrough, client.OpenOptions{ReadType: client.NoCache}},
		{"/corrupt/remote", client.CacheThrough, client.OpenOptions{ReadType: client.NoCache, NoShortCircuit: true}},
		{"/corrupt/cached", client.MustCache, client.OpenOptions{}},
	} {
		t.Run(strings.TrimPrefix(tc.path, "/corrupt/"), func(t *testing.T) {
			writeAll(t, ctx, fs, tc.path, tc.wt, data)
			blocks, err := fs.FileBlocks(ctx, tc.path)
			if err != nil {
				t.Fatal(err)
			}
			// Past the first MiB: a read through the worker has begun
			// returning the block's bytes when it reaches the bad chunk.
			damaged := blocks[1]
			corruptBlockFile(t, w, damaged.ID, 3<<20+5)

			got, err := readWith(ctx, fs, tc.path, tc.open)
			if tc.wt == client.MustCache {
				if err == nil {
					t.Fatalf("read of a damaged MUST_CACHE file returned %d bytes and no error", len(got))
				}
				t.Logf("read of the damaged MUST_CACHE file: %v", err)
			} else {
				if err != nil {
					t.Fatalf("read of a damaged persisted file: %v", err)
				}
				sameBytes(t, "read of a damaged persisted file", got, data)
			}
			waitBlockUnlisted(t, ctx, fs, tc.path, damaged.ID)
		})
	}
}

// waitBlockUnlisted waits until the master no longer lists a location of
// the block: the worker reported it dropped.
func waitBlockUnlisted(t *testing.T, ctx context.Context, fs *client.Client, path string, id int64) {
	t.Helper()
	poll.Until(t, time.Minute, fmt.Sprintf("the master to list no location of the dropped block %d of %s", id, path), func() bool {
		blocks, err := fs.FileBlocks(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range blocks {
			if b.ID == id && len(b.Locations) > 0 {
				return false
			}
		}
		return true
	})
}
