package e2e

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/halo-fs/halo/internal/poll"
	"github.com/halo-fs/halo/internal/testinfra/alluxio"
	"github.com/halo-fs/halo/internal/testinfra/workers"
)

// The real Alluxio 2.9.3 client writes and reads files through Halo's
// masters and workers: its shell's copyFromLocal and cat with the write
// types Halo serves, and its TestRunner (`alluxio runTests`).
func TestRealAlluxioClientDataPath(t *testing.T) {
	c, conf := startAlluxioCompatibleRaft(t, nil)
	// Alluxio's client reserves a whole 64 MiB block per write.
	startWorkers(t, c, 3, func(w *workers.Worker) { w.Props["alluxio.worker.tieredstore.level0.dirs.quota"] = "512MB" })
	data := randomBytes(17, 3<<20+5)
	src := filepath.Join(t.TempDir(), "src.bin")
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, errOut, code := alluxio.Shell(t, conf, "mkdir", "/real"); code != 0 {
		t.Fatalf("real shell mkdir: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, wt := range []string{"MUST_CACHE", "CACHE_THROUGH", "THROUGH", "ASYNC_THROUGH"} {
		withType := map[string]string{"alluxio.user.file.writetype.default": wt, "alluxio.user.block.size.bytes.default": "1MB"}
		for k, v := range conf {
			withType[k] = v
		}
		dst := "/real/" + wt
		if out, errOut, code := alluxio.Shell(t, withType, "copyFromLocal", src, dst); code != 0 {
			t.Fatalf("real shell copyFromLocal with %s: exit %d\n%s\n%s", wt, code, out, errOut)
		}
		out, errOut, code := alluxio.Shell(t, conf, "cat", dst)
		if code != 0 || !bytes.Equal([]byte(out), data) {
			t.Errorf("real shell cat %s: exit %d, %d bytes of %d\n%s", dst, code, len(out), len(data), errOut)
		}
	}
	r := alluxio.RunT(t, alluxio.Command{Main: alluxio.TestRunner, Conf: conf})
	if r.ExitCode != 0 || strings.Count(r.Stdout, "Passed the test!") != 24 {
		t.Errorf("real runTests: exit %d, want 24 passed\n%s\n%s", r.ExitCode, r.Stdout, r.Stderr)
	}
}

// The real Alluxio shell's persist, free, load and copyToLocal move a
// file between the workers and the UFS as Halo's CLI does: the same states
// in Halo's ls, the same bytes back.
func TestRealAlluxioShellPersistFreeLoad(t *testing.T) {
	c, conf := startAlluxioCompatibleRaft(t, nil)
	startWorkers(t, c, 2, func(w *workers.Worker) { w.Props["alluxio.worker.tieredstore.level0.dirs.quota"] = "512MB" })
	leader := c.Leader(60 * time.Second)
	local := t.TempDir()
	data := randomBytes(18, 2<<20+9)
	src := filepath.Join(local, "src.bin")
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	shell := func(args ...string) string {
		t.Helper()
		out, errOut, code := alluxio.Shell(t, conf, args...)
		if code != 0 {
			t.Fatalf("real shell %s: exit %d\n%s\n%s", strings.Join(args, " "), code, out, errOut)
		}
		return out
	}
	awaitLs := func(p string, want ...string) {
		t.Helper()
		poll.Until(t, 60*time.Second, fmt.Sprintf("Halo's ls %s to show %q", p, want), func() bool {
			out, err := leader.Halo("fs", "ls", p)
			for _, w := range want {
				if err != nil || !strings.Contains(out, w) {
					return false
				}
			}
			return true
		})
	}
	if out, err := leader.Halo("-D", "alluxio.user.file.writetype.default=MUST_CACHE", "-D", "alluxio.user.block.size.bytes.default=1MB", "fs", "copyFromLocal", src, "/real/cached"); err != nil {
		t.Fatalf("copyFromLocal: %v\n%s", err, out)
	}
	shell("persist", "/real/cached")
	awaitLs("/real/cached", " PERSISTED ")
	shell("free", "/real/cached")
	awaitLs("/real/cached", " 0% /real/cached")
	shell("load", "/real/cached")
	awaitLs("/real/cached", " PERSISTED ", " 100% /real/cached")
	for _, copyOut := range []func(dst string) error{
		func(dst string) error { shell("copyToLocal", "/real/cached", dst); return nil },
		func(dst string) error { _, err := leader.Halo("fs", "copyToLocal", "/real/cached", dst); return err },
	} {
		dst := filepath.Join(t.TempDir(), "back.bin")
		if err := copyOut(dst); err != nil {
			t.Fatal(err)
		}
		if got, err := os.ReadFile(dst); err != nil || !bytes.Equal(got, data) {
			t.Errorf("copyToLocal after persist, free and load: %v, %d bytes of %d", err, len(got), len(data))
		}
	}
}
