package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/fserr/rpcerr"
	"github.com/halo-fs/halo/ha/zookeeper"
	"github.com/halo-fs/halo/internal/poll"
	"github.com/halo-fs/halo/internal/testinfra/masters"
	zkinfra "github.com/halo-fs/halo/internal/testinfra/zookeeper"
	ufsjournal "github.com/halo-fs/halo/journal/ufs"
	"github.com/halo-fs/halo/proto/alluxiopb"
	"github.com/halo-fs/halo/proto/halopb"
	"github.com/halo-fs/halo/web/masterui"
	"google.golang.org/protobuf/proto"
)

// These tests run three real masters in --ha=zookeeper mode against a real
// ZooKeeper (scripts/zookeeper.sh), their journal in one shared local
// folder, with alluxio.zookeeper.session.timeout=3s.

// checkFailoverShown: the new leader's Masters page names the failover
// from the killed leader to itself, in its election epoch, and its
// connection to ZooKeeper. (Whether it saw a time without a leader
// depends on how fast its leader watch read the znodes.)
func checkFailoverShown(t *testing.T, newLeader, old *masters.Master) {
	t.Helper()
	var m masterui.Masters
	poll.Until(t, 30*time.Second, "the new leader's Masters page to show the failover", func() bool {
		resp, err := http.Get(newLeader.WebURL("/api/v1/master/webui_masters"))
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		m = masterui.Masters{}
		return json.NewDecoder(resp.Body).Decode(&m) == nil && len(m.Failovers) > 0 && m.Failovers[0].To == newLeader.RPCAddress() && m.ElectionEpoch > 0
	})
	last := m.Failovers[0]
	if last.From != old.RPCAddress() || last.Term != m.ElectionEpoch || m.ZooKeeperConnection != "StateHasSession" {
		t.Errorf("the new leader's failover history: %+v", m)
	}
	// It wrote at least its epoch marker into the shared journal.
	if m.Journal == nil || !m.Journal.Writing || m.Journal.Batch == 0 || !strings.HasPrefix(m.Journal.Location, "file://") {
		t.Errorf("the new leader's shared journal position: %+v", m.Journal)
	}
}

func startZooKeeperCluster(t *testing.T, zkServers int, extra map[string]string) (*masters.Cluster, *masters.Master) {
	t.Helper()
	zk := zkinfra.Start(t, zkServers)
	c := masters.NewZooKeeper(t, 3, zk, extra)
	c.StartAll()
	return c, c.Leader(60 * time.Second)
}

// journalBatches reads every batch of the shared journal in sequence
// order, skipped ones included.
func journalBatches(t *testing.T, c *masters.Cluster) []ufsjournal.Batch {
	t.Helper()
	j := c.OpenSharedJournal()
	st, err := j.Stat(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []ufsjournal.Batch
	for seq := st.FirstSeq; seq <= st.LastSeq && st.Batches > 0; seq++ {
		b, err := j.ReadBatch(context.Background(), seq)
		if err != nil {
			t.Fatalf("journal batch %d: %v", seq, err)
		}
		out = append(out, b)
	}
	return out
}

// checkEpochs checks that epochs never go down in the journal and returns
// the epoch of each writer's last marker.
func checkEpochs(t *testing.T, batches []ufsjournal.Batch) map[string]uint64 {
	t.Helper()
	epochs := map[string]uint64{}
	var last uint64
	for _, b := range batches {
		if b.Epoch < last {
			t.Errorf("batch %d by %s has epoch %d after epoch %d: a deposed leader's append was accepted", b.Seq, b.Writer, b.Epoch, last)
		}
		last = max(last, b.Epoch)
		if b.Kind == ufsjournal.KindEpochMarker {
			epochs[b.Writer] = b.Epoch
		}
	}
	return epochs
}

// TestZooKeeperKillLeaderLosesNothing kills the leader with SIGKILL under
// load; a standby takes over with every acknowledged create. Standbys
// checkpoint every 200 entries, so the journal is collected as it goes and
// the old leader, restarted, recovers from a checkpoint.
func TestZooKeeperKillLeaderLosesNothing(t *testing.T) {
	c, leader := startZooKeeperCluster(t, 1, map[string]string{"alluxio.master.journal.checkpoint.period.entries": "200"})

	// The operator commands show ZooKeeper mode.
	if out, err := leader.Halo("fs", "leader"); err != nil || strings.TrimSpace(out) != leader.Host {
		t.Errorf("fs leader: %q, %v; want %s", out, err, leader.Host)
	}
	if out, err := leader.Halo("fs", "masterInfo"); err != nil || !strings.Contains(out, "Current leader master: "+leader.RPCAddress()) || !strings.Contains(out, "Zookeeper address: "+c.ZooKeeper.Address()) {
		t.Errorf("fs masterInfo: %v\n%s", err, out)
	}
	if out, err := leader.Halo("fsadmin", "report"); err != nil || !strings.Contains(out, "Zookeeper Enabled: true") || !strings.Contains(out, "Journal Type: UFS") || !strings.Contains(out, c.ZooKeeper.Servers()[0]) {
		t.Errorf("fsadmin report: %v\n%s", err, out)
	}

	w := startWriters(t, c.RPCAddresses(), 8, "/kill")
	w.waitFor(t, 300, time.Minute)
	killed := time.Now()
	leader.Kill()
	before := w.count.Load()
	newLeader := c.Leader(60 * time.Second)
	if newLeader == leader {
		t.Fatal("the killed master is still reported as leader")
	}
	w.waitFor(t, before+1, time.Minute)
	t.Logf("kill -9 of the leader: first acknowledged create %s later (session timeout %s)", time.Since(killed).Round(10*time.Millisecond), masters.ZooKeeperSessionTimeout)
	checkFailoverShown(t, newLeader, leader)
	w.waitFor(t, before+300, time.Minute)
	w.halt(t)
	w.checkPresent(t, c.RPCAddresses(), "/kill")

	// A client that knows only ZooKeeper finds the leader from its znode.
	zf := zookeeper.NewZNodeFinder(c.ZooKeeper.Servers(), "/alluxio/leader", time.Minute)
	defer zf.Close()
	zc, err := client.New(client.Options{Finder: zf, User: currentUser(t), RetryMaxDuration: 30 * time.Second, Secret: masters.Secret()})
	if err != nil {
		t.Fatal(err)
	}
	defer zc.Close()
	if addr, err := zc.Leader(context.Background()); err != nil || addr != newLeader.RPCAddress() {
		t.Errorf("the leader znode names %q (%v), want %s", addr, err, newLeader.RPCAddress())
	}
	if _, err := zc.CreateDirectory(context.Background(), "/via-zookeeper", client.CreateDirectoryOptions{}); err != nil {
		t.Errorf("create through the ZooKeeper finder: %v", err)
	}

	// The old leader comes back as a standby and catches up by tailing.
	info, err := newLeader.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	leader.Start()
	leader.WaitLive(30 * time.Second)
	c.WaitApplied(info.AppliedIndex, time.Minute)
	// It learns who leads from its election watcher, which starts after
	// the replay, so its hint may take a moment.
	var old *halopb.MasterInfo
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if old, err = leader.Info(context.Background()); err != nil {
			t.Fatal(err)
		}
		if old.LeaderAddress == newLeader.RPCAddress() || time.Now().After(deadline) {
			break
		}
	}
	if old.State != "STANDBY" || old.InodeCount != info.InodeCount || old.LeaderAddress != newLeader.RPCAddress() {
		t.Errorf("restarted old leader: state %s, %d inodes, leader hint %q; want STANDBY, %d, %s",
			old.State, old.InodeCount, old.LeaderAddress, info.InodeCount, newLeader.RPCAddress())
	}
	checkEpochs(t, journalBatches(t, c))
	st, err := c.OpenSharedJournal().Stat(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Checkpoints) == 0 || st.Compacted == 0 || st.FirstSeq <= st.Compacted {
		t.Errorf("journal folder after 600 creates with checkpoints every 200 entries: %+v", st)
	}
	if !strings.Contains(leader.Log(), "restored checkpoint") {
		t.Errorf("the restarted master did not start from a checkpoint:\n%s", leader.Log())
	}
}

// TestZooKeeperPausedLeaderIsFenced pauses the leader past its session
// timeout while clients have creates waiting on it; a standby takes over
// and writes; then the old leader resumes. None of its appends may be
// accepted, nothing it was asked after losing leadership may be visible,
// and it must not answer a read with its stale state. It runs twice: once
// as built, where the old leader learns from ZooKeeper that its session
// expired, and once with the test-only switch that makes it ignore that,
// where only the shared journal can stop it.
func TestZooKeeperPausedLeaderIsFenced(t *testing.T) {
	t.Run("NoticesSessionLoss", func(t *testing.T) { testPausedLeader(t, false) })
	t.Run("IgnoresSessionLoss", func(t *testing.T) { testPausedLeader(t, true) })
}

func testPausedLeader(t *testing.T, ignoreSessionLoss bool) {
	var extra map[string]string
	if ignoreSessionLoss {
		extra = map[string]string{"halo.test.zookeeper.ignore.session.loss": "true"}
	}
	c, leader := startZooKeeperCluster(t, 1, extra)
	cl := newClient(t, c.RPCAddresses(), 30*time.Second)
	ctx := context.Background()
	for i := 0; i < 20; i++ {
		if _, err := cl.CreateFile(ctx, fmt.Sprintf("/before/f%02d", i), client.CreateFileOptions{Recursive: true, Completed: true}); err != nil {
			t.Fatal(err)
		}
	}

	// Direct RPCs to the leader, one attempt each and no redirect: sent
	// while it is paused, they wait in its sockets and reach it when it
	// resumes. Connections are made first, while it still answers.
	stubs := make([]masterAPI, 8)
	var sctx context.Context
	for i := range stubs {
		stubs[i], sctx = admin(t, leader.RPCAddress())
		if _, err := stubs[i].halo.GetMasterInfo(sctx, &halopb.Empty{}); err != nil {
			t.Fatal(err)
		}
	}
	leader.Pause()
	paused := true
	defer func() {
		if paused {
			leader.Resume()
		}
	}()
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		staleOK []string
	)
	for i, stub := range stubs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 3; j++ {
				p := fmt.Sprintf("/stale/c%d-%d", i, j)
				rctx, cancel := context.WithTimeout(sctx, 2*time.Minute)
				_, err := stub.fs.CreateFile(rctx, &alluxiopb.CreateFilePRequest{Path: proto.String(p), Options: &alluxiopb.CreateFilePOptions{Recursive: proto.Bool(true)}})
				cancel()
				if err == nil {
					mu.Lock()
					staleOK = append(staleOK, p)
					mu.Unlock()
				}
			}
		}()
	}

	newLeader := c.Leader(60 * time.Second)
	if newLeader == leader {
		t.Fatal("the paused master is reported as leader")
	}
	for i := 0; i < 50; i++ {
		if _, err := cl.CreateFile(ctx, fmt.Sprintf("/after/f%02d", i), client.CreateFileOptions{Recursive: true, Completed: true}); err != nil {
			t.Fatal(err)
		}
	}
	leader.Resume()
	paused = false
	// A read asked of the old leader now, after /after/f00 was created,
	// must not be answered from its stale state.
	rctx, cancel := context.WithTimeout(sctx, time.Minute)
	_, err := stubs[0].fs.GetStatus(rctx, &alluxiopb.GetStatusPRequest{Path: proto.String("/after/f00")})
	cancel()
	if err == nil || fserr.CodeOf(rpcerr.FromGRPC(err)) == fserr.NotFound {
		t.Errorf("the deposed leader answered a read after losing leadership: %v", err)
	}
	wg.Wait()
	if len(staleOK) > 0 {
		t.Errorf("the deposed leader acknowledged creates after it lost leadership: %v", staleOK)
	}
	// More writes through the new leader, then everything is checked.
	for i := 50; i < 60; i++ {
		if _, err := cl.CreateFile(ctx, fmt.Sprintf("/after/f%02d", i), client.CreateFileOptions{Recursive: true, Completed: true}); err != nil {
			t.Fatal(err)
		}
	}
	infos, err := cl.ListStatus(ctx, "/", true)
	if err != nil {
		t.Fatal(err)
	}
	files := 0
	for _, fi := range infos {
		if strings.HasPrefix(fi.Path, "/stale") {
			t.Errorf("%s, asked of the deposed leader, is visible", fi.Path)
		}
		if !fi.IsDirectory {
			files++
		}
	}
	if files != 80 {
		t.Errorf("%d files in the namespace, want 80", files)
	}

	epochs := checkEpochs(t, journalBatches(t, c))
	oldEpoch, newEpoch := epochs[leader.RPCAddress()], epochs[newLeader.RPCAddress()]
	if oldEpoch == 0 || newEpoch <= oldEpoch {
		t.Fatalf("epochs: deposed leader %d, new leader %d", oldEpoch, newEpoch)
	}
	seenNew := false
	for _, b := range journalBatches(t, c) {
		if b.Writer == newLeader.RPCAddress() && b.Epoch == newEpoch {
			seenNew = true
		}
		if seenNew && b.Epoch == oldEpoch {
			t.Errorf("batch %d has the deposed leader's epoch %d after the new leader's marker", b.Seq, oldEpoch)
		}
	}

	// The deposed leader is a standby again, with the new leader's state.
	ni, err := newLeader.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c.WaitApplied(ni.AppliedIndex, time.Minute)
	oi, err := leader.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if oi.State != "STANDBY" || oi.InodeCount != ni.InodeCount {
		t.Errorf("deposed leader: %s with %d inodes; want STANDBY with %d", oi.State, oi.InodeCount, ni.InodeCount)
	}
	var stepDown []string
	for _, line := range strings.Split(leader.Log(), "\n") {
		if strings.Contains(line, "fenced") || strings.Contains(line, "lost leadership") || strings.Contains(line, "newer leader") {
			stepDown = append(stepDown, line)
		}
	}
	if ignoreSessionLoss && !strings.Contains(strings.Join(stepDown, "\n"), "fenced") && !strings.Contains(strings.Join(stepDown, "\n"), "newer leader") {
		t.Errorf("the deposed leader ignoring its session loss was not fenced by the journal:\n%s", leader.Log())
	}
	if len(stepDown) == 0 {
		t.Errorf("the deposed leader's log does not say it stepped down:\n%s", leader.Log())
	}
	t.Logf("the deposed leader on resuming:\n%s", strings.Join(stepDown, "\n"))
}

// TestZooKeeperEnsembleFailures: with three ZooKeeper servers, losing one
// does not stop the service; losing two (the quorum) stops writes — the
// leader cannot confirm its session, and no standby can win an election —
// and writes resume when the quorum returns.
func TestZooKeeperEnsembleFailures(t *testing.T) {
	c, _ := startZooKeeperCluster(t, 3, nil)
	zk := c.ZooKeeper
	w := startWriters(t, c.RPCAddresses(), 4, "/zk")
	w.waitFor(t, 100, time.Minute)

	zk.KillServer(1)
	before := w.count.Load()
	w.waitFor(t, before+200, time.Minute)

	zk.KillServer(2)
	probe := newClient(t, c.RPCAddresses(), 2*time.Second)
	ctx := context.Background()
	deadline := time.Now().Add(time.Minute)
	for i := 0; ; i++ {
		_, err := probe.CreateFile(ctx, fmt.Sprintf("/probe/a%04d", i), client.CreateFileOptions{Recursive: true, Completed: true})
		if err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("writes still succeed a minute after the ZooKeeper quorum was lost")
		}
	}
	// Writes stay stopped while the quorum is gone.
	for i := 0; i < 3; i++ {
		p := fmt.Sprintf("/probe/b%d", i)
		if _, err := probe.CreateFile(ctx, p, client.CreateFileOptions{Recursive: true, Completed: true}); err == nil {
			t.Errorf("create %s succeeded without a ZooKeeper quorum", p)
		}
	}
	stopped := w.count.Load()

	zk.StartServer(1)
	zk.StartServer(2)
	zk.WaitServing()
	w.waitFor(t, stopped+200, 2*time.Minute)
	w.halt(t)
	w.checkPresent(t, c.RPCAddresses(), "/zk")
	c.Leader(time.Minute)
	checkEpochs(t, journalBatches(t, c))
}

// TestZooKeeperRefusesBadSetups: an unformatted shared journal folder and
// ZooKeeper with the embedded journal stop a master with a clear error.
func TestZooKeeperRefusesBadSetups(t *testing.T) {
	zk := zkinfra.Start(t, 1)
	c := masters.NewZooKeeper(t, 1, zk, nil)
	m := c.Masters[0]
	m.Props["alluxio.master.journal.folder"] = m.Dir + "/not-formatted"
	m.Start()
	if !m.WaitExit(30 * time.Second) {
		t.Fatal("a master with an unformatted journal folder kept running")
	}
	if !strings.Contains(m.Log(), "is not formatted; run `halo format`") {
		t.Errorf("log does not say the folder needs formatting:\n%s", m.Log())
	}

	m.Props["alluxio.master.journal.folder"] = c.Journal
	m.Props["alluxio.master.journal.type"] = "EMBEDDED"
	out, err := m.Halo("master")
	if err == nil || !strings.Contains(out, "ZooKeeper cannot be combined with alluxio.master.journal.type=EMBEDDED") {
		t.Errorf("ZooKeeper with the embedded journal: %v\n%s", err, out)
	}
}

// BenchmarkZooKeeperFailover kills the ZooKeeper-mode leader once per
// iteration while one client creates files, and reports unavailability:
// from the kill to the first create that succeeds after it. It is bounded
// below by the session timeout (3 s here; ZooKeeper expires sessions on
// tick boundaries), then the election, the new leader's replay of the
// batches it has not tailed yet, its epoch marker, and the client's retry
// backoff.
//
//	go test -run='^$' -bench=ZooKeeperFailover -benchtime=10x -timeout 30m ./e2e/
func BenchmarkZooKeeperFailover(b *testing.B) {
	zk := zkinfra.Start(b, 1)
	c := masters.NewZooKeeper(b, 3, zk, nil)
	c.StartAll()
	c.Leader(60 * time.Second)
	benchFailover(b, c)
}
