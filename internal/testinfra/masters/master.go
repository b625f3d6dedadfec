// Package masters runs real Halo master processes for end-to-end and
// failover tests: it builds the halo binary once, writes each master's
// configuration folder, starts, kills, pauses and restarts masters (a
// proc.Process each), and finds the leader of a cluster in any HA mode.
// Masters run on loopback addresses with free ports, or each in a network
// namespace of its own (netns) on Alluxio's default ports. Where a real
// process is not the point (RPC semantics, no kill, pause or partition),
// masters may run in the test's own process instead (InProcess), started
// by master/boot as bin/halo starts them.
package masters

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
	"testing"
	"time"

	"github.com/halo-fs/halo/internal/ports"
	"github.com/halo-fs/halo/internal/testinfra/netns"
	"github.com/halo-fs/halo/internal/testinfra/proc"
	"github.com/halo-fs/halo/master/identity"
	"github.com/halo-fs/halo/proto/halopb"
	"google.golang.org/grpc"
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
		repo := filepath.Join(filepath.Dir(file), "..", "..", "..")
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

// Alluxio's default ports, which masters in namespaces of their own use.
const (
	DefaultRPCPort  = 19998
	DefaultWebPort  = 19999
	DefaultRaftPort = 19200
)

// Master is one master process and its folders.
type Master struct {
	*proc.Process
	t        testing.TB
	Name     string
	Host     string // the address it serves on
	RPCPort  int
	WebPort  int
	RaftPort int
	Dir      string // holds conf/, master.log; journal/ and ufs/ of its own
	ConfDir  string
	Args     []string // extra arguments after "master"
	Props    map[string]string
	// Netns is the master's namespace, nil on loopback.
	Netns *netns.Host
	// InProcess runs the master in the test's own process through
	// boot.Open (formatting it through boot.FormatJournal) instead of as
	// a bin/halo process. Kill and Pause need a process; the CLI (Halo)
	// still runs bin/halo.
	InProcess bool
	embedded  *inProcess
	place     proc.Place
}

// NewMaster prepares (but does not start) a single master on host, on
// free ports, with its journal in a fresh folder, --ha=none, proving
// Secret.
func NewMaster(t testing.TB, name, host string) *Master {
	t.Helper()
	m := newMaster(t, name, filepath.Join(proc.Dir(t), name), identity.Secret, host, proc.Local{})
	m.RPCPort, m.WebPort = FreePort(t, host), FreePort(t, host)
	m.setPorts()
	return m
}

// newMasterIn prepares a master in h's namespace on the default ports.
func newMasterIn(t testing.TB, h *netns.Host, dir string, auth identity.Authentication) *Master {
	m := newMaster(t, h.Name, dir, auth, h.IP, h)
	m.Netns = h
	m.RPCPort, m.WebPort, m.RaftPort = DefaultRPCPort, DefaultWebPort, DefaultRaftPort
	m.setPorts()
	return m
}

func newMaster(t testing.TB, name, dir string, auth identity.Authentication, host string, place proc.Place) *Master {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	m := &Master{t: t, Name: name, Host: host, Dir: dir, ConfDir: filepath.Join(dir, "conf"), place: place}
	m.Props = map[string]string{
		"alluxio.master.hostname":             host,
		"alluxio.master.journal.type":         "UFS",
		"alluxio.master.journal.folder":       filepath.Join(dir, "journal"),
		"alluxio.master.mount.table.root.ufs": filepath.Join(dir, "ufs"),
		"alluxio.work.dir":                    dir,
		"alluxio.user.rpc.retry.max.duration": "20s",
	}
	if auth == identity.Secret {
		secretFile := filepath.Join(dir, "secret")
		if err := os.WriteFile(secretFile, Secret(), 0o600); err != nil {
			t.Fatal(err)
		}
		// Masters prove the shared secret and so do the CLI (from the
		// same configuration) and tests' clients (Secret, Credentials):
		// admin operations need a proven superuser.
		m.Props["alluxio.security.authentication.type"] = string(identity.Secret)
		m.Props["halo.security.authentication.secret.file"] = secretFile
	}
	m.Process = proc.New(name, place, filepath.Join(dir, "master.log"))
	m.Process.Prepare = m.writeConf
	t.Cleanup(m.release)
	return m
}

// setPorts writes the ports into Props and the command line.
func (m *Master) setPorts() {
	m.Props["alluxio.master.rpc.port"] = strconv.Itoa(m.RPCPort)
	m.Props["alluxio.master.web.port"] = strconv.Itoa(m.WebPort)
	m.Props["alluxio.master.rpc.addresses"] = m.RPCAddress()
}

// RPCAddress is host:rpcport.
func (m *Master) RPCAddress() string { return net.JoinHostPort(m.Host, strconv.Itoa(m.RPCPort)) }

// RaftAddress is host:raftport.
func (m *Master) RaftAddress() string { return net.JoinHostPort(m.Host, strconv.Itoa(m.RaftPort)) }

// WebAddress is host:webport.
func (m *Master) WebAddress() string { return net.JoinHostPort(m.Host, strconv.Itoa(m.WebPort)) }

// WriteConf writes the master's alluxio-site.properties from Props.
func (m *Master) WriteConf() {
	m.t.Helper()
	if err := m.writeConf(); err != nil {
		m.t.Fatal(err)
	}
}

func (m *Master) writeConf() error { return WriteSiteProperties(m.ConfDir, m.Props) }

// WriteSiteProperties writes props as confDir's alluxio-site.properties,
// sorted by key.
func WriteSiteProperties(confDir string, props map[string]string) error {
	if err := os.MkdirAll(confDir, 0o755); err != nil {
		return err
	}
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s\n", k, props[k])
	}
	return os.WriteFile(filepath.Join(confDir, "alluxio-site.properties"), []byte(b.String()), 0o644)
}

// Halo runs a halo command against this master's configuration, where the
// master runs (in its namespace, if it has one), and returns its combined
// output.
func (m *Master) Halo(args ...string) (string, error) {
	m.t.Helper()
	m.WriteConf()
	cmd := m.place.Command(append([]string{Binary(m.t), "--conf", m.ConfDir}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// Format runs `halo format` for this master.
func (m *Master) Format() {
	m.t.Helper()
	if m.InProcess {
		if err := m.formatInProcess(); err != nil {
			m.t.Fatalf("format %s: %v", m.Name, err)
		}
		return
	}
	if out, err := m.Halo("format"); err != nil {
		m.t.Fatalf("halo format on %s: %v\n%s", m.Name, err, out)
	}
}

// Start starts the master process (with Args, from its current Props);
// its output goes to master.log in Dir.
func (m *Master) Start() {
	m.t.Helper()
	if err := m.StartProcess(); err != nil {
		m.t.Fatalf("start master %s: %v", m.Name, err)
	}
}

// StartProcess is Start that returns its error, for callers that must not
// stop the test (a fault's heal).
func (m *Master) StartProcess() error {
	if m.InProcess {
		return m.startInProcess()
	}
	m.Process.SetArgs(append([]string{Binary(m.t), "--conf", m.ConfDir, "master"}, m.Args...)...)
	return m.Process.Start()
}

// Stop sends SIGTERM and waits up to 10 s, then kills; a master in the
// test's process stops as SIGTERM stops a real one.
func (m *Master) Stop() {
	if m.InProcess {
		m.stopInProcess()
		return
	}
	m.Process.Stop(10 * time.Second)
}

// Pause sends SIGSTOP and returns once every thread of the master has
// stopped, so nothing the test does afterwards can be answered by it.
func (m *Master) Pause() {
	m.t.Helper()
	if m.InProcess {
		m.t.Fatalf("master %s runs in the test's process: pause it as a real process (leave InProcess unset)", m.Name)
	}
	if err := m.Process.Pause(); err != nil {
		m.t.Fatalf("pause %s: %v", m.Name, err)
	}
}

// Info asks the master for its MasterInfo, whatever its role.
func (m *Master) Info(ctx context.Context) (*halopb.MasterInfo, error) {
	creds, err := m.transportCredentials()
	if err != nil {
		return nil, err
	}
	conn, err := grpc.NewClient(m.RPCAddress(), grpc.WithTransportCredentials(creds))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	return halopb.NewHaloServiceClient(conn).GetMasterInfo(ctx, &halopb.Empty{})
}

// WaitReady polls the web port's /health/ready until it answers 200, the
// process exits, or the timeout passes.
func (m *Master) WaitReady(timeout time.Duration) { m.waitHealth("/health/ready", timeout) }

// WaitLive polls /health/live: the process serves its ports, leader or not.
func (m *Master) WaitLive(timeout time.Duration) { m.waitHealth("/health/live", timeout) }

func (m *Master) waitHealth(path string, timeout time.Duration) {
	m.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := m.WaitHealth(ctx, path); err != nil {
		m.t.Fatal(err)
	}
}

// WaitHealth polls the web port's path (/health/live, /health/ready) until
// it answers 200, the process exits, or ctx ends.
func (m *Master) WaitHealth(ctx context.Context, path string) error {
	web, err := m.WebClient()
	if err != nil {
		return err
	}
	url := m.WebURL(path)
	exited := m.Exited()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := web.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-exited:
			return fmt.Errorf("master %s exited before %s was OK; log:\n%s", m.Name, path, m.LogTail(40))
		case <-ctx.Done():
			return fmt.Errorf("master %s: %s not OK: %w; log:\n%s", m.Name, path, ctx.Err(), m.LogTail(40))
		case <-time.After(50 * time.Millisecond):
		}
	}
}
