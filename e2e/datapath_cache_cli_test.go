package e2e

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/halo-fs/halo/internal/poll"
	"github.com/halo-fs/halo/internal/testinfra/masters"
)

// The commands that move data between the workers and the UFS, through
// real processes: load brings a freed file back into the workers, persist
// copies a file only cached to the UFS (free then succeeds and the bytes
// come back from the UFS), pin/unpin and setTtl/unsetTtl answer as
// Alluxio's shell does, cp copies bytes, and mv keeps a file's blocks.
func TestCacheCommandsLoadPersistPinCopy(t *testing.T) {
	c := masters.NewRaft(t, 1, nil)
	c.StartAll()
	leader := c.Leader(60 * time.Second)
	ws := startWorkers(t, c, 2, nil)
	fs := newClient(t, c.RPCAddresses(), time.Minute)
	local := t.TempDir()
	data := randomBytes(21, 2<<20+77)
	src := filepath.Join(local, "src.bin")
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	// Blocks of 1 MB: a write reserves a whole block on a worker, and 64 MB
	// ones would evict the other blocks of the workers' quota.
	halo := func(args ...string) string {
		t.Helper()
		out, err := leader.Halo(append([]string{"-D", "alluxio.user.block.size.bytes.default=1MB"}, args...)...)
		if err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	requireBytes := func(p string) {
		t.Helper()
		if out := halo("fs", "cat", p); !bytes.Equal([]byte(out), data) {
			t.Errorf("cat %s: %d bytes, not the %d written", p, len(out), len(data))
		}
	}
	requireLs := func(p string, want ...string) {
		t.Helper()
		out := halo("fs", "ls", p)
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("ls %s: no %q in\n%s", p, w, out)
			}
		}
	}
	// The workers drop and cache blocks, and tell the master, on their
	// heartbeats: ls catches up within a few.
	awaitCached := func(p, percent string) {
		t.Helper()
		poll.Until(t, 30*time.Second, p+" to be "+percent+" in Alluxio", func() bool {
			out, err := leader.Halo("fs", "ls", p)
			return err == nil && strings.Contains(out, " "+percent+" "+p)
		})
	}
	// The master forgets the copies at once; the workers drop them on
	// their next heartbeat (a load before that finds them still there) and
	// then report them gone.
	freed := func(p string) {
		t.Helper()
		blocks, err := fs.FileBlocks(context.Background(), p)
		if err != nil {
			t.Fatal(err)
		}
		halo("fs", "free", p)
		poll.Until(t, 30*time.Second, "the workers to drop the blocks of "+p, func() bool { return !anyHoldsBlockFile(ws, blocks) })
		awaitCached(p, "0%")
	}
	copyIn := func(wt, dst string) {
		halo("-D", "alluxio.user.file.writetype.default="+wt, "fs", "copyFromLocal", src, dst)
	}

	copyIn("CACHE_THROUGH", "/c/through")
	freed("/c/through")
	if out := halo("fs", "load", "/c/through"); out != "/c/through loaded\n" {
		t.Errorf("load of a freed file: %q", out)
	}
	awaitCached("/c/through", "100%")
	if out := halo("fs", "load", "/c/through"); out != "/c/through already in Alluxio fully\n" {
		t.Errorf("load of a file fully cached: %q", out)
	}

	copyIn("MUST_CACHE", "/c/cached")
	if out, err := leader.Halo("fs", "free", "/c/cached"); err == nil {
		t.Fatalf("free of a file only cached succeeded:\n%s", out)
	}
	if out := halo("fs", "persist", "/c/cached"); out != "persisted file /c/cached with size 2097229\n" {
		t.Errorf("persist of a MUST_CACHE file: %q", out)
	}
	if out := halo("fs", "persist", "/c/cached"); out != "/c/cached is already persisted\n" {
		t.Errorf("persist of a persisted file: %q", out)
	}
	freed("/c/cached")
	requireLs("/c/cached", " PERSISTED ")
	if out := halo("fs", "load", "--local", "/c"); out != "/c/cached loaded\n/c/through already in Alluxio fully\n" {
		t.Errorf("load --local of the folder: %q", out)
	}
	awaitCached("/c/cached", "100%")
	requireBytes("/c/cached") // cached from the UFS copy persist wrote

	if out := halo("fs", "pin", "/c/through"); out != "File '/c/through' was successfully pinned.\n" {
		t.Errorf("pin: %q", out)
	}
	if out := halo("fs", "unpin", "/c/through"); out != "File '/c/through' was successfully unpinned.\n" {
		t.Errorf("unpin: %q", out)
	}
	if out := halo("fs", "setTtl", "/c/through", "1d"); out != "TTL of path '/c/through' was successfully set to 86400000 milliseconds, with expiry action set to DELETE\n" {
		t.Errorf("setTtl: %q", out)
	}
	if out := halo("fs", "stat", "/c/through"); !strings.Contains(out, "ttl=86400000") {
		t.Errorf("stat after setTtl 1d shows no ttl=86400000:\n%s", out)
	}
	if out := halo("fs", "unsetTtl", "/c/through"); out != "TTL of path '/c/through' was successfully removed.\n" {
		t.Errorf("unsetTtl: %q", out)
	}
	if out := halo("fs", "stat", "/c/through"); !strings.Contains(out, "ttl=-1") {
		t.Errorf("stat after unsetTtl shows a TTL:\n%s", out)
	}

	if out := halo("fs", "cp", "/c/through", "/c/copy"); out != "Copied /c/through to /c/copy\n" {
		t.Errorf("cp: %q", out)
	}
	requireBytes("/c/copy")
	if out, err := leader.Halo("fs", "cp", "/c", "/d"); err == nil || !strings.Contains(out, "cp -R") {
		t.Errorf("cp of a folder without -R: %v\n%s", err, out)
	}
	halo("fs", "cp", "-R", "/c", "/d")
	for _, p := range []string{"/d/through", "/d/cached", "/d/copy"} {
		requireBytes(p)
	}

	halo("fs", "mv", "/c/copy", "/c/moved")
	requireLs("/c/moved", " 100% /c/moved")
	requireBytes("/c/moved")
	if out := halo("fs", "du", "-s", "/c"); !strings.HasPrefix(out, "File Size") || !strings.Contains(out, "/c") {
		t.Errorf("du -s /c:\n%s", out)
	}
}
