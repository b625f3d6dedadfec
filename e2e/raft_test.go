package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/internal/testinfra/masters"
	"github.com/halo-fs/halo/proto/alluxiopb"
	"github.com/halo-fs/halo/proto/halopb"
	"google.golang.org/grpc"
)

// masterAPI is the services a client calls on one master: Alluxio's and
// HaloService, on one connection.
type masterAPI struct {
	conn *grpc.ClientConn
	fs   alluxiopb.FileSystemMasterClientServiceClient
	halo halopb.HaloServiceClient
}

// admin calls the master at addr directly, with no retries, as the test's
// user, who is the masters' superuser: over a channel authenticated as it.
func admin(t *testing.T, addr string) (masterAPI, context.Context) {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(masters.Credentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	ctx, end, err := client.AuthenticateChannel(context.Background(), conn, currentUser(t))
	if err != nil {
		t.Fatalf("authenticating a channel with %s: %v", addr, err)
	}
	t.Cleanup(end)
	return masterAPI{conn: conn, fs: alluxiopb.NewFileSystemMasterClientServiceClient(conn), halo: halopb.NewHaloServiceClient(conn)}, ctx
}

func startRaft(t *testing.T, n int, extra map[string]string) (*masters.Cluster, *masters.Master) {
	t.Helper()
	c := masters.NewRaft(t, n, extra)
	c.StartAll()
	return c, c.Leader(30 * time.Second)
}

// writers creates files from n goroutines until stop is closed, and
// reports which creates were acknowledged and which have an unknown outcome.
type writers struct {
	mu      sync.Mutex
	acked   map[string]bool
	unknown map[string]bool
	errs    []error
	count   atomic.Int64
	stop    chan struct{}
	wg      sync.WaitGroup
}

func startWriters(t *testing.T, addrs []string, n int, prefix string) *writers {
	w := &writers{acked: map[string]bool{}, unknown: map[string]bool{}, stop: make(chan struct{})}
	for i := 0; i < n; i++ {
		c := newClient(t, addrs, 20*time.Second)
		w.wg.Add(1)
		go func(i int) {
			defer w.wg.Done()
			for j := 0; j < 100000; j++ {
				select {
				case <-w.stop:
					return
				default:
				}
				p := fmt.Sprintf("%s/w%02d/f%06d", prefix, i, j)
				ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
				_, err := c.CreateFile(ctx, p, client.CreateFileOptions{Recursive: true, Completed: true})
				cancel()
				w.mu.Lock()
				switch code := fserr.CodeOf(err); {
				case err == nil:
					w.acked[p] = true
					w.count.Add(1)
				case code == fserr.OutcomeUnknown || code == fserr.Unavailable:
					w.unknown[p] = true
				default:
					w.errs = append(w.errs, fmt.Errorf("create %s: %w", p, err))
				}
				w.mu.Unlock()
			}
		}(i)
	}
	return w
}

func (w *writers) waitFor(t *testing.T, n int64, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for w.count.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("writers reached only %d of %d acknowledged creates in %s", w.count.Load(), n, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (w *writers) halt(t *testing.T) {
	close(w.stop)
	w.wg.Wait()
	for _, err := range w.errs {
		t.Errorf("writer: %v", err)
	}
}

// checkPresent lists the namespace through the leader and checks every
// acknowledged create is there and nothing unexpected is.
func (w *writers) checkPresent(t *testing.T, addrs []string, prefix string) {
	t.Helper()
	c := newClient(t, addrs, 30*time.Second)
	infos, err := c.ListStatus(context.Background(), prefix, true)
	if err != nil {
		t.Fatalf("list %s: %v", prefix, err)
	}
	present := map[string]bool{}
	for _, fi := range infos {
		if !fi.IsDirectory {
			present[fi.Path] = true
		}
	}
	lost := 0
	for p := range w.acked {
		if !present[p] {
			lost++
			if lost <= 5 {
				t.Errorf("acknowledged create %s is lost", p)
			}
		}
	}
	for p := range present {
		if !w.acked[p] && !w.unknown[p] {
			t.Errorf("%s is present but no writer created it", p)
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d acknowledged creates lost", lost, len(w.acked))
	}
}

func TestRaftKillLeaderLosesNothingAndOldLeaderCatchesUp(t *testing.T) {
	c, leader := startRaft(t, 3, nil)
	w := startWriters(t, c.RPCAddresses(), 8, "/kill")
	w.waitFor(t, 300, time.Minute)
	leader.Kill()
	before := w.count.Load()
	newLeader := c.Leader(30 * time.Second)
	if newLeader == leader {
		t.Fatal("the killed master is still reported as leader")
	}
	w.waitFor(t, before+300, time.Minute)
	w.halt(t)
	w.checkPresent(t, c.RPCAddresses(), "/kill")

	// The old leader rejoins as a standby and catches up.
	info, err := newLeader.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	leader.Start()
	leader.WaitLive(30 * time.Second)
	c.WaitApplied(info.AppliedIndex, time.Minute)
	old, err := leader.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if old.State != "STANDBY" {
		t.Errorf("restarted old leader is %s, want STANDBY", old.State)
	}
	if old.InodeCount != info.InodeCount {
		t.Errorf("restarted old leader holds %d inodes, leader %d", old.InodeCount, info.InodeCount)
	}
}

// TestRaftLeadershipTransfer is about the quorum commands' semantics, not
// processes, so its masters run in the test's process.
func TestRaftLeadershipTransfer(t *testing.T) {
	c := masters.NewRaftInProcess(t, 3, nil)
	c.StartAll()
	leader := c.Leader(30 * time.Second)
	var target *masters.Master
	for _, m := range c.Masters {
		if m != leader {
			target = m
			break
		}
	}
	addr := fmt.Sprintf("%s:%d", target.Host, target.RaftPort)
	if err := newClient(t, []string{leader.RPCAddress()}, 30*time.Second).TransferLeadership(context.Background(), addr); err != nil {
		t.Fatalf("transfer leadership to %s: %v", addr, err)
	}
	// The call returns once the target serves: it must say so at once.
	info, err := target.Info(context.Background())
	if err != nil || info.State != "PRIMARY" {
		t.Fatalf("after transfer, %s reports %v (err %v), want PRIMARY", addr, info.GetState(), err)
	}
	cl := newClient(t, c.RPCAddresses(), 10*time.Second)
	if _, err := cl.CreateDirectory(context.Background(), "/after-transfer", client.CreateDirectoryOptions{}); err != nil {
		t.Fatalf("write after transfer: %v", err)
	}
}

func TestRaftRemoveAndAddMember(t *testing.T) {
	c, leader := startRaft(t, 3, nil)
	var victim *masters.Master
	for _, m := range c.Masters {
		if m != leader {
			victim = m
		}
	}
	victimAddr := fmt.Sprintf("%s:%d", victim.Host, victim.RaftPort)
	victim.Kill()
	admin := newClient(t, []string{leader.RPCAddress()}, 30*time.Second)
	ctx := context.Background()
	if err := admin.RemoveQuorumMember(ctx, victimAddr); err != nil {
		t.Fatalf("remove %s: %v", victimAddr, err)
	}
	qi, err := admin.GetQuorumInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(qi.Members) != 2 {
		t.Fatalf("quorum has %d members after remove, want 2: %v", len(qi.Members), qi.Members)
	}
	cl := newClient(t, c.RPCAddresses(), 10*time.Second)
	if _, err := cl.CreateDirectory(context.Background(), "/two-members", client.CreateDirectoryOptions{}); err != nil {
		t.Fatalf("write with two members: %v", err)
	}

	// A removed master must start afresh to rejoin: wipe, format, start —
	// it finds a running quorum and waits to be added.
	if err := os.RemoveAll(filepath.Join(victim.Dir, "journal")); err != nil {
		t.Fatal(err)
	}
	victim.Format()
	victim.Start()
	victim.WaitLive(30 * time.Second)
	if err := admin.AddQuorumMember(ctx, victimAddr); err != nil {
		t.Fatalf("add %s: %v", victimAddr, err)
	}
	li, err := leader.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c.WaitApplied(li.AppliedIndex, time.Minute)
	qi, err = admin.GetQuorumInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(qi.Members) != 3 {
		t.Fatalf("quorum has %d members after add, want 3", len(qi.Members))
	}
	if !strings.Contains(victim.Log(), "waiting to be added") {
		t.Errorf("the re-added master bootstrapped on its own instead of waiting to be added")
	}
}

// TestRaftWipedFollowerRebuildsFromSnapshot keeps few log entries after a
// checkpoint, so a follower whose folder was wiped can only be rebuilt by a
// snapshot install.
func TestRaftWipedFollowerRebuildsFromSnapshot(t *testing.T) {
	c, leader := startRaft(t, 3, map[string]string{
		"halo.master.embedded.journal.trailing.logs":       "10",
		"alluxio.master.journal.checkpoint.period.entries": "200",
	})
	cl := newClient(t, c.RPCAddresses(), 20*time.Second)
	ctx := context.Background()
	for i := 0; i < 400; i++ {
		if _, err := cl.CreateFile(ctx, fmt.Sprintf("/snap/f%04d", i), client.CreateFileOptions{Recursive: true, Completed: true}); err != nil {
			t.Fatalf("create: %v", err)
		}
	}
	var follower *masters.Master
	for _, m := range c.Masters {
		if m != leader {
			follower = m
		}
	}
	follower.Kill()
	if err := os.RemoveAll(filepath.Join(follower.Dir, "journal")); err != nil {
		t.Fatal(err)
	}
	follower.Format()
	for i := 400; i < 450; i++ {
		if _, err := cl.CreateFile(ctx, fmt.Sprintf("/snap/f%04d", i), client.CreateFileOptions{Recursive: true, Completed: true}); err != nil {
			t.Fatalf("create: %v", err)
		}
	}
	api, actx := admin(t, leader.RPCAddress())
	if _, err := api.halo.Checkpoint(actx, &halopb.Empty{}); err != nil {
		t.Fatalf("checkpoint: %v", err)
	}
	follower.Start()
	follower.WaitLive(30 * time.Second)
	li, err := leader.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c.WaitApplied(li.AppliedIndex, time.Minute)
	fi, err := follower.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if fi.InodeCount != li.InodeCount {
		t.Errorf("rebuilt follower holds %d inodes, leader %d", fi.InodeCount, li.InodeCount)
	}
	if !strings.Contains(follower.Log(), "restored namespace from snapshot") {
		t.Errorf("follower caught up without a snapshot install; log:\n%s", follower.Log())
	}
	entries, _ := os.ReadDir(c.Archive)
	if len(entries) == 0 {
		t.Errorf("no checkpoint was archived in %s", c.Archive)
	}
}

// TestRaftRefusesBadQuorumConfiguration: a master missing from the address
// list, and a new master whose list disagrees with a peer's, stop at
// start-up with an error naming the problem instead of forming a cluster.
func TestRaftRefusesBadQuorumConfiguration(t *testing.T) {
	c := masters.NewRaft(t, 3, nil)
	m1, m3 := c.Masters[0], c.Masters[2]
	m1.Start()
	m1.WaitLive(30 * time.Second)

	good := m3.Props["alluxio.master.embedded.journal.addresses"]
	m3.Props["alluxio.master.embedded.journal.addresses"] = strings.Replace(good, fmt.Sprintf(":%d", c.Masters[1].RaftPort), ":1", 1)
	m3.Start()
	if !m3.WaitExit(30 * time.Second) {
		t.Fatal("a master with a disagreeing address list kept running")
	}
	if !strings.Contains(m3.Log(), "disagrees with master") {
		t.Errorf("log does not explain the disagreement:\n%s", m3.Log())
	}

	m3.Props["alluxio.master.embedded.journal.addresses"] = strings.Replace(good, fmt.Sprintf("127.0.0.3:%d", m3.RaftPort), "127.0.0.9:19200", 1)
	m3.Start()
	if !m3.WaitExit(30 * time.Second) {
		t.Fatal("a master missing from the address list kept running")
	}
	if !strings.Contains(m3.Log(), "is not in the embedded journal address list") {
		t.Errorf("log does not say the master is missing from the list:\n%s", m3.Log())
	}
}

// TestRaftRefusesJournalFromAnotherCluster copies a stopped master's
// journal folder into a master of another cluster: that master must stop at
// start-up naming both clusters, instead of joining with a foreign log.
func TestRaftRefusesJournalFromAnotherCluster(t *testing.T) {
	a, _ := startRaft(t, 3, nil)
	b, _ := startRaft(t, 3, nil)
	waitClusterID := func(c *masters.Cluster) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for _, m := range c.Masters {
			for {
				_, err := os.Stat(filepath.Join(m.Dir, "journal", "raft", "cluster-id"))
				if err == nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s never recorded its cluster id", m.Name)
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
	}
	waitClusterID(a)
	waitClusterID(b)
	from, to := a.Masters[2], b.Masters[2]
	from.Stop()
	to.Stop()
	if err := os.RemoveAll(filepath.Join(to.Dir, "journal")); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("cp", "-a", filepath.Join(from.Dir, "journal"), filepath.Join(to.Dir, "journal")).CombinedOutput(); err != nil {
		t.Fatalf("copy journal: %v\n%s", err, out)
	}
	to.Start()
	if !to.WaitExit(30 * time.Second) {
		t.Fatal("a master with another cluster's journal kept running")
	}
	if !strings.Contains(to.Log(), "belongs to another cluster") {
		t.Errorf("log does not name the problem:\n%s", to.Log())
	}
}
