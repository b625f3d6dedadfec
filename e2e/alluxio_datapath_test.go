package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/halo-fs/halo/internal/testinfra/alluxio"
)

// The real Alluxio 2.9.3 client writes and reads files through Halo's
// masters and workers: its shell's copyFromLocal and cat with the write
// types Halo serves, and its TestRunner (`alluxio runTests`).
func TestRealAlluxioClientDataPath(t *testing.T) {
	c, conf := startAlluxioCompatibleRaft(t, nil)
	startWorkers(t, c, 3, nil)
	data := randomBytes(17, 3<<20+5)
	src := filepath.Join(t.TempDir(), "src.bin")
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, errOut, code := alluxio.Shell(t, conf, "mkdir", "/real"); code != 0 {
		t.Fatalf("real shell mkdir: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, wt := range []string{"MUST_CACHE", "CACHE_THROUGH", "THROUGH"} {
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
	// Every combination but ASYNC_THROUGH's, which Halo's masters refuse.
	r := alluxio.RunT(t, alluxio.Command{Main: alluxio.TestRunner, Conf: conf})
	if r.ExitCode != 6 || strings.Count(r.Stdout, "Passed the test!") != 18 || strings.Count(r.Stdout, "--writeType ASYNC_THROUGH\n\x1b[31mFailed the test!") != 6 {
		t.Errorf("real runTests: exit %d, want 18 passed and the 6 ASYNC_THROUGH tests failed\n%s\n%s", r.ExitCode, r.Stdout, r.Stderr)
	}
}
