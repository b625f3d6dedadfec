// Package workers runs real `halo worker` processes beside a cluster of
// masters (internal/testinfra/masters) for end-to-end tests: each worker
// serves on its own loopback address, 127.0.0.x as the masters use, on
// ports from internal/ports, with a small MEM tier in its folder, and is
// started, killed with SIGKILL and restarted as a proc.Process.
package workers

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/halo-fs/halo/internal/testinfra/masters"
	"github.com/halo-fs/halo/internal/testinfra/netns"
	"github.com/halo-fs/halo/internal/testinfra/proc"
)

// Worker is one worker process and its folder.
type Worker struct {
	*proc.Process
	t       testing.TB
	Name    string
	Host    string
	RPCPort int
	WebPort int
	// Dir holds conf/, worker.log, the identity file and the MEM tier.
	Dir     string
	ConfDir string
	// Props are the worker's alluxio-site.properties, written at each
	// start.
	Props map[string]string
}

// sharedPrefixes are the masters' properties a worker takes over: where
// the masters are and how to prove itself to them.
var sharedPrefixes = []string{
	"alluxio.master.rpc.addresses",
	"alluxio.master.embedded.journal.addresses",
	"alluxio.zookeeper.",
	"alluxio.security.",
	"halo.security.",
}

// Alluxio's worker ports, which a worker alone in a network namespace
// beside a master (on Alluxio's master ports) can have.
const (
	DefaultRPCPort = 29999
	DefaultWebPort = 30000
)

// New prepares (does not start) worker name on host, reporting to the
// cluster's masters, with extra properties on top.
func New(t testing.TB, c *masters.Cluster, name, host string, extra map[string]string) *Worker {
	t.Helper()
	return newWorker(t, c, name, host, proc.Local{}, masters.FreePort(t, host), masters.FreePort(t, host), extra)
}

// NewIn prepares (does not start) worker name in h's network namespace,
// on h's address and Alluxio's worker ports, so that faults cutting h off
// cut the worker off with it.
func NewIn(t testing.TB, c *masters.Cluster, name string, h *netns.Host, extra map[string]string) *Worker {
	t.Helper()
	return newWorker(t, c, name, h.IP, h, DefaultRPCPort, DefaultWebPort, extra)
}

func newWorker(t testing.TB, c *masters.Cluster, name, host string, place proc.Place, rpcPort, webPort int, extra map[string]string) *Worker {
	t.Helper()
	dir := filepath.Join(proc.Dir(t), name)
	w := &Worker{t: t, Name: name, Host: host, Dir: dir, ConfDir: filepath.Join(dir, "conf"), RPCPort: rpcPort, WebPort: webPort}
	mem := filepath.Join(dir, "mem")
	if err := os.MkdirAll(mem, 0o755); err != nil {
		t.Fatal(err)
	}
	// The quota leaves room for a whole 64 MiB block, which a write
	// reserves up front, beside blocks kept from eviction (pinned, or
	// waiting for the persister).
	w.Props = map[string]string{
		"alluxio.work.dir":                             dir,
		"alluxio.worker.hostname":                      host,
		"alluxio.worker.rpc.port":                      strconv.Itoa(w.RPCPort),
		"alluxio.worker.web.port":                      strconv.Itoa(w.WebPort),
		"alluxio.worker.block.heartbeat.interval":      "200ms",
		"alluxio.worker.tieredstore.level0.alias":      "MEM",
		"alluxio.worker.tieredstore.level0.dirs.path":  mem,
		"alluxio.worker.tieredstore.level0.dirs.quota": "256MB",
		"halo.worker.identity.file":                    filepath.Join(dir, "identity"),
	}
	for k, v := range c.Masters[0].Props {
		for _, p := range sharedPrefixes {
			if strings.HasPrefix(k, p) {
				w.Props[k] = v
			}
		}
	}
	for k, v := range extra {
		w.Props[k] = v
	}
	w.Process = proc.New(name, place, filepath.Join(dir, "worker.log"))
	w.Process.Prepare = w.writeConf
	t.Cleanup(w.Process.Kill)
	return w
}

// Start starts the worker process.
func (w *Worker) Start() {
	w.t.Helper()
	w.Process.SetArgs(masters.Binary(w.t), "--conf", w.ConfDir, "worker")
	if err := w.Process.Start(); err != nil {
		w.t.Fatalf("start worker %s: %v", w.Name, err)
	}
}

func (w *Worker) writeConf() error { return masters.WriteSiteProperties(w.ConfDir, w.Props) }

// RPCAddress is host:rpcport.
func (w *Worker) RPCAddress() string { return net.JoinHostPort(w.Host, strconv.Itoa(w.RPCPort)) }

// MasterStatus is what the worker's /health/ready says of one master.
type MasterStatus struct {
	Address       string
	Registered    bool
	Registrations int
	LastError     string
}

// Readiness is the worker's /health/ready: its id and each master.
type Readiness struct {
	ID      int64
	Masters []MasterStatus
}

// Ready reads /health/ready, whatever its status code.
func (w *Worker) Ready(ctx context.Context) (Readiness, error) {
	url := "http://" + net.JoinHostPort(w.Host, strconv.Itoa(w.WebPort)) + "/health/ready"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return Readiness{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return Readiness{}, err
	}
	defer resp.Body.Close()
	var r Readiness
	err = json.NewDecoder(resp.Body).Decode(&r)
	return r, err
}

// WaitRegistered polls until the worker is registered with every master
// in addrs, the process exits, or timeout passes.
func (w *Worker) WaitRegistered(addrs []string, timeout time.Duration) Readiness {
	w.t.Helper()
	deadline := time.Now().Add(timeout)
	var last Readiness
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		r, err := w.Ready(ctx)
		cancel()
		if err == nil {
			last = r
			if registeredWithAll(r, addrs) {
				return r
			}
		}
		select {
		case <-w.Exited():
			w.t.Fatalf("worker %s exited before registering; log:\n%s", w.Name, w.LogTail(40))
		case <-time.After(50 * time.Millisecond):
		}
	}
	w.t.Fatalf("worker %s not registered with every master of %v within %s: %+v; log:\n%s", w.Name, addrs, timeout, last, w.LogTail(40))
	return last
}

func registeredWithAll(r Readiness, addrs []string) bool {
	registered := map[string]bool{}
	for _, m := range r.Masters {
		registered[m.Address] = m.Registered
	}
	for _, a := range addrs {
		if !registered[a] {
			return false
		}
	}
	return true
}
