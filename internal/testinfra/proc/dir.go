package proc

import (
	"os"
	"strings"
	"testing"
)

// Dir makes a folder for a test's processes (their logs and data) that is
// removed when the test passes and kept, with its path logged, when it
// fails: t.TempDir would delete what a post-mortem needs. Register it
// before the processes' cleanups, so that they are gone when it is removed.
func Dir(t testing.TB) string {
	t.Helper()
	name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
	dir, err := os.MkdirTemp("", "halo-"+name+"-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kept the logs and data of the failed test in %s", dir)
			return
		}
		os.RemoveAll(dir)
	})
	return dir
}
