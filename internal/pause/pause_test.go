package pause

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sync"
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
		got, err := stateOf(c.line)
		if err != nil || got != c.want {
			t.Errorf("stateOf(%q) = %q, %v; want %q", c.line, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "123 halo S", "123 (halo)", "123 (halo)S 1"} {
		if _, err := stateOf(bad); err == nil {
			t.Errorf("stateOf(%q) accepted a malformed line", bad)
		}
	}
}

// spinEnv makes the test binary, started again by the test, a helper
// process: several threads busy on the CPU and one asleep, until killed
// or a minute has passed.
const spinEnv = "HALO_PAUSE_TEST_SPIN"

func TestMain(m *testing.M) {
	if os.Getenv(spinEnv) == "1" {
		var locked sync.WaitGroup
		for range 4 {
			locked.Add(1)
			go func() {
				runtime.LockOSThread()
				locked.Done()
				//lint:ignore SA5002 the threads must stay busy, so that a pause has running threads to stop
				for {
				}
			}()
		}
		locked.Wait()
		fmt.Println("ready")
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestStopWaitsForEveryThread stops a real process with threads busy on
// the CPU and checks that, when Stop returns, no thread of it is left
// running; after SIGCONT it runs again.
func TestStopWaitsForEveryThread(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), spinEnv+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || line != "ready\n" {
		t.Fatalf("helper process said %q, %v", line, err)
	}
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", cmd.Process.Pid))
	if err != nil || len(tasks) < 5 {
		t.Fatalf("helper process has %d threads (%v), want at least 5", len(tasks), err)
	}
	if err := Stop(cmd.Process, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if n, err := runningThreads(cmd.Process.Pid); err != nil || n != 0 {
		t.Fatalf("after Stop: %d threads running, %v", n, err)
	}
	if err := cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	if err := waitStopped(cmd.Process.Pid, 50*time.Millisecond); err == nil {
		t.Error("waitStopped returned nil for a process that was continued")
	}
}

func TestStopReportsAnExitedProcess(t *testing.T) {
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if err := waitStopped(cmd.Process.Pid, time.Second); err == nil {
		t.Error("waitStopped returned nil for a process that is gone")
	}
}
