// Package testcluster runs real Halo master processes for end-to-end and
// failover tests: it builds the halo binary once, writes each master's
// configuration folder, and starts, kills, pauses and restarts processes.
package testcluster

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/halo-fs/halo/internal/pause"
	"github.com/halo-fs/halo/internal/ports"
)

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// Binary builds bin/halo from this checkout once per test process and
// returns its path. HALO_BINARY overrides it with a prebuilt binary.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		if b := os.Getenv("HALO_BINARY"); b != "" {
			binary = b
			return
		}
		_, file, _, _ := runtime.Caller(0)
		repo := filepath.Join(filepath.Dir(file), "..", "..")
		dir, err := os.MkdirTemp("", "halo-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "halo")
		cmd := exec.Command("go", "build", "-o", binary, "./cmd/halo")
		cmd.Dir = repo
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build ./cmd/halo: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
}

// FreePort returns a TCP port that was free on host a moment ago and that
// no other test process will hand out (see internal/ports).
func FreePort(t testing.TB, host string) int {
	t.Helper()
	p, err := ports.Free(host)
	if err != nil {
		t.Fatalf("find a free port on %s: %v", host, err)
	}
	return p
}

// Master is one master process and its folders.
type Master struct {
	t        testing.TB
	Name     string
	Host     string
	RPCPort  int
	WebPort  int
	RaftPort int
	Dir      string // holds conf/, journal/, ufs/ and the log
	ConfDir  string
	Args     []string // extra arguments after "master"
	Props    map[string]string
	cmd      *exec.Cmd
	exited   chan struct{}
	logFile  *os.File
	restarts int
}

// NewMaster prepares (but does not start) a single master on host with
// its journal in a fresh folder, --ha=none.
func NewMaster(t testing.TB, name, host string) *Master {
	t.Helper()
	dir := t.TempDir()
	m := &Master{
		t: t, Name: name, Host: host, Dir: dir, ConfDir: filepath.Join(dir, "conf"),
		RPCPort: FreePort(t, host), WebPort: FreePort(t, host),
	}
	secretFile := filepath.Join(dir, "secret")
	if err := os.WriteFile(secretFile, Secret(), 0o600); err != nil {
		t.Fatal(err)
	}
	m.Props = map[string]string{
		// Masters prove the shared secret and so do the CLI (from the
		// same configuration) and tests' clients (Secret, Credentials):
		// admin operations need a proven superuser.
		"alluxio.security.authentication.type":     "SECRET",
		"halo.security.authentication.secret.file": secretFile,
		"alluxio.master.hostname":                  host,
		"alluxio.master.rpc.port":                  strconv.Itoa(m.RPCPort),
		"alluxio.master.web.port":                  strconv.Itoa(m.WebPort),
		"alluxio.master.journal.type":              "UFS",
		"alluxio.master.journal.folder":            filepath.Join(dir, "journal"),
		"alluxio.master.mount.table.root.ufs":      filepath.Join(dir, "ufs"),
		"alluxio.work.dir":                         dir,
		"alluxio.master.rpc.addresses":             net.JoinHostPort(host, strconv.Itoa(m.RPCPort)),
		"alluxio.user.rpc.retry.max.duration":      "20s",
	}
	return m
}

// RPCAddress is host:rpcport.
func (m *Master) RPCAddress() string { return net.JoinHostPort(m.Host, strconv.Itoa(m.RPCPort)) }

// WriteConf writes the master's alluxio-site.properties.
func (m *Master) WriteConf() {
	m.t.Helper()
	if err := os.MkdirAll(m.ConfDir, 0o755); err != nil {
		m.t.Fatal(err)
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
	if err := os.WriteFile(filepath.Join(m.ConfDir, "alluxio-site.properties"), []byte(b.String()), 0o644); err != nil {
		m.t.Fatal(err)
	}
}

// Halo runs a halo command against this master's configuration and returns
// its combined output.
func (m *Master) Halo(args ...string) (string, error) {
	m.t.Helper()
	m.WriteConf()
	full := append([]string{"--conf", m.ConfDir}, args...)
	cmd := exec.Command(Binary(m.t), full...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// Format runs `halo format` for this master.
func (m *Master) Format() {
	m.t.Helper()
	if out, err := m.Halo("format"); err != nil {
		m.t.Fatalf("halo format: %v\n%s", err, out)
	}
}

// Start starts the master process; its output goes to master.log in Dir.
func (m *Master) Start() {
	m.t.Helper()
	m.WriteConf()
	logPath := filepath.Join(m.Dir, "master.log")
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		m.t.Fatal(err)
	}
	fmt.Fprintf(f, "==== start %d ====\n", m.restarts)
	m.restarts++
	args := append([]string{"--conf", m.ConfDir, "master"}, m.Args...)
	cmd := exec.Command(Binary(m.t), args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		f.Close()
		m.t.Fatalf("start master %s: %v", m.Name, err)
	}
	m.cmd, m.logFile = cmd, f
	m.exited = make(chan struct{})
	go func() { cmd.Wait(); f.Close(); close(m.exited) }()
	m.t.Cleanup(func() { m.Kill() })
}

// Running reports whether the process is alive.
func (m *Master) Running() bool {
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

// Kill sends SIGKILL and waits for the process to be gone.
func (m *Master) Kill() {
	if !m.Running() {
		return
	}
	m.cmd.Process.Signal(syscall.SIGCONT)
	m.cmd.Process.Kill()
	<-m.exited
}

// Stop sends SIGTERM and waits up to 10 s, then kills.
func (m *Master) Stop() {
	if !m.Running() {
		return
	}
	m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.exited:
	case <-time.After(10 * time.Second):
		m.Kill()
	}
}

// Pause sends SIGSTOP and returns once every thread of the master has
// stopped, so nothing the test does afterwards can be answered by it.
func (m *Master) Pause() {
	m.t.Helper()
	if err := pause.Stop(m.cmd.Process, 30*time.Second); err != nil {
		m.t.Fatalf("pause %s: %v", m.Name, err)
	}
}

// Resume sends SIGCONT.
func (m *Master) Resume() { m.cmd.Process.Signal(syscall.SIGCONT) }

// Pid is the process id, 0 when not running.
func (m *Master) Pid() int {
	if !m.Running() {
		return 0
	}
	return m.cmd.Process.Pid
}

// Log returns the master's log so far.
func (m *Master) Log() string {
	b, _ := os.ReadFile(filepath.Join(m.Dir, "master.log"))
	return string(b)
}

// WaitReady polls the web port's /health/ready until it answers 200, the
// process exits, or the timeout passes.
func (m *Master) WaitReady(timeout time.Duration) {
	m.t.Helper()
	m.waitHealth("/health/ready", timeout)
}

// WaitLive polls /health/live: the process serves its ports, leader or not.
func (m *Master) WaitLive(timeout time.Duration) {
	m.t.Helper()
	m.waitHealth("/health/live", timeout)
}

func (m *Master) waitHealth(path string, timeout time.Duration) {
	m.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	web, err := m.WebClient()
	if err != nil {
		m.t.Fatal(err)
	}
	url := m.WebURL(path)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := web.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-m.exited:
			m.t.Fatalf("master %s exited before it was ready; log:\n%s", m.Name, tail(m.Log(), 40))
		case <-ctx.Done():
			m.t.Fatalf("master %s: %s not OK after %s; log:\n%s", m.Name, path, timeout, tail(m.Log(), 40))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func tail(s string, lines int) string {
	parts := strings.Split(s, "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}

// WaitExit waits up to timeout for the process to exit on its own and
// reports whether it did.
func (m *Master) WaitExit(timeout time.Duration) bool {
	if m.cmd == nil {
		return true
	}
	select {
	case <-m.exited:
		return true
	case <-time.After(timeout):
		return false
	}
}
