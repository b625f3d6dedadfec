//go:build peers

package peers

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/internal/ports"
	"github.com/halo-fs/halo/internal/testinfra/alluxio"
	"github.com/halo-fs/halo/internal/testinfra/masters"
	"github.com/halo-fs/halo/internal/testinfra/proc"
	"github.com/halo-fs/halo/internal/testinfra/zookeeper"
	"github.com/halo-fs/halo/master/identity"
)

var (
	durationFlag = flag.Duration("duration", 8*time.Second, "measured time per point")
	warmupFlag   = flag.Duration("warmup", time.Second, "unmeasured time before each point")
	threadsFlag  = flag.String("threads", "1,16,64", "thread counts, comma-separated")
	trialsFlag   = flag.Int("failover-trials", 3, "kill -9 trials of each system's leader (0: none)")
	gracefulFlag = flag.Int("graceful-trials", 3, "SIGTERM trials of Halo's Raft leader, which hands over before it stops (0: none)")
	systemsFlag  = flag.String("systems", "zookeeper,etcd,halo-raft,alluxio", "which groups to run: zookeeper (ZooKeeper, then Halo in ZooKeeper mode on it), etcd, halo-raft, alluxio")
	outFlag      = flag.String("out", "", "also write the report to this file")
)

// report gathers what every group measured, for the table at the end.
type report struct {
	mu        sync.Mutex
	points    []Point
	failovers []string
	graceful  []string
	elections []string
}

func (r *report) add(t *testing.T, p Point) {
	t.Logf("%s %s %d threads: %.0f ops/s, p50 %v, p99 %v, %d/%d ops/errors %s", p.System, p.Workload, p.Threads,
		p.OpsPerSec, p.P50, p.P99, p.Ops, p.Errors, p.FirstError)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.points = append(r.points, p)
}

// TestPeers is `make bench-peers`: every system in turn, each stopped
// before the next starts so that none competes with another for the
// machine, then one table.
func TestPeers(t *testing.T) {
	threads, err := ParseThreads(*threadsFlag)
	if err != nil {
		t.Fatal(err)
	}
	started := time.Now().UTC()
	loadBefore := loadAverage(t)
	r := &report{}
	groups := map[string]func(*testing.T, *report, []int){
		"zookeeper": runZooKeeperGroup, "etcd": runEtcdGroup, "halo-raft": runHaloRaftGroup, "alluxio": runAlluxioGroup,
	}
	for _, name := range strings.Split(*systemsFlag, ",") {
		run, ok := groups[name]
		if !ok {
			t.Fatalf("unknown system group %q in -systems", name)
		}
		t.Run(name, func(t *testing.T) { run(t, r, threads) })
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Peer benchmark, %s–%s UTC; %d CPUs; load average (1/5/15 min) %s before, %s after; %v measured after %v warmup per point.\n\n",
		started.Format("2006-01-02 15:04"), time.Now().UTC().Format("15:04"), nproc(), loadBefore, loadAverage(t), *durationFlag, *warmupFlag)
	WriteTable(&b, r.points)
	b.WriteString("\nA Halo create is one CreateFile request (one journal entry, as a ZooKeeper create or an etcd put); its CreateFile+CompleteFile row is two requests, as Alluxio's createFile then close of the empty stream (completeFile) is; × best peer is against the best of ZooKeeper, etcd and Alluxio at the same workload and thread count.\n")
	if len(r.elections) > 0 {
		fmt.Fprintf(&b, "\nHalo's elections during the load points (leader polled every 250 ms): %s.\n", strings.Join(r.elections, "; "))
	}
	if len(r.failovers) > 0 {
		b.WriteString("\nFailover, kill -9 of the leader to the first create that succeeds after it (one writer, Alluxio's Java client for every system, its default retry policy):\n\n")
		b.WriteString("| system | trials | p50 ms | p99 ms | per trial ms |\n|---|---:|---:|---:|---|\n")
		for _, f := range r.failovers {
			b.WriteString(f + "\n")
		}
	}
	if len(r.graceful) > 0 {
		b.WriteString("\nGraceful stop, SIGTERM to the Raft leader (it hands leadership over first): the longest gap between two successive successful creates, from the last one before the signal (one writer, Alluxio's Java client):\n\n")
		b.WriteString("| system | trials | p50 ms | p99 ms | per trial ms |\n|---|---:|---:|---:|---|\n")
		for _, g := range r.graceful {
			b.WriteString(g + "\n")
		}
	}
	fmt.Println()
	fmt.Print(b.String())
	if *outFlag != "" {
		if err := os.WriteFile(*outFlag, []byte(b.String()), 0o644); err != nil {
			t.Error(err)
		}
	}
}

func loadAverage(t *testing.T) string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

func nproc() int {
	out, err := exec.Command("nproc").Output()
	if err != nil {
		return 0
	}
	var n int
	fmt.Sscanf(string(out), "%d", &n)
	return n
}

// runZooKeeperGroup measures a 3-server ensemble, then Halo in ZooKeeper
// mode electing through it.
func runZooKeeperGroup(t *testing.T, r *report, threads []int) {
	ensemble := zookeeper.Start(t, 3)
	zkSystem, err := ZooKeeper(ensemble.Servers(), "/halo-peer-bench")
	if err != nil {
		t.Fatal(err)
	}
	measure(t, r, zkSystem, threads)
	zkSystem.Close()

	c := masters.New(t, masters.Config{Mode: masters.ModeZooKeeper, Masters: 3, ZooKeeper: ensemble,
		Authentication: identity.Simple})
	runHaloCluster(t, r, c, "Halo (ZooKeeper mode)", threads)
}

func runHaloRaftGroup(t *testing.T, r *report, threads []int) {
	// Raft's own timeouts, not the doubled ones the test suite uses.
	c := masters.New(t, masters.Config{Mode: masters.ModeRaft, Masters: 3, Authentication: identity.Simple,
		Props: map[string]string{"halo.master.embedded.journal.timeout.multiplier": "1"}})
	runHaloCluster(t, r, c, "Halo (Raft)", threads)
}

// runHaloCluster measures c with Halo's Go client and Alluxio's Java
// client, counting leader changes under load, then its failover.
func runHaloCluster(t *testing.T, r *report, c *masters.Cluster, name string, threads []int) {
	c.StartAll()
	c.Leader(2 * time.Minute)
	cl := haloClient(t, c.RPCAddresses())
	s, err := Halo(name, cl, "/halo-peer-bench")
	if err != nil {
		t.Fatal(err)
	}
	termBefore := raftTerm(t, c, cl)
	changes := c.WatchLeaderChanges()
	measure(t, r, s, threads)
	javaConf := alluxio.ClientConf(c.RPCAddresses()...)
	measureJava(t, r, name, javaConf, threads, false)
	seen := fmt.Sprintf("%s: %d leader changes", name, changes())
	if c.Mode == masters.ModeRaft {
		seen += fmt.Sprintf(", Raft term +%d", raftTerm(t, c, cl)-termBefore)
	}
	r.mu.Lock()
	r.elections = append(r.elections, seen)
	r.mu.Unlock()
	if *trialsFlag > 0 {
		r.addFailover(name, failover(t, javaConf, *trialsFlag, func() (time.Time, func()) {
			leader := c.Leader(time.Minute)
			killedAt := time.Now()
			leader.Kill()
			return killedAt, func() { c.Rejoin(leader) }
		}))
	}
	if *gracefulFlag > 0 && c.Mode == masters.ModeRaft {
		row := trialRow(name, gracefulStop(t, javaConf, *gracefulFlag, c))
		r.mu.Lock()
		r.graceful = append(r.graceful, row)
		r.mu.Unlock()
	}
}

// gracefulStop runs GracefulStop's trials against c with one PeerBench
// writer creating files through Alluxio's Java client.
func gracefulStop(t *testing.T, conf map[string]string, trials int, c *masters.Cluster) []time.Duration {
	w, err := javaDriver(t, conf).Writer("/halo-peer-graceful")
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := w.Stop(); err != nil {
			t.Error(err)
		}
	}()
	out, err := GracefulStop(w, trials, 5*time.Minute, func() (time.Time, <-chan struct{}, func()) {
		leader := c.Leader(time.Minute)
		exited := make(chan struct{})
		signalledAt := time.Now()
		go func() {
			defer close(exited)
			leader.Stop()
			t.Logf("graceful stop: %s exited %v after the signal", leader.Name, time.Since(signalledAt))
		}()
		return signalledAt, exited, func() { c.Rejoin(leader) }
	}, func(i int, d time.Duration) { t.Logf("graceful stop trial %d: longest gap %v", i, d) })
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// raftTerm is the Raft term of c's leader (0 outside Raft mode): each
// election, even one the same master wins again, raises it.
func raftTerm(t *testing.T, c *masters.Cluster, cl *client.Client) uint64 {
	if c.Mode != masters.ModeRaft {
		return 0
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	info, err := cl.GetQuorumInfo(ctx)
	if err != nil {
		t.Fatalf("the Raft term: %v", err)
	}
	return info.GetTerm()
}

func haloClient(t *testing.T, addrs []string) *client.Client {
	t.Helper()
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(client.Options{
		Addresses:          addrs,
		User:               u.Username,
		RetryBaseSleep:     10 * time.Millisecond,
		RetryMaxSleep:      100 * time.Millisecond,
		RetryMaxDuration:   2 * time.Minute,
		AttemptTimeout:     2 * time.Second,
		LeaderProbeTimeout: 500 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func measure(t *testing.T, r *report, s *System, threads []int) {
	s.Run(context.Background(), threads, *warmupFlag, *durationFlag, func(p Point) { r.add(t, p) })
}

// measureJava runs PeerBench against the masters conf names.
func measureJava(t *testing.T, r *report, name string, conf map[string]string, threads []int, peer bool) {
	d := javaDriver(t, conf)
	operations := map[string]string{Create: "createFile+close", Read: "getStatus"}
	for _, workload := range []string{Create, Read} {
		for _, n := range threads {
			p, err := d.Run(workload, n, *warmupFlag, *durationFlag, fmt.Sprintf("/halo-peer-bench-java/%s-%d", workload, n))
			if err != nil {
				t.Fatal(err)
			}
			p.System, p.Workload, p.Client, p.Operation, p.Peer = name, workload, "Alluxio Java client", operations[workload], peer
			r.add(t, p)
		}
	}
}

func javaDriver(t *testing.T, conf map[string]string) *JavaDriver {
	src, err := SourcePath()
	if err != nil {
		t.Fatal(err)
	}
	return &JavaDriver{Programs: alluxio.FindT(t), Source: src, Conf: conf, Dir: proc.Dir(t)}
}

func runAlluxioGroup(t *testing.T, r *report, threads []int) {
	c := alluxio.StartCluster(t, 3, nil)
	conf := alluxio.ClientConf(c.Addresses()...)
	measureJava(t, r, "Alluxio "+alluxio.Version+" (embedded journal)", conf, threads, true)
	if *trialsFlag > 0 {
		r.addFailover("Alluxio "+alluxio.Version, failover(t, conf, *trialsFlag, func() (time.Time, func()) {
			leader, err := c.Primary(2 * time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			killedAt := time.Now()
			leader.Process().Kill()
			return killedAt, func() {
				if err := c.Restart(leader); err != nil {
					t.Fatal(err)
				}
			}
		}))
	}
}

// runEtcdGroup measures a 3-member etcd cluster from Debian's
// etcd-server.
func runEtcdGroup(t *testing.T, r *report, threads []int) {
	endpoints := startEtcd(t, 3)
	s, err := Etcd(endpoints, "/halo-peer-bench")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	measure(t, r, s, threads)
}

// startEtcd starts n members on 127.0.0.1..n sharing free port numbers,
// with etcd's defaults otherwise (fsync on), and returns the client
// endpoints; they are killed when the test ends.
func startEtcd(t *testing.T, n int) []string {
	binary, err := exec.LookPath("etcd")
	if err != nil {
		t.Fatalf("etcd is not installed (scripts/peers.sh install: apt-get install etcd-server): %v", err)
	}
	hosts := make([]string, n)
	for i := range hosts {
		hosts[i] = fmt.Sprintf("127.0.0.%d", i+1)
	}
	free, err := ports.FreeOnHosts(hosts, 2)
	if err != nil {
		t.Fatal(err)
	}
	var cluster, endpoints []string
	for i, h := range hosts {
		cluster = append(cluster, fmt.Sprintf("e%d=http://%s:%d", i+1, h, free[1]))
		endpoints = append(endpoints, fmt.Sprintf("http://%s:%d", h, free[0]))
	}
	dir := proc.Dir(t)
	for i, h := range hosts {
		data := filepath.Join(dir, fmt.Sprintf("etcd%d", i+1))
		p := proc.New(fmt.Sprintf("etcd%d", i+1), proc.Local{}, data+".log", binary,
			"--name", fmt.Sprintf("e%d", i+1), "--data-dir", data,
			"--listen-client-urls", endpoints[i], "--advertise-client-urls", endpoints[i],
			"--listen-peer-urls", fmt.Sprintf("http://%s:%d", h, free[1]),
			"--initial-advertise-peer-urls", fmt.Sprintf("http://%s:%d", h, free[1]),
			"--initial-cluster", strings.Join(cluster, ","), "--initial-cluster-state", "new",
			"--initial-cluster-token", "halo-peer-bench", "--logger", "zap", "--log-level", "warn")
		if err := p.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Kill)
	}
	return endpoints
}

func (r *report) addFailover(name string, samples []time.Duration) {
	row := trialRow(name, samples)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failovers = append(r.failovers, row)
}

// trialRow is one system's row of a trials table: count, p50, p99 and
// every trial, in ms.
func trialRow(name string, samples []time.Duration) string {
	p50, p99 := Percentiles(samples)
	var each []string
	for _, s := range samples {
		each = append(each, fmt.Sprint(s.Milliseconds()))
	}
	return fmt.Sprintf("| %s | %d | %d | %d | %s |", name, len(samples), p50.Milliseconds(), p99.Milliseconds(), strings.Join(each, " "))
}

// failover runs Failover's trials with one PeerBench writer creating
// files through Alluxio's Java client.
func failover(t *testing.T, conf map[string]string, trials int, kill func() (killedAt time.Time, restart func())) []time.Duration {
	w, err := javaDriver(t, conf).Writer("/halo-peer-failover")
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := w.Stop(); err != nil {
			t.Error(err)
		}
	}()
	out, err := Failover(w, trials, 5*time.Minute, kill, func(i int, d time.Duration) { t.Logf("failover trial %d: %v", i, d) })
	if err != nil {
		t.Fatal(err)
	}
	return out
}
