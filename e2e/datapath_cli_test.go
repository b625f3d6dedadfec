package e2e

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
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

// The data commands through real processes: copyFromLocal with each write
// type, cat and copyToLocal give the same bytes back, ls shows the
// persistence state and the cached share; runTests passes every
// combination and refuses a bad flag.
func TestDataCommandsAndRunTests(t *testing.T) {
	c := masters.NewRaft(t, 3, nil)
	c.StartAll()
	leader := c.Leader(60 * time.Second)
	ws := startWorkers(t, c, 3, nil)
	local := t.TempDir()
	data := randomBytes(16, 5<<20+123)
	src := filepath.Join(local, "src.bin")
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, wt := range []string{"MUST_CACHE", "CACHE_THROUGH", "THROUGH", "ASYNC_THROUGH"} {
		dst := "/cli/" + wt
		out, err := leader.Halo("-D", "alluxio.user.file.writetype.default="+wt, "-D", "alluxio.user.block.size.bytes.default=1MB", "fs", "copyFromLocal", src, dst)
		if err != nil || out != "Copied file://"+src+" to "+dst+"\n" {
			t.Fatalf("copyFromLocal with %s: %v\n%s", wt, err, out)
		}
		out, err = leader.Halo("fs", "cat", dst)
		if err != nil || !bytes.Equal([]byte(out), data) {
			t.Errorf("cat %s: %v, %d bytes back of %d", dst, err, len(out), len(data))
		}
		back := filepath.Join(local, wt)
		if out, err := leader.Halo("fs", "copyToLocal", dst, back); err != nil {
			t.Errorf("copyToLocal %s: %v\n%s", dst, err, out)
		} else if got, _ := os.ReadFile(back); !bytes.Equal(got, data) {
			t.Errorf("copyToLocal %s wrote %d bytes, not the %d copied in", dst, len(got), len(data))
		}
		out, err = leader.Halo("fs", "ls", dst)
		state := map[string]string{"MUST_CACHE": " NOT_PERSISTED ", "ASYNC_THROUGH": "PERSISTED "}[wt]
		if state == "" {
			state = " PERSISTED "
		}
		if err != nil || !strings.Contains(out, state) || !strings.Contains(out, " 100% "+dst) {
			t.Errorf("ls %s after %s (and a read that caches): %v\n%s", dst, wt, err, out)
		}
	}
	if out, err := leader.Halo("fs", "head", "-c", "10", "/cli/THROUGH"); err != nil || out != string(data[:10]) {
		t.Errorf("head -c 10: %v, %q", err, out)
	}
	if out, err := leader.Halo("fs", "tail", "-c", "10", "/cli/THROUGH"); err != nil || out != string(data[len(data)-10:]) {
		t.Errorf("tail -c 10: %v, %q", err, out)
	}
	if out, err := leader.Halo("fs", "free", "/cli/CACHE_THROUGH"); err != nil || !strings.Contains(out, "successfully freed") {
		t.Errorf("free: %v\n%s", err, out)
	}
	if out, err := leader.Halo("fs", "free", "/cli/MUST_CACHE"); err == nil || !strings.Contains(out, "not persisted") {
		t.Errorf("free of a MUST_CACHE file: %v\n%s", err, out)
	}

	requireRmDropsBlocks(t, c, leader, ws, "/cli/MUST_CACHE")

	for _, wt := range []string{"MUST_CACHE", "CACHE_THROUGH", "THROUGH"} {
		out, err := leader.Halo("runTests", "--writeType", wt)
		if err != nil || strings.Count(out, "Passed the test!") != 6 {
			t.Errorf("runTests --writeType %s: %v\n%s", wt, err, out)
		}
	}
	out, err := leader.Halo("runTests")
	if err != nil || strings.Count(out, "Passed the test!") != 24 ||
		!strings.HasPrefix(out, "runTest --operation BASIC --readType CACHE_PROMOTE --writeType MUST_CACHE\nPassed the test!\n") {
		t.Errorf("runTests of every combination: %v, want 24 passed\n%s", err, out)
	}
	out, err = leader.Halo("runTests", "--writeType", "NONSENSE")
	var exit *exec.ExitError
	if !errors.As(err, &exit) || !strings.Contains(out, "unknown write type") {
		t.Errorf("runTests with a bad write type: %v\n%s", err, out)
	}
}

// requireRmDropsBlocks removes path with `fs rm` and waits until no
// worker keeps a file of its blocks.
func requireRmDropsBlocks(t *testing.T, c *masters.Cluster, leader *masters.Master, ws []*workers.Worker, path string) {
	t.Helper()
	fs := newClient(t, c.RPCAddresses(), time.Minute)
	blocks, err := fs.FileBlocks(context.Background(), path)
	if err != nil || len(blocks) == 0 {
		t.Fatalf("blocks of %s: %v, %d", path, err, len(blocks))
	}
	held := func() bool { return anyHoldsBlockFile(ws, blocks) }
	if !held() {
		t.Fatalf("no worker holds a block file of %s before it is removed", path)
	}
	if out, err := leader.Halo("fs", "rm", path); err != nil {
		t.Fatalf("rm %s: %v\n%s", path, err, out)
	}
	poll.Until(t, 30*time.Second, "the workers to drop the removed file's blocks", func() bool { return !held() })
}

// anyHoldsBlockFile says whether a worker of ws keeps a file of one of
// blocks in its store.
func anyHoldsBlockFile(ws []*workers.Worker, blocks []client.FileBlock) bool {
	for _, w := range ws {
		for _, b := range blocks {
			if _, err := os.Stat(filepath.Join(w.Dir, "mem", "halo-blocks", strconv.FormatInt(b.ID, 10))); err == nil {
				return true
			}
		}
	}
	return false
}
