package e2e

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/internal/poll"
	"github.com/halo-fs/halo/internal/testinfra/masters"
	"github.com/halo-fs/halo/internal/testinfra/workers"
)

// smallBlock is the block size of the files written here: several blocks
// fit a worker's tiny tier.
const smallBlock = 1 << 20

// writeSmallBlocks writes path with data in blocks of smallBlock bytes.
func writeSmallBlocks(t *testing.T, ctx context.Context, fs *client.Client, path string, wt client.WriteType, data []byte) {
	t.Helper()
	w, err := fs.Create(ctx, path, client.CreateOptions{WriteType: wt, BlockSize: smallBlock})
	if err != nil {
		t.Fatalf("create %s (%s): %v", path, wt, err)
	}
	if _, err := w.Write(data); err != nil {
		w.Abort()
		t.Fatalf("write %s (%s): %v", path, wt, err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("close %s (%s): %v", path, wt, err)
	}
}

// gapCluster is one Raft master and one worker (adjust changes its
// properties first), a client, the root's UFS folder, and a context
// bounding the test.
type gapCluster struct {
	leader  *masters.Master
	worker  *workers.Worker
	fs      *client.Client
	ufsRoot string
	ctx     context.Context
}

func startGapCluster(t *testing.T, adjust func(*workers.Worker)) gapCluster {
	t.Helper()
	c := masters.NewRaft(t, 1, nil)
	c.StartAll()
	leader := c.Leader(60 * time.Second)
	ws := startWorkers(t, c, 1, adjust)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return gapCluster{leader: leader, worker: ws[0], fs: newClient(t, c.RPCAddresses(), time.Minute),
		ufsRoot: c.Masters[0].Props["alluxio.master.mount.table.root.ufs"], ctx: ctx}
}

// An ASYNC_THROUGH file's blocks are its only copy until the persister
// has copied them. Here the persister cannot (the UFS root is not a
// folder) and the worker has no heartbeat during the test, so it never
// has the master's list of files to keep: a MUST_CACHE write that fills
// its tiny tier right after must still not evict them, and the file
// reads back.
func TestAsyncThroughBlocksAreKeptBeforeTheWorkersNextHeartbeat(t *testing.T) {
	g := startGapCluster(t, func(w *workers.Worker) {
		w.Props["alluxio.worker.block.heartbeat.interval"] = "1h"
		w.Props["alluxio.worker.tieredstore.level0.dirs.quota"] = "3MB"
	})
	fs, ctx, ufsRoot := g.fs, g.ctx, g.ufsRoot
	if err := os.RemoveAll(ufsRoot); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ufsRoot, nil, 0o644); err != nil {
		t.Fatal(err)
	}

	data := randomBytes(41, 2*smallBlock)
	writeSmallBlocks(t, ctx, fs, "/async", client.AsyncThrough, data)
	filler, err := fs.Create(ctx, "/filler", client.CreateOptions{WriteType: client.MustCache, BlockSize: smallBlock})
	if err != nil {
		t.Fatal(err)
	}
	// The filler may fail for want of room: the point is what it evicts.
	if _, err := filler.Write(randomBytes(42, 2*smallBlock)); err == nil {
		err = filler.Close()
		t.Logf("the filler's write: %v", err)
	}
	got, err := readAll(ctx, fs, "/async", client.NoCache)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("the ASYNC_THROUGH file, not persisted yet, after a write filled its worker's tier: %d bytes, %v; want the %d written", len(got), err, len(data))
	}
}

// A write that must reach the UFS (THROUGH, CACHE_THROUGH) into a mount
// whose UFS folder is gone is refused at create, with FailedPrecondition
// naming the folder, through the client and through copyFromLocal; no
// file is left behind.
func TestThroughCreateIntoAMissingUfsFolderIsRefused(t *testing.T) {
	g := startGapCluster(t, nil)
	leader, fs, ctx, ufsRoot := g.leader, g.fs, g.ctx, g.ufsRoot
	if err := os.RemoveAll(ufsRoot); err != nil {
		t.Fatal(err)
	}

	for _, wt := range []client.WriteType{client.Through, client.CacheThrough} {
		w, err := fs.Create(ctx, "/through", client.CreateOptions{WriteType: wt})
		if err == nil {
			w.Abort()
		}
		if fserr.CodeOf(err) != fserr.FailedPrecondition || !strings.Contains(err.Error(), ufsRoot) {
			t.Errorf("create %s with the root's UFS folder gone: %v; want FailedPrecondition naming %s", wt, err, ufsRoot)
		}
	}
	local := filepath.Join(t.TempDir(), "src")
	if err := os.WriteFile(local, randomBytes(43, 1000), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := leader.Halo("-D", "alluxio.user.file.writetype.default=THROUGH", "fs", "copyFromLocal", local, "/copied")
	if err == nil || !strings.Contains(out, ufsRoot) {
		t.Errorf("copyFromLocal THROUGH with the root's UFS folder gone: %v\n%s\nwant a failure naming %s", err, out, ufsRoot)
	}
	if _, err := fs.GetStatus(ctx, "/copied"); fserr.CodeOf(err) != fserr.NotFound {
		t.Errorf("the refused copy's file: %v, want NotFound", err)
	}
}

// A load right after a free caches the file again for good: the drop the
// free queued for the worker's next heartbeat must not take the block the
// load kept. A later free's drop (of another file) reaching the worker
// shows that the heartbeats since have come and gone.
func TestLoadRightAfterFreeKeepsTheBlocks(t *testing.T) {
	g := startGapCluster(t, func(w *workers.Worker) {
		w.Props["alluxio.worker.block.heartbeat.interval"] = "3s" // the free and the load fit between two
	})
	fs, ctx, ws := g.fs, g.ctx, []*workers.Worker{g.worker}
	data := randomBytes(44, 2*smallBlock)
	for _, p := range []string{"/loaded", "/marker"} {
		writeSmallBlocks(t, ctx, fs, p, client.CacheThrough, data)
	}
	blocks, err := fs.FileBlocks(ctx, "/loaded")
	if err != nil {
		t.Fatal(err)
	}

	if err := fs.FreeBlocks(ctx, "/loaded", false); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Load(ctx, "/loaded", false); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 30*time.Second, "the master to know the loaded blocks' worker", func() bool {
		for _, held := range blockHolders(t, ctx, fs, "/loaded", ws[0]) {
			if !held {
				return false
			}
		}
		return true
	})
	marker, err := fs.FileBlocks(ctx, "/marker")
	if err != nil {
		t.Fatal(err)
	}
	if err := fs.FreeBlocks(ctx, "/marker", false); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 30*time.Second, "the worker to drop the later free's blocks", func() bool { return !anyHoldsBlockFile(ws, marker) })
	for _, b := range blocks {
		if !anyHoldsBlockFile(ws, []client.FileBlock{b}) {
			t.Errorf("block %d of the file loaded right after its free is gone from the worker", b.ID)
		}
	}
}
