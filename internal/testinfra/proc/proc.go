// Package proc runs the long-lived programs of Halo's tests (masters,
// ZooKeeper servers, MinIO, a MiniDFSCluster) as real processes: it starts
// them where a Place says (this machine, or a network namespace), appends
// their output to a log, kills, stops, pauses and resumes them, and keeps
// a failed test's folders (logs and data) for the post-mortem.
package proc

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/halo-fs/halo/internal/pause"
)

// Place is where a process runs: Command returns the command that runs
// argv there.
type Place interface {
	Command(argv ...string) *exec.Cmd
}

// Local runs programs on this machine, in the test's own namespace.
type Local struct{}

// Command is exec.Command.
func (Local) Command(argv ...string) *exec.Cmd { return exec.Command(argv[0], argv[1:]...) }

// pauseTimeout bounds how long Pause waits for every thread to stop.
const pauseTimeout = 30 * time.Second

// Process is one long-running program that tests kill, pause and restart.
// A Place that wraps the program (`ip netns exec`) must exec it, so that
// the process id is the program's own.
type Process struct {
	name    string
	place   Place
	logPath string
	argv    []string
	// Prepare, when set, runs before every start (a master rewrites its
	// configuration).
	Prepare func() error

	mu       sync.Mutex
	cmd      *exec.Cmd
	exited   chan struct{}
	paused   bool
	restarts int
}

// New prepares (does not start) the program argv, called name, at place,
// its output appended to logPath.
func New(name string, place Place, logPath string, argv ...string) *Process {
	return &Process{name: name, place: place, logPath: logPath, argv: argv}
}

// SetArgs sets the command line of the next start.
func (p *Process) SetArgs(argv ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.argv = argv
}

// Name is what reports call the process: m1, z1, ...
func (p *Process) Name() string { return p.name }

// LogPath is the file the process's output goes to.
func (p *Process) LogPath() string { return p.logPath }

// Start starts the program unless it runs already; its output is appended
// to the log after a line that numbers the start. The program is killed
// if the test process dies.
func (p *Process) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.runningLocked() {
		return nil
	}
	if p.Prepare != nil {
		if err := p.Prepare(); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	fmt.Fprintf(f, "==== start %d at %s ====\n", p.restarts, time.Now().Format(time.RFC3339Nano))
	p.restarts++
	cmd := p.place.Command(p.argv...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); f.Close(); close(exited) }()
	p.cmd, p.exited, p.paused = cmd, exited, false
	return nil
}

func (p *Process) runningLocked() bool {
	if p.cmd == nil {
		return false
	}
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// Running reports whether the process is alive (paused counts as alive).
func (p *Process) Running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.runningLocked()
}

// Paused reports whether the process was stopped with SIGSTOP.
func (p *Process) Paused() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.paused && p.runningLocked()
}

// Kill sends SIGKILL and waits for the process to be gone.
func (p *Process) Kill() {
	p.mu.Lock()
	if !p.runningLocked() {
		p.mu.Unlock()
		return
	}
	cmd, exited := p.cmd, p.exited
	p.paused = false
	p.mu.Unlock()
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Process.Signal(syscall.SIGCONT)
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
	}
}

// Stop sends SIGTERM and waits up to grace for the process to exit, then
// kills it.
func (p *Process) Stop(grace time.Duration) {
	p.mu.Lock()
	if !p.runningLocked() {
		p.mu.Unlock()
		return
	}
	cmd, exited := p.cmd, p.exited
	p.mu.Unlock()
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Process.Signal(syscall.SIGCONT)
	select {
	case <-exited:
	case <-time.After(grace):
		p.Kill()
	}
}

// Pause sends SIGSTOP and returns once every thread has stopped, so that
// nothing asked afterwards is answered by the process; Resume sends
// SIGCONT.
func (p *Process) Pause() error {
	return p.signal(func(proc *os.Process) error { return pause.Stop(proc, pauseTimeout) }, true)
}

func (p *Process) Resume() error {
	return p.signal(func(proc *os.Process) error { return proc.Signal(syscall.SIGCONT) }, false)
}

func (p *Process) signal(send func(*os.Process) error, paused bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.runningLocked() {
		return fmt.Errorf("%s is not running", p.name)
	}
	if err := send(p.cmd.Process); err != nil {
		return err
	}
	p.paused = paused
	return nil
}

// Pid is the process id, 0 when not running.
func (p *Process) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.runningLocked() {
		return 0
	}
	return p.cmd.Process.Pid
}

// Exited is closed when the current process exits (nil before Start).
func (p *Process) Exited() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exited
}

// WaitExit waits up to timeout for the process to exit on its own and
// reports whether it did (true when it never started).
func (p *Process) WaitExit(timeout time.Duration) bool {
	exited := p.Exited()
	if exited == nil {
		return true
	}
	select {
	case <-exited:
		return true
	case <-time.After(timeout):
		return false
	}
}

// Log returns the process's log so far, every start of it.
func (p *Process) Log() string {
	b, _ := os.ReadFile(p.logPath)
	return string(b)
}

// LogTail returns the last lines of the process's log.
func (p *Process) LogTail(lines int) string { return Tail(p.Log(), lines) }

// Tail returns the last lines of s.
func Tail(s string, lines int) string {
	parts := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(parts[max(0, len(parts)-lines):], "\n")
}
