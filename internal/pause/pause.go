// Package pause stops processes with SIGSTOP for tests and waits until the
// stop has taken effect. kill(2) returns once the signal is queued; the
// target's threads stop only as each is next scheduled, so on a loaded
// machine a "paused" master can still accept a connection and answer for
// some milliseconds. A test that pauses a leader and then asks who leads
// must not see that answer.
package pause

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Stop sends SIGSTOP to p and waits, up to timeout, until every thread of
// it is stopped. If the wait fails the process is continued, so that it is
// never left stopped by a pause its caller believes did not happen.
func Stop(p *os.Process, timeout time.Duration) error {
	if err := p.Signal(syscall.SIGSTOP); err != nil {
		return err
	}
	if err := waitStopped(p.Pid, timeout); err != nil {
		_ = p.Signal(syscall.SIGCONT)
		return err
	}
	return nil
}

// waitStopped polls /proc until every thread of pid is in the stopped
// state, and fails if the process exits or timeout passes first.
func waitStopped(pid int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		running, err := runningThreads(pid)
		if err != nil {
			return err
		}
		if running == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("process %d: %d threads still running %s after SIGSTOP", pid, running, timeout)
		}
		time.Sleep(time.Millisecond)
	}
}

// runningThreads counts the threads of pid that are not stopped. Threads
// that exit while it reads are skipped.
func runningThreads(pid int) (int, error) {
	dir := fmt.Sprintf("/proc/%d/task", pid)
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return 0, fmt.Errorf("process %d: %w", pid, err)
	}
	running := 0
	for _, task := range tasks {
		b, err := os.ReadFile(filepath.Join(dir, task.Name(), "stat"))
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ESRCH) {
			continue
		}
		if err != nil {
			return 0, err
		}
		state, err := stateOf(string(b))
		if err != nil {
			return 0, fmt.Errorf("process %d thread %s: %w", pid, task.Name(), err)
		}
		switch {
		case state == 'T' || state == 't':
		case state == 'Z' || state == 'X':
			// A thread on its way out is gone; the main one means the
			// process is.
			if task.Name() == strconv.Itoa(pid) {
				return 0, fmt.Errorf("process %d exited", pid)
			}
		default:
			running++
		}
	}
	return running, nil
}

// stateOf returns the state letter of a /proc/<pid>/stat line: the field
// after the command name, which is in parentheses and may itself contain
// spaces and parentheses.
func stateOf(stat string) (byte, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 || i+2 >= len(stat) || stat[i+1] != ' ' {
		return 0, fmt.Errorf("malformed stat line %q", stat)
	}
	return stat[i+2], nil
}
