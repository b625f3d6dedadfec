package masters

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/halo-fs/halo/ha/state"
	"github.com/halo-fs/halo/internal/ports"
	"github.com/halo-fs/halo/internal/testinfra/netns"
	"github.com/halo-fs/halo/internal/testinfra/proc"
	"github.com/halo-fs/halo/internal/testinfra/zookeeper"
	ufsjournal "github.com/halo-fs/halo/journal/ufs"
	"github.com/halo-fs/halo/master/identity"
	"github.com/halo-fs/halo/ufs/local"
)

// Mode is an HA mode of a cluster.
type Mode string

const (
	// ModeRaft: masters replicate through the embedded Raft log.
	ModeRaft Mode = "raft"
	// ModeZooKeeper: masters elect through ZooKeeper and share one
	// journal folder.
	ModeZooKeeper Mode = "zookeeper"
)

// ZooKeeperSessionTimeout is the session timeout masters in ZooKeeper mode
// ask for: short, so that tests (and faults) can outlast it.
const ZooKeeperSessionTimeout = 3 * time.Second

// Config describes a cluster.
type Config struct {
	Mode    Mode
	Masters int
	// Props are set on every master after the harness's own.
	Props map[string]string
	// ZooKeeper is the ensemble masters in ZooKeeper mode elect through.
	ZooKeeper *zookeeper.Ensemble
	// Network, when set, places master i in the namespace of the
	// network's host m<i+1>, on Alluxio's default ports; otherwise master
	// i serves on 127.0.0.(i+1) on free ports.
	Network *netns.Network
	// Authentication is the masters' authentication type: SECRET with
	// Secret() when empty.
	Authentication identity.Authentication
	// InProcess runs every master in the test's own process (see
	// Master.InProcess): for tests of RPC semantics that kill, pause and
	// partition nothing. It cannot be combined with Network.
	InProcess bool
	// SamePorts gives the masters on loopback one RPC, one web and one
	// Raft port number, each master on its own address, as masters on
	// hosts of their own have them: a client then finds the RPC
	// addresses from the embedded journal's hosts.
	SamePorts bool
	// Dir holds a folder per master (and ZooKeeper mode's shared/); a
	// folder kept when the test fails when empty.
	Dir string
}

// Cluster is a set of masters that share one configuration.
type Cluster struct {
	t       testing.TB
	Mode    Mode
	Masters []*Master
	// Archive is Raft mode's shared checkpoint archive folder.
	Archive string
	// ZooKeeper and Journal (the shared journal folder) are ZooKeeper
	// mode's.
	ZooKeeper *zookeeper.Ensemble
	Journal   string
	Network   *netns.Network
	shared    string
}

// New prepares the masters of cfg and formats them (the shared journal
// once, in ZooKeeper mode). Start them with StartAll.
func New(t testing.TB, cfg Config) *Cluster {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = proc.Dir(t)
	}
	if cfg.Authentication == "" {
		cfg.Authentication = identity.Secret
	}
	if cfg.InProcess && cfg.Network != nil {
		t.Fatal("masters in network namespaces need processes: unset InProcess or Network")
	}
	c := &Cluster{t: t, Mode: cfg.Mode, ZooKeeper: cfg.ZooKeeper, Network: cfg.Network}
	shared := sharedPorts(t, cfg)
	for i := 0; i < cfg.Masters; i++ {
		m := c.newMember(cfg, i, shared)
		m.InProcess = cfg.InProcess
		c.Masters = append(c.Masters, m)
	}
	var modeProps func(*Master) map[string]string
	switch cfg.Mode {
	case ModeRaft:
		modeProps = c.raftProps(cfg.Dir)
	case ModeZooKeeper:
		modeProps = c.zooKeeperProps(cfg.Dir)
	default:
		t.Fatalf("unknown HA mode %q", cfg.Mode)
	}
	rpcAddrs := strings.Join(c.RPCAddresses(), ",")
	for _, m := range c.Masters {
		m.Props["alluxio.master.rpc.addresses"] = rpcAddrs
		maps.Copy(m.Props, modeProps(m))
		maps.Copy(m.Props, cfg.Props)
	}
	c.format()
	return c
}

// NewRaft prepares n Raft masters with extra properties, formatted, with
// Raft's timeouts multiplied by six (1.2 s): the suite runs two packages at
// once on two cores, and a heartbeat stalled past a few hundred ms there
// starts an election that tests which talk to a remembered leader, or
// transfer leadership within one election timeout, did not ask for. The failover benchmark sets "1"
// to measure the defaults.
func NewRaft(t testing.TB, n int, extra map[string]string) *Cluster {
	t.Helper()
	return New(t, raftConfig(n, extra))
}

// NewRaftInProcess is NewRaft with the masters in the test's own process.
func NewRaftInProcess(t testing.TB, n int, extra map[string]string) *Cluster {
	t.Helper()
	cfg := raftConfig(n, extra)
	cfg.InProcess = true
	return New(t, cfg)
}

// TestRaftTimeoutMultiplier scales Raft's timeouts in tests to a 1.2 s
// heartbeat timeout, which a loaded test machine does not overrun.
const TestRaftTimeoutMultiplier = "6"

func raftConfig(n int, extra map[string]string) Config {
	props := map[string]string{"halo.master.embedded.journal.timeout.multiplier": TestRaftTimeoutMultiplier}
	maps.Copy(props, extra)
	return Config{Mode: ModeRaft, Masters: n, Props: props}
}

// NewZooKeeper prepares n masters electing through zk, their journal in
// one shared local folder (Journal), with extra properties, formatted.
func NewZooKeeper(t testing.TB, n int, zk *zookeeper.Ensemble, extra map[string]string) *Cluster {
	t.Helper()
	return New(t, Config{Mode: ModeZooKeeper, Masters: n, ZooKeeper: zk, Props: extra})
}

// newMember prepares master i where cfg places it.
func (c *Cluster) newMember(cfg Config, i int, shared []int) *Master {
	c.t.Helper()
	if cfg.Network != nil {
		hosts := cfg.Network.Masters()
		if i >= len(hosts) {
			c.t.Fatalf("the network has %d master hosts; want %d", len(hosts), cfg.Masters)
		}
		return newMasterIn(c.t, hosts[i], filepath.Join(cfg.Dir, hosts[i].Name), cfg.Authentication)
	}
	name, host := fmt.Sprintf("m%d", i+1), loopbackHost(i)
	m := newMaster(c.t, name, filepath.Join(cfg.Dir, name), cfg.Authentication, host, proc.Local{})
	switch {
	case shared != nil:
		m.RPCPort, m.WebPort, m.RaftPort = shared[0], shared[1], shared[2]
	case cfg.Mode == ModeRaft:
		m.RPCPort, m.WebPort, m.RaftPort = FreePort(c.t, host), FreePort(c.t, host), FreePort(c.t, host)
	default:
		m.RPCPort, m.WebPort = FreePort(c.t, host), FreePort(c.t, host)
	}
	m.setPorts()
	return m
}

// loopbackHost is the address of master i on loopback.
func loopbackHost(i int) string { return fmt.Sprintf("127.0.0.%d", i+1) }

// sharedPorts are the RPC, web and Raft ports of every master when
// cfg.SamePorts asks for one of each; nil otherwise.
func sharedPorts(t testing.TB, cfg Config) []int {
	t.Helper()
	if !cfg.SamePorts || cfg.Network != nil {
		return nil
	}
	hosts := make([]string, cfg.Masters)
	for i := range hosts {
		hosts[i] = loopbackHost(i)
	}
	shared, err := ports.FreeOnHosts(hosts, 3)
	if err != nil {
		t.Fatalf("ports free on every master's address: %v", err)
	}
	return shared
}

func (c *Cluster) raftProps(dir string) func(*Master) map[string]string {
	c.Archive = filepath.Join(dir, "archive")
	var raftAddrs []string
	for _, m := range c.Masters {
		raftAddrs = append(raftAddrs, m.RaftAddress())
	}
	return func(m *Master) map[string]string {
		return map[string]string{
			"alluxio.master.journal.type":               "EMBEDDED",
			"alluxio.master.embedded.journal.port":      strconv.Itoa(m.RaftPort),
			"alluxio.master.embedded.journal.addresses": strings.Join(raftAddrs, ","),
			"halo.master.checkpoint.archive.folder":     c.Archive,
		}
	}
}

// zooKeeperProps: the shared folder is on the machine's file system, which
// every namespace sees: an NFS mount that stays reachable while ZooKeeper
// does not, the case where only the journal's fencing can stop a deposed
// leader.
func (c *Cluster) zooKeeperProps(dir string) func(*Master) map[string]string {
	if c.ZooKeeper == nil {
		c.t.Fatal("ZooKeeper mode needs an ensemble (Config.ZooKeeper)")
	}
	c.shared = filepath.Join(dir, "shared")
	c.Journal = filepath.Join(c.shared, "journal")
	for _, sub := range []string{"journal", "ufs"} {
		if err := os.MkdirAll(filepath.Join(c.shared, sub), 0o755); err != nil {
			c.t.Fatal(err)
		}
	}
	// No journal type, as the guide's ZooKeeper section: enabling
	// ZooKeeper makes it the shared UFS journal.
	return func(*Master) map[string]string {
		return map[string]string{
			"alluxio.master.journal.folder":            c.Journal,
			"alluxio.master.journal.tailer.sleep.time": "50ms",
			"alluxio.master.mount.table.root.ufs":      filepath.Join(c.shared, "ufs"),
			"alluxio.zookeeper.enabled":                "true",
			"alluxio.zookeeper.address":                c.ZooKeeper.Address(),
			"alluxio.zookeeper.session.timeout":        ZooKeeperSessionTimeout.String(),
			"alluxio.zookeeper.connection.timeout":     "2s",
		}
	}
}

// format runs `halo format` on every Raft master, or once for ZooKeeper
// mode's shared folder.
func (c *Cluster) format() {
	c.t.Helper()
	if c.Mode == ModeZooKeeper {
		c.Masters[0].Format()
		return
	}
	for _, m := range c.Masters {
		m.Format()
	}
}

// RPCAddresses lists every master's RPC address, as clients are
// configured with them (alluxio.master.rpc.addresses).
func (c *Cluster) RPCAddresses() []string {
	out := make([]string, len(c.Masters))
	for i, m := range c.Masters {
		out[i] = m.RPCAddress()
	}
	return out
}

// StartAll starts every master that is not running.
func (c *Cluster) StartAll() {
	c.t.Helper()
	for _, m := range c.Masters {
		if !m.Running() {
			m.Start()
		}
	}
}

// WaitLive waits until every master serves its ports, leader or not.
func (c *Cluster) WaitLive(timeout time.Duration) {
	c.t.Helper()
	for _, m := range c.Masters {
		m.WaitLive(timeout)
	}
}

// WatchLeaderChanges polls the leader every 250 ms until the returned
// func is called, which says how many times it changed meanwhile: a
// benchmark's count of elections under load.
func (c *Cluster) WatchLeaderChanges() (stop func() int) {
	quit, done := make(chan struct{}), make(chan int, 1)
	go func() {
		var last *Master
		changes := 0
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-quit:
				done <- changes
				return
			case <-tick.C:
			}
			if l := c.CurrentLeader(context.Background()); l != nil {
				if last != nil && l != last {
					changes++
				}
				last = l
			}
		}
	}()
	return func() int { close(quit); return <-done }
}

// CurrentLeader returns the one running, unpaused master that reports
// itself PRIMARY, or nil when there is none or more than one.
func (c *Cluster) CurrentLeader(ctx context.Context) *Master {
	var leaders []*Master
	for _, m := range c.Masters {
		if !m.Running() || m.Paused() {
			continue
		}
		ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		info, err := m.Info(ctx)
		cancel()
		if err == nil && state.Of(info) == state.Primary {
			leaders = append(leaders, m)
		}
	}
	if len(leaders) == 1 {
		return leaders[0]
	}
	return nil
}

// WaitLeader polls CurrentLeader until there is one or ctx ends.
func (c *Cluster) WaitLeader(ctx context.Context) (*Master, error) {
	for {
		if l := c.CurrentLeader(ctx); l != nil {
			return l, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("no single leader: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Leader waits up to timeout for exactly one running master to report
// itself PRIMARY and returns it; the test fails, with the end of every
// master's log, when none does.
func (c *Cluster) Leader(timeout time.Duration) *Master {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	l, err := c.WaitLeader(ctx)
	if err == nil {
		return l
	}
	var logs strings.Builder
	for _, m := range c.Masters {
		fmt.Fprintf(&logs, "--- %s ---\n%s\n", m.Name, m.LogTail(15))
	}
	c.t.Fatalf("no single leader within %s\n%s", timeout, logs.String())
	return nil
}

// LeaderOrRandom returns the leader, waiting up to wait for one, else a
// random master (and false).
func (c *Cluster) LeaderOrRandom(ctx context.Context, wait time.Duration) (*Master, bool) {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	if l, err := c.WaitLeader(ctx); err == nil {
		return l, true
	}
	return c.Masters[rand.IntN(len(c.Masters))], false
}

// Others returns every master but m.
func (c *Cluster) Others(m *Master) []*Master {
	var out []*Master
	for _, o := range c.Masters {
		if o != m {
			out = append(out, o)
		}
	}
	return out
}

// WaitApplied polls until every running master has applied at least index.
func (c *Cluster) WaitApplied(index uint64, timeout time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		behind := ""
		for _, m := range c.Masters {
			if !m.Running() {
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			info, err := m.Info(ctx)
			cancel()
			if err != nil || info.AppliedIndex < index {
				behind = m.Name
				break
			}
		}
		if behind == "" {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.t.Fatalf("masters did not all apply index %d within %s", index, timeout)
}

// Rejoin starts the stopped master m again and waits until it has applied
// what the leader had, so that what a test or benchmark does next starts
// from masters that can all vote at once, not from one still catching up.
func (c *Cluster) Rejoin(m *Master) {
	c.t.Helper()
	m.Start()
	m.WaitLive(2 * time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	info, err := c.Leader(time.Minute).Info(ctx)
	cancel()
	if err != nil {
		c.t.Fatalf("the leader's applied index: %v", err)
	}
	c.WaitApplied(info.AppliedIndex, 2*time.Minute)
}

// Folders are what a failing run's report keeps, by name: every master's
// folder, every ZooKeeper server's, the shared folder.
func (c *Cluster) Folders() map[string]string {
	out := map[string]string{}
	for _, m := range c.Masters {
		out[filepath.Join("masters", m.Name)] = m.Dir
	}
	if c.ZooKeeper != nil {
		for _, z := range c.ZooKeeper.Members {
			out[filepath.Join("zookeeper", z.Name())] = z.Dir
		}
	}
	if c.shared != "" {
		out["shared"] = c.shared
	}
	return out
}

// OpenSharedJournal opens ZooKeeper mode's shared journal for inspection.
func (c *Cluster) OpenSharedJournal() *ufsjournal.Journal {
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
