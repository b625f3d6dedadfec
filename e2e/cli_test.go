package e2e

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/halo-fs/halo/internal/testinfra/masters"
)

// TestCLIAgainstRaftCluster drives the operator commands as a user would,
// through bin/halo and the masters' own configuration.
func TestCLIAgainstRaftCluster(t *testing.T) {
	c, leader := startRaft(t, 3, nil)
	halo := func(args ...string) string {
		t.Helper()
		out, err := leader.Halo(args...)
		if err != nil {
			t.Fatalf("halo %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	if got := strings.TrimSpace(halo("fs", "leader")); got != leader.Host {
		t.Fatalf("fs leader printed %q, want %q", got, leader.Host)
	}
	halo("fs", "mkdir", "/cli/a")
	halo("fs", "touch", "/cli/a/f")
	if out := halo("fs", "ls", "-R", "/cli"); !strings.Contains(out, "/cli/a/f") {
		t.Fatalf("fs ls -R /cli does not list /cli/a/f:\n%s", out)
	}
	if out := halo("fsadmin", "journal", "quorum", "info"); !strings.Contains(out, "Quorum size\t: 3") || !strings.Contains(out, "LEADER") {
		t.Fatalf("quorum info:\n%s", out)
	}
	var target *masters.Master
	for _, m := range c.Masters {
		if m != leader {
			target = m
			break
		}
	}
	halo("fsadmin", "journal", "quorum", "elect", "-address", fmt.Sprintf("%s:%d", target.Host, target.RaftPort))
	if got := strings.TrimSpace(halo("fs", "leader")); got != target.Host {
		t.Fatalf("after quorum elect, fs leader printed %q, want %q", got, target.Host)
	}
	if out := halo("fsadmin", "backup", t.TempDir(), "--local"); !strings.Contains(out, "Backup URI") {
		t.Fatalf("fsadmin backup:\n%s", out)
	}
	out, err := leader.Halo("fs", "rm", "/cli/missing")
	var exit *exec.ExitError
	if err == nil || !errorAs(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("fs rm of a missing path: err %v, want exit status 1", err)
	}
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 1 || !strings.Contains(out, "does not exist") {
		t.Fatalf("error output is not one clear line:\n%s", out)
	}
	// Kill the current leader: fs leader names another master, and the
	// namespace is all there.
	target.Kill()
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, _ := leader.Halo("fs", "leader")
		if host := strings.TrimSpace(out); host != "" && host != target.Host && !strings.Contains(host, " ") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("fs leader never named a new leader; last output %q", out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if out, err := leader.Halo("fs", "ls", "-R", "/cli"); err != nil || !strings.Contains(out, "/cli/a/f") {
		t.Fatalf("after the leader was killed, fs ls -R /cli: %v\n%s", err, out)
	}
}
