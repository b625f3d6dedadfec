package testcluster

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/halo-fs/halo/compat/ufsjournal"
	"github.com/halo-fs/halo/ufs/local"
)

// ZooKeeper is a real ZooKeeper ensemble (the Debian package) started by
// scripts/zookeeper.sh: one server on 127.0.0.1, or three on 127.0.0.1-3
// sharing port numbers. A test that cannot start it fails; it never skips.
type ZooKeeper struct {
	t            testing.TB
	Dir          string
	N            int
	ClientPort   int
	PeerPort     int
	ElectionPort int
}

// zookeeperScript is scripts/zookeeper.sh in this checkout.
func zookeeperScript() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "scripts", "zookeeper.sh")
}

// StartZooKeeper starts n (1 or 3) servers and waits until they serve. They
// are killed when the test ends.
func StartZooKeeper(t testing.TB, n int) *ZooKeeper {
	t.Helper()
	if n != 1 && n != 3 {
		t.Fatalf("StartZooKeeper: %d servers; want 1 or 3", n)
	}
	z := &ZooKeeper{t: t, Dir: t.TempDir(), N: n}
	ports := freePortsOnHosts(t, n, 3)
	z.ClientPort, z.PeerPort, z.ElectionPort = ports[0], ports[1], ports[2]
	t.Cleanup(z.StopAll)
	out, err := z.script(2*time.Minute, "start", z.Dir, strconv.Itoa(n),
		strconv.Itoa(z.ClientPort), strconv.Itoa(z.PeerPort), strconv.Itoa(z.ElectionPort))
	if err != nil {
		t.Fatalf("start ZooKeeper (%d servers) with scripts/zookeeper.sh: %v\n%s", n, err, out)
	}
	return z
}

// freePortsOnHosts finds count ports that are free on each of 127.0.0.1..n.
func freePortsOnHosts(t testing.TB, hosts, count int) []int {
	t.Helper()
	var ports []int
	for attempt := 0; len(ports) < count && attempt < 100; attempt++ {
		p := FreePort(t, "127.0.0.1")
		ok := true
		for h := 2; h <= hosts && ok; h++ {
			l, err := net.Listen("tcp", net.JoinHostPort(fmt.Sprintf("127.0.0.%d", h), strconv.Itoa(p)))
			if err != nil {
				ok = false
				continue
			}
			l.Close()
		}
		for _, q := range ports {
			ok = ok && q != p
		}
		if ok {
			ports = append(ports, p)
		}
	}
	if len(ports) < count {
		t.Fatalf("no %d ports free on 127.0.0.1-%d", count, hosts)
	}
	return ports
}

func (z *ZooKeeper) script(timeout time.Duration, args ...string) (string, error) {
	cmd := exec.Command("bash", append([]string{zookeeperScript()}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return "", err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return out.String(), err
	case <-time.After(timeout):
		cmd.Process.Kill()
		<-done
		return out.String(), fmt.Errorf("scripts/zookeeper.sh %s did not finish in %s", strings.Join(args, " "), timeout)
	}
}

// Servers lists the client addresses, host:port.
func (z *ZooKeeper) Servers() []string {
	out := make([]string, z.N)
	for i := range out {
		out[i] = net.JoinHostPort(fmt.Sprintf("127.0.0.%d", i+1), strconv.Itoa(z.ClientPort))
	}
	return out
}

// Address is the connect string, as alluxio.zookeeper.address takes it.
func (z *ZooKeeper) Address() string { return strings.Join(z.Servers(), ",") }

func (z *ZooKeeper) must(timeout time.Duration, args ...string) {
	z.t.Helper()
	if out, err := z.script(timeout, args...); err != nil {
		z.t.Fatalf("scripts/zookeeper.sh %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// StopServer stops server id (1-based) with SIGTERM.
func (z *ZooKeeper) StopServer(id int) { z.must(time.Minute, "stop-server", z.Dir, strconv.Itoa(id)) }

// KillServer kills server id (1-based) with SIGKILL.
func (z *ZooKeeper) KillServer(id int) { z.must(time.Minute, "kill-server", z.Dir, strconv.Itoa(id)) }

// StartServer restarts server id without waiting for it to serve.
func (z *ZooKeeper) StartServer(id int) { z.must(time.Minute, "start-server", z.Dir, strconv.Itoa(id)) }

// WaitServing waits until the given servers (all when none is given) are
// part of a serving quorum.
func (z *ZooKeeper) WaitServing(ids ...int) {
	z.t.Helper()
	args := []string{"wait", z.Dir}
	for _, id := range ids {
		args = append(args, strconv.Itoa(id))
	}
	z.must(2*time.Minute, args...)
}

// KillAll kills every server.
func (z *ZooKeeper) KillAll() {
	for id := 1; id <= z.N; id++ {
		z.KillServer(id)
	}
}

// RestartAll starts every server that is down and waits for the quorum.
func (z *ZooKeeper) RestartAll() {
	z.t.Helper()
	for id := 1; id <= z.N; id++ {
		z.StartServer(id)
	}
	z.WaitServing()
}

// StopAll stops every server; it is registered as the test's cleanup.
func (z *ZooKeeper) StopAll() {
	if out, err := z.script(time.Minute, "stop", z.Dir); err != nil {
		z.t.Logf("stop ZooKeeper: %v\n%s", err, out)
	}
}

// ServerLog returns the log of server id.
func (z *ZooKeeper) ServerLog(id int) string {
	out, _ := exec.Command("tail", "-n", "40", filepath.Join(z.Dir, fmt.Sprintf("zk%d", id), "server.log")).CombinedOutput()
	return string(out)
}

// ZooKeeperSessionTimeout is the session timeout masters of a
// NewZooKeeperCluster ask for: short, so that tests can outlast it.
const ZooKeeperSessionTimeout = 3 * time.Second

// ZooKeeperCluster is a set of --ha=zookeeper masters, their ensemble and
// their shared journal folder.
type ZooKeeperCluster struct {
	*Cluster
	ZooKeeper *ZooKeeper
	Journal   string // the shared journal folder
}

// NewZooKeeperCluster prepares n masters in --ha=zookeeper mode, master i
// on 127.0.0.(i+1), electing through zk, with their journal in one shared
// local folder (Journal) that is formatted here. Start them with StartAll.
func NewZooKeeperCluster(t testing.TB, n int, zk *ZooKeeper, extra map[string]string) *ZooKeeperCluster {
	t.Helper()
	shared := t.TempDir()
	c := &ZooKeeperCluster{Cluster: &Cluster{t: t}, ZooKeeper: zk, Journal: filepath.Join(shared, "journal")}
	var rpcAddrs []string
	for i := 0; i < n; i++ {
		m := NewMaster(t, fmt.Sprintf("m%d", i+1), fmt.Sprintf("127.0.0.%d", i+1))
		c.Masters = append(c.Masters, m)
		rpcAddrs = append(rpcAddrs, m.RPCAddress())
	}
	for _, m := range c.Masters {
		m.Props["alluxio.master.journal.type"] = "UFS"
		m.Props["alluxio.zookeeper.enabled"] = "true"
		m.Props["alluxio.zookeeper.address"] = zk.Address()
		m.Props["alluxio.zookeeper.session.timeout"] = ZooKeeperSessionTimeout.String()
		m.Props["alluxio.zookeeper.connection.timeout"] = "2s"
		m.Props["alluxio.master.journal.folder"] = c.Journal
		m.Props["alluxio.master.journal.tailer.sleep.time"] = "50ms"
		m.Props["alluxio.master.mount.table.root.ufs"] = filepath.Join(shared, "ufs")
		m.Props["alluxio.master.rpc.addresses"] = strings.Join(rpcAddrs, ",")
		for k, v := range extra {
			m.Props[k] = v
		}
	}
	if err := os.MkdirAll(filepath.Join(shared, "ufs"), 0o755); err != nil {
		t.Fatal(err)
	}
	c.FormatSharedJournal()
	return c
}

// FormatSharedJournal formats the cluster's shared journal folder, as
// `halo format` does in zookeeper mode.
func (c *ZooKeeperCluster) FormatSharedJournal() {
	c.t.Helper()
	store, err := local.New(c.Journal)
	if err != nil {
		c.t.Fatal(err)
	}
	defer store.Close()
	if err := ufsjournal.Format(context.Background(), store, "test-cluster"); err != nil {
		c.t.Fatalf("format the shared journal %s: %v", c.Journal, err)
	}
}

// OpenSharedJournal opens the cluster's shared journal for inspection.
func (c *ZooKeeperCluster) OpenSharedJournal() *ufsjournal.Journal {
	c.t.Helper()
	store, err := local.New(c.Journal)
	if err != nil {
		c.t.Fatal(err)
	}
	j, err := ufsjournal.Open(context.Background(), store, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { j.Close() })
	return j
}
