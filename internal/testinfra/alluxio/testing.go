package alluxio

import (
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/halo-fs/halo/internal/testinfra/proc"
)

// FindT is Find for a test: without Java or the jars the test fails,
// saying what is missing.
func FindT(t testing.TB) *Programs {
	t.Helper()
	p, err := Find()
	if err != nil {
		t.Fatalf("the real Alluxio %s programs cannot be had: %v", Version, err)
	}
	return p
}

// RunT runs c for a test in a folder of its own (kept with the test's
// other folders when it fails; c.Dir is ignored) and fails the test if
// the program cannot run or does not end in time. A non-zero exit is the
// test's to judge.
func RunT(t testing.TB, c Command) Result {
	t.Helper()
	p := FindT(t)
	dir, err := os.MkdirTemp(testDir(t), "cmd-")
	if err != nil {
		t.Fatal(err)
	}
	c.Dir = dir
	r, err := p.Run(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s %s: exit %d in %v", c.Main, strings.Join(c.Args, " "), r.ExitCode, r.Elapsed.Round(1e6))
	return r
}

// Shell runs the real `alluxio fs ARGS` with conf (ClientConf of a master,
// or alluxio.master.rpc.addresses of several).
func Shell(t testing.TB, conf map[string]string, args ...string) (stdout, stderr string, exitCode int) {
	t.Helper()
	return run(t, FileSystemShell, conf, args)
}

// AdminShell runs the real `alluxio fsadmin ARGS` with conf.
func AdminShell(t testing.TB, conf map[string]string, args ...string) (stdout, stderr string, exitCode int) {
	t.Helper()
	return run(t, FileSystemAdminShell, conf, args)
}

// HadoopFS runs `hadoop fs ARGS` (Hadoop's FsShell) with Alluxio's Hadoop
// client serving alluxio:// and conf in core-site.xml.
func HadoopFS(t testing.TB, conf map[string]string, args ...string) (stdout, stderr string, exitCode int) {
	t.Helper()
	return run(t, HadoopFsShell, conf, args)
}

func run(t testing.TB, main MainClass, conf map[string]string, args []string) (string, string, int) {
	t.Helper()
	r := RunT(t, Command{Main: main, Conf: conf, Args: args})
	return r.Stdout, r.Stderr, r.ExitCode
}

// testDirs holds the folder of each running test that ran a program.
var testDirs sync.Map // testing.TB -> string

// testDir is the test's folder for its programs, made on first use.
func testDir(t testing.TB) string {
	if d, ok := testDirs.Load(t); ok {
		return d.(string)
	}
	d := proc.Dir(t)
	testDirs.Store(t, d)
	t.Cleanup(func() { testDirs.Delete(t) })
	return d
}
