package journal

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// crashChildDirEnv, when set, makes TestCrashChild act as the child process
// of TestKillDuringAppend, appending to the journal in that folder.
const crashChildDirEnv = "HALO_JOURNAL_CRASH_CHILD_DIR"

const crashSegmentBytes = 8 << 10

// TestCrashChild is the child side of TestKillDuringAppend: it appends
// batches until it is killed, printing "ack <first> <last>" after each
// AppendBatch returns.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashChildDirEnv)
	if dir == "" {
		t.Skip("runs only as the child process of TestKillDuringAppend")
	}
	j, err := Open(Options{Dir: dir, SegmentBytes: crashSegmentBytes})
	if err != nil {
		fmt.Printf("open failed: %v\n", err)
		os.Exit(2)
	}
	// Bounded so an orphaned child ends by itself.
	for batch := 0; batch < 100000; batch++ {
		next := j.LastIndex() + 1
		n := batch%9 + 1
		first, err := j.AppendBatch(testRecords(next, n))
		if err != nil {
			fmt.Printf("append failed: %v\n", err)
			os.Exit(2)
		}
		// os.Stdout is unbuffered: the line is in the pipe when Printf returns.
		fmt.Printf("ack %d %d\n", first, first+uint64(n)-1)
	}
	os.Exit(0)
}

// TestKillDuringAppend runs a child process that appends to a journal and
// kills it with SIGKILL after it acknowledged a number of batches, several
// times over the same folder. After each kill, every batch the child
// acknowledged (AppendBatch returned) must be in the journal, intact.
func TestKillDuringAppend(t *testing.T) {
	if os.Getenv(crashChildDirEnv) != "" {
		t.Skip("this is the child process")
	}
	dir := formatTestDir(t)
	var acked uint64
	for round, killAfter := range []int{1, 40, 97, 250, 13, 180} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashChildDirEnv+"="+dir)
		cmd.Stderr = os.Stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}

		acks := 0
		var other []string
		lines := bufio.NewScanner(stdout)
		// After the kill, keep reading: acknowledgements the child printed
		// before it died are still in the pipe, up to EOF.
		for lines.Scan() {
			var first, last uint64
			if _, err := fmt.Sscanf(lines.Text(), "ack %d %d", &first, &last); err != nil {
				other = append(other, lines.Text())
				continue
			}
			if first != acked+1 {
				t.Errorf("round %d: child acknowledged %d..%d after %d", round, first, last, acked)
			}
			acked = last
			if acks++; acks == killAfter {
				if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
			}
		}
		err = cmd.Wait()
		if acks < killAfter {
			t.Fatalf("round %d: child exited after %d acknowledgements (%v); output: %s", round, acks, err, strings.Join(other, "\n"))
		}

		j := openTestJournal(t, Options{Dir: dir, SegmentBytes: crashSegmentBytes})
		if got := j.LastIndex(); got < acked {
			t.Fatalf("round %d: LastIndex() = %d after kill, but the child acknowledged up to %d", round, got, acked)
		}
		// Records past the last acknowledgement were written but not yet
		// acknowledged when the kill came; they may stay, and later rounds
		// continue after them.
		acked = j.LastIndex()
		checkReplay(t, j, 0, acked)
		mustClose(t, j)
	}
	if segs := segmentFirsts(t, dir); len(segs) < 2 {
		t.Errorf("only %d segments; the test should cross segment boundaries", len(segs))
	}
}
