package cluster

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/halo-fs/halo/proto/halopb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// Default ports: every master has its own address, so all use Alluxio's.
const (
	RPCPort  = 19998
	WebPort  = 19999
	RaftPort = 19200
)

// Master is one master process running in its host's namespace.
type Master struct {
	Host    *Host
	Binary  string
	Dir     string // conf/, journal/, ufs/, master.log
	Props   map[string]string
	LogPath string

	mu       sync.Mutex
	cmd      *exec.Cmd
	exited   chan struct{}
	paused   bool
	restarts int
}

// Name is the host's name, m1, m2, ...
func (m *Master) Name() string { return m.Host.Name }

// RPCAddress is ip:19998.
func (m *Master) RPCAddress() string { return net.JoinHostPort(m.Host.IP, strconv.Itoa(RPCPort)) }

// RaftAddress is ip:19200.
func (m *Master) RaftAddress() string { return net.JoinHostPort(m.Host.IP, strconv.Itoa(RaftPort)) }

func (m *Master) confDir() string { return filepath.Join(m.Dir, "conf") }

// WriteConf writes alluxio-site.properties from Props.
func (m *Master) WriteConf() error {
	if err := os.MkdirAll(m.confDir(), 0o755); err != nil {
		return err
	}
	keys := make([]string, 0, len(m.Props))
	for k := range m.Props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s\n", k, m.Props[k])
	}
	return os.WriteFile(filepath.Join(m.confDir(), "alluxio-site.properties"), []byte(b.String()), 0o644)
}

// Format runs `halo format` for this master (in its namespace, as the
// master itself would).
func (m *Master) Format() error {
	if err := m.WriteConf(); err != nil {
		return err
	}
	cmd := m.Host.Command(m.Binary, "--conf", m.confDir(), "format")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("halo format on %s: %v\n%s", m.Name(), err, out)
	}
	return nil
}

// Start starts `halo master` inside the namespace. `ip netns exec` execs
// the binary, so the process id is the master's own.
func (m *Master) Start() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.runningLocked() {
		return nil
	}
	if err := m.WriteConf(); err != nil {
		return err
	}
	f, err := os.OpenFile(m.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	fmt.Fprintf(f, "==== start %d at %s ====\n", m.restarts, time.Now().Format(time.RFC3339Nano))
	m.restarts++
	cmd := m.Host.Command(m.Binary, "--conf", m.confDir(), "master")
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("start master %s: %w", m.Name(), err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); f.Close(); close(exited) }()
	m.cmd, m.exited, m.paused = cmd, exited, false
	return nil
}

func (m *Master) runningLocked() bool {
	if m.cmd == nil {
		return false
	}
	select {
	case <-m.exited:
		return false
	default:
		return true
	}
}

// Running reports whether the process is alive (paused counts as alive).
func (m *Master) Running() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.runningLocked()
}

// Paused reports whether the process was stopped with SIGSTOP.
func (m *Master) Paused() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.paused && m.runningLocked()
}

// Kill sends SIGKILL and waits for the process to be gone.
func (m *Master) Kill() {
	m.mu.Lock()
	if !m.runningLocked() {
		m.mu.Unlock()
		return
	}
	cmd, exited := m.cmd, m.exited
	m.paused = false
	m.mu.Unlock()
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Process.Signal(syscall.SIGCONT)
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
	}
}

// Pause sends SIGSTOP; Resume sends SIGCONT.
func (m *Master) Pause() error  { return m.signal(syscall.SIGSTOP, true) }
func (m *Master) Resume() error { return m.signal(syscall.SIGCONT, false) }

func (m *Master) signal(sig syscall.Signal, paused bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.runningLocked() {
		return fmt.Errorf("master %s is not running", m.Name())
	}
	if err := m.cmd.Process.Signal(sig); err != nil {
		return err
	}
	m.paused = paused
	return nil
}

// Pid is the process id, 0 when not running.
func (m *Master) Pid() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.runningLocked() {
		return 0
	}
	return m.cmd.Process.Pid
}

// Exited is closed when the current process exits (nil before Start).
func (m *Master) Exited() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.exited
}

// Info asks the master for its MasterInfo, whatever its role.
func (m *Master) Info(ctx context.Context) (*halopb.MasterInfo, error) {
	conn, err := grpc.NewClient(m.RPCAddress(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	return halopb.NewMasterServiceClient(conn).GetMasterInfo(ctx, &halopb.Empty{})
}

// WaitHealth polls the web port's path (/health/live, /health/ready) until
// it answers 200, the process exits, or ctx ends.
func (m *Master) WaitHealth(ctx context.Context, path string) error {
	url := fmt.Sprintf("http://%s%s", net.JoinHostPort(m.Host.IP, strconv.Itoa(WebPort)), path)
	exited := m.Exited()
	hc := &http.Client{Timeout: time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := hc.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-exited:
			return fmt.Errorf("master %s exited; log:\n%s", m.Name(), m.LogTail(30))
		case <-ctx.Done():
			return fmt.Errorf("master %s: %s not OK: %w; log:\n%s", m.Name(), path, ctx.Err(), m.LogTail(30))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// LogTail returns the last lines of the master's log.
func (m *Master) LogTail(lines int) string {
	b, _ := os.ReadFile(m.LogPath)
	parts := strings.Split(string(b), "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}
