package cluster

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

// Process is one long-running program inside a host's namespace (a master,
// a ZooKeeper server) that faults kill, pause and restart. `ip netns exec`
// execs the program, so the process id is the program's own.
type Process struct {
	Host    *Host
	LogPath string
	// argv is the command line; prepare, when set, runs before every
	// start (a master rewrites its configuration).
	argv    []string
	prepare func() error

	mu       sync.Mutex
	cmd      *exec.Cmd
	exited   chan struct{}
	paused   bool
	restarts int
}

// Name is the host's name, m1, z1, ...
func (p *Process) Name() string { return p.Host.Name }

// Start starts the program unless it runs already; its output is appended
// to LogPath after a line that numbers the start.
func (p *Process) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.runningLocked() {
		return nil
	}
	if p.prepare != nil {
		if err := p.prepare(); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(p.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	fmt.Fprintf(f, "==== start %d at %s ====\n", p.restarts, time.Now().Format(time.RFC3339Nano))
	p.restarts++
	cmd := p.Host.Command(p.argv...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("start %s: %w", p.Name(), err)
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

// Pause sends SIGSTOP and returns once every thread has stopped, so the
// fault window starts when the process really is frozen; Resume sends
// SIGCONT.
func (p *Process) Pause() error {
	return p.signal(func(proc *os.Process) error { return pause.Stop(proc, 30*time.Second) }, true)
}

func (p *Process) Resume() error {
	return p.signal(func(proc *os.Process) error { return proc.Signal(syscall.SIGCONT) }, false)
}

func (p *Process) signal(send func(*os.Process) error, paused bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.runningLocked() {
		return fmt.Errorf("%s is not running", p.Name())
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

// LogTail returns the last lines of the process's log.
func (p *Process) LogTail(lines int) string {
	b, _ := os.ReadFile(p.LogPath)
	parts := strings.Split(string(b), "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}
