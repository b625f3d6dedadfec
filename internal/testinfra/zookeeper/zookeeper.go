// Package zookeeper runs a real ZooKeeper ensemble for tests, from
// Debian's zookeeper package (scripts/zookeeper.sh installs it): one
// server or several, on loopback addresses (127.0.0.1, .2, ... sharing
// port numbers) or each in a network namespace of its own (netns), where
// they use ZooKeeper's default ports. A test that cannot start one fails;
// it never skips.
package zookeeper

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/halo-fs/halo/internal/ports"
	"github.com/halo-fs/halo/internal/testinfra/netns"
	"github.com/halo-fs/halo/internal/testinfra/proc"
)

// ZooKeeper's default ports, which servers in namespaces of their own use.
const (
	ClientPort   = 2181
	PeerPort     = 2888
	ElectionPort = 3888
)

// The Debian zookeeper package's jars.
var classpath = []string{"/usr/share/java/zookeeper.jar", "/usr/share/java/slf4j-simple.jar"}

// serveTimeout bounds the wait for an ensemble to serve: JVMs starting
// and a leader election, on two cores shared with masters.
const serveTimeout = 2 * time.Minute

// Server is one server of the ensemble.
type Server struct {
	*proc.Process
	ID   int
	Dir  string // zoo.cfg, data/, server.log
	Host string // its address
	// Netns is the server's namespace, nil on loopback.
	Netns      *netns.Host
	clientPort int
}

// ClientAddress is host:port, where clients connect.
func (z *Server) ClientAddress() string {
	return net.JoinHostPort(z.Host, strconv.Itoa(z.clientPort))
}

// Mode asks the server for its role with the srvr four-letter command:
// "leader", "follower" or "standalone". A server that is not part of a
// quorum answers without a mode, which is an error here.
func (z *Server) Mode(ctx context.Context) (string, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", z.ClientAddress())
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	if _, err := conn.Write([]byte("srvr")); err != nil {
		return "", err
	}
	sc := bufio.NewScanner(conn)
	for sc.Scan() {
		if mode, ok := strings.CutPrefix(sc.Text(), "Mode: "); ok {
			return strings.TrimSpace(mode), nil
		}
	}
	return "", fmt.Errorf("ZooKeeper server %s is not serving (no mode in its srvr answer)", z.Name())
}

// Ensemble is a running set of servers; they are killed when the test
// ends.
type Ensemble struct {
	t       testing.TB
	Members []*Server
}

// Start starts n servers on 127.0.0.1..n, sharing free port numbers, and
// waits until they serve.
func Start(t testing.TB, n int) *Ensemble {
	t.Helper()
	if n < 1 || n > 9 {
		t.Fatalf("zookeeper.Start: %d servers; want 1-9", n)
	}
	p := freePortsOnHosts(t, n, 3)
	places := make([]place, n)
	for i := range places {
		places[i] = place{host: fmt.Sprintf("127.0.0.%d", i+1), runner: proc.Local{}, client: p[0], peer: p[1], election: p[2]}
	}
	return start(t, proc.Dir(t), places)
}

// StartIn starts a server in each of hosts' namespaces, on the default
// ports, with their folders under dir, and waits until they serve.
func StartIn(t testing.TB, dir string, hosts []*netns.Host) *Ensemble {
	t.Helper()
	places := make([]place, len(hosts))
	for i, h := range hosts {
		places[i] = place{host: h.IP, runner: h, netns: h, client: ClientPort, peer: PeerPort, election: ElectionPort}
	}
	return start(t, dir, places)
}

// place is where one server runs and on which ports.
type place struct {
	host                   string
	runner                 proc.Place
	netns                  *netns.Host
	client, peer, election int
}

func start(t testing.TB, dir string, places []place) *Ensemble {
	t.Helper()
	install(t)
	e := &Ensemble{t: t}
	t.Cleanup(e.KillAll)
	for i, pl := range places {
		z, err := newServer(i+1, dir, pl, places)
		if err != nil {
			t.Fatal(err)
		}
		e.Members = append(e.Members, z)
	}
	for _, z := range e.Members {
		if err := z.Start(); err != nil {
			t.Fatal(err)
		}
	}
	e.WaitServing()
	return e
}

// install installs the Debian package with scripts/zookeeper.sh when its
// jars are missing (which needs root).
func install(t testing.TB) {
	t.Helper()
	for _, jar := range classpath {
		if _, err := os.Stat(jar); err == nil {
			continue
		}
		if out, err := exec.Command("bash", proc.Script("zookeeper.sh"), "install").CombinedOutput(); err != nil {
			t.Fatalf("ZooKeeper is not installed and scripts/zookeeper.sh install failed: %v\n%s", err, out)
		}
		return
	}
}

// newServer writes server id's zoo.cfg and myid in dir/z<id>.
func newServer(id int, dir string, self place, all []place) (*Server, error) {
	name := fmt.Sprintf("z%d", id)
	z := &Server{ID: id, Dir: filepath.Join(dir, name), Host: self.host, Netns: self.netns, clientPort: self.client}
	if err := os.MkdirAll(filepath.Join(z.Dir, "data"), 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(z.Dir, "data", "myid"), []byte(strconv.Itoa(id)+"\n"), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(z.Dir, "zoo.cfg"), []byte(zooCfg(z.Dir, self, all)), 0o644); err != nil {
		return nil, err
	}
	z.Process = proc.New(name, self.runner, filepath.Join(z.Dir, "server.log"),
		// A small JVM: three servers share two cores with the masters.
		"java", "-Xms32m", "-Xmx256m", "-XX:+UseSerialGC", "-Dzookeeper.jmx.log4j.disable=true",
		"-Dorg.slf4j.simpleLogger.showDateTime=true", "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
		"-cp", strings.Join(classpath, ":"),
		"org.apache.zookeeper.server.quorum.QuorumPeerMain", filepath.Join(z.Dir, "zoo.cfg"))
	return z, nil
}

// zooCfg is a server's configuration. A 500 ms tick lets masters ask for
// sessions from 1 s; the harness's masters use 3 s.
func zooCfg(dir string, self place, all []place) string {
	var b strings.Builder
	fmt.Fprintf(&b, "tickTime=500\ninitLimit=40\nsyncLimit=10\n")
	fmt.Fprintf(&b, "dataDir=%s\n", filepath.Join(dir, "data"))
	fmt.Fprintf(&b, "clientPortAddress=%s\nclientPort=%d\n", self.host, self.client)
	fmt.Fprintf(&b, "minSessionTimeout=1000\nmaxSessionTimeout=180000\nmaxClientCnxns=0\n")
	fmt.Fprintf(&b, "4lw.commands.whitelist=ruok,srvr,stat,mntr,cons\nadmin.enableServer=false\n")
	fmt.Fprintf(&b, "standaloneEnabled=%v\n", len(all) == 1)
	if len(all) > 1 {
		for i, p := range all {
			fmt.Fprintf(&b, "server.%d=%s:%d:%d\n", i+1, p.host, p.peer, p.election)
		}
	}
	return b.String()
}

// freePortsOnHosts finds count ports that are free on each of 127.0.0.1..n.
func freePortsOnHosts(t testing.TB, n, count int) []int {
	t.Helper()
	hosts := make([]string, n)
	for i := range hosts {
		hosts[i] = fmt.Sprintf("127.0.0.%d", i+1)
	}
	found, err := ports.FreeOnHosts(hosts, count)
	if err != nil {
		t.Fatalf("find free ports: %v", err)
	}
	return found
}

// Servers lists the client addresses, host:port.
func (e *Ensemble) Servers() []string {
	out := make([]string, len(e.Members))
	for i, z := range e.Members {
		out[i] = z.ClientAddress()
	}
	return out
}

// Address is the connect string, as alluxio.zookeeper.address takes it.
func (e *Ensemble) Address() string { return strings.Join(e.Servers(), ",") }

// Processes are the servers' processes.
func (e *Ensemble) Processes() []*proc.Process {
	out := make([]*proc.Process, len(e.Members))
	for i, z := range e.Members {
		out[i] = z.Process
	}
	return out
}

func (e *Ensemble) member(id int) *Server {
	e.t.Helper()
	if id < 1 || id > len(e.Members) {
		e.t.Fatalf("no ZooKeeper server %d of %d", id, len(e.Members))
	}
	return e.Members[id-1]
}

// KillServer kills server id (1-based) with SIGKILL.
func (e *Ensemble) KillServer(id int) { e.member(id).Kill() }

// StartServer restarts server id without waiting for it to serve.
func (e *Ensemble) StartServer(id int) {
	e.t.Helper()
	if err := e.member(id).Start(); err != nil {
		e.t.Fatal(err)
	}
}

// WaitServing waits until the given servers (all when none is given) are
// part of a serving quorum.
func (e *Ensemble) WaitServing(ids ...int) {
	e.t.Helper()
	servers := e.Members
	if len(ids) > 0 {
		servers = nil
		for _, id := range ids {
			servers = append(servers, e.member(id))
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), serveTimeout)
	defer cancel()
	if err := Await(ctx, servers); err != nil {
		e.t.Fatal(err)
	}
}

// KillAll kills every server; it is registered as the test's cleanup.
func (e *Ensemble) KillAll() {
	for _, z := range e.Members {
		z.Kill()
	}
}

// Leader returns the server that reports itself leader, or nil.
func (e *Ensemble) Leader(ctx context.Context) *Server {
	for _, z := range e.Members {
		if !z.Running() || z.Paused() {
			continue
		}
		ctx, cancel := context.WithTimeout(ctx, time.Second)
		mode, err := z.Mode(ctx)
		cancel()
		if err == nil && mode == "leader" {
			return z
		}
	}
	return nil
}

// Await polls until every one of servers is running and serves as part
// of a quorum, or ctx ends.
func Await(ctx context.Context, servers []*Server) error {
	for _, z := range servers {
		for {
			mctx, cancel := context.WithTimeout(ctx, time.Second)
			_, err := z.Mode(mctx)
			cancel()
			if err == nil {
				break
			}
			if !z.Running() {
				return fmt.Errorf("ZooKeeper server %s exited; log:\n%s", z.Name(), z.LogTail(30))
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("ZooKeeper server %s is not serving: %v (%w); log:\n%s", z.Name(), err, ctx.Err(), z.LogTail(30))
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	return nil
}
