package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
