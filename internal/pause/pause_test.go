package pause

import (
	"os/exec"
	"syscall"
	"testing"
	"time"
)

func TestState(t *testing.T) {
	for _, c := range []struct {
		line string
		want byte
	}{
		{"123 (halo) S 1 123 123 0 -1", 'S'},
		{"123 (a) b) T 1 2", 'T'},
		{"7 (x y (z)) t 1", 't'},
	} {
		got, err := State(c.line)
		if err != nil || got != c.want {
			t.Errorf("State(%q) = %q, %v; want %q", c.line, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "123 halo S", "123 (halo)", "123 (halo)S 1"} {
		if _, err := State(bad); err == nil {
			t.Errorf("State(%q) accepted a malformed line", bad)
		}
	}
}

// TestStopWaitsForEveryThread stops a real process and checks that, when
// Stop returns, no thread of it is left running; after SIGCONT it runs
// again.
func TestStopWaitsForEveryThread(t *testing.T) {
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	if err := Stop(cmd.Process, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if n, err := runningThreads(cmd.Process.Pid); err != nil || n != 0 {
		t.Fatalf("after Stop: %d threads running, %v", n, err)
	}
	if err := cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	if err := WaitStopped(cmd.Process.Pid, 50*time.Millisecond); err == nil {
		t.Error("WaitStopped returned nil for a process that was continued")
	}
}

func TestStopReportsAnExitedProcess(t *testing.T) {
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if err := WaitStopped(cmd.Process.Pid, time.Second); err == nil {
		t.Error("WaitStopped returned nil for a process that is gone")
	}
}
