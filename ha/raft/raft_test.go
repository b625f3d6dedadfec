package raft

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/ha"
	"github.com/halo-fs/halo/ha/hatest"
	"github.com/halo-fs/halo/internal/poll"
)

func TestRPCAddressFor(t *testing.T) {
	threeHosts := []string{"m1:19200", "m2:19200", "m3:19200"}
	oneHost := []string{"127.0.0.1:19200", "127.0.0.1:19201", "127.0.0.1:19202"}
	tests := []struct {
		name        string
		raft        string
		peers, rpcs []string
		want        string
	}{
		{"same host", "m2:19200", threeHosts, []string{"m1:19998", "m2:19998", "m3:19998"}, "m2:19998"},
		{"same host, lists in another order", "m2:19200", threeHosts, []string{"m3:19998", "m1:19998", "m2:19998"}, "m2:19998"},
		{"same host, not in the peer list", "m2:19200", []string{"m1:19200"}, []string{"m1:19998", "m2:19998"}, "m2:19998"},
		{"one host, first", "127.0.0.1:19200", oneHost, []string{"127.0.0.1:19998", "127.0.0.1:29998", "127.0.0.1:39998"}, "127.0.0.1:19998"},
		{"one host, by position", "127.0.0.1:19202", oneHost, []string{"127.0.0.1:19998", "127.0.0.1:29998", "127.0.0.1:39998"}, "127.0.0.1:39998"},
		{"names differ from journal addresses: by position", "10.0.0.2:19200", []string{"10.0.0.1:19200", "10.0.0.2:19200"}, []string{"a:19998", "b:19998"}, "b:19998"},
		{"IPv6", "[::1]:19201", []string{"[::1]:19200", "[::1]:19201"}, []string{"[::1]:19998", "[::1]:19999"}, "[::1]:19999"},
		{"unknown address", "m9:19200", threeHosts, []string{"m1:19998", "m2:19998", "m3:19998"}, ""},
		{"unknown port on a shared host", "127.0.0.1:19999", oneHost, []string{"127.0.0.1:19998", "127.0.0.1:29998", "127.0.0.1:39998"}, ""},
		{"position beyond the RPC list", "127.0.0.1:19202", oneHost, []string{"127.0.0.1:19998", "127.0.0.1:29998"}, ""},
		{"no RPC addresses", "m1:19200", threeHosts, nil, ""},
		{"not host:port", "m1", threeHosts, []string{"m1:19998"}, ""},
		{"empty", "", threeHosts, []string{"m1:19998"}, ""},
	}
	for _, tt := range tests {
		if got := rpcAddressFor(tt.raft, tt.peers, tt.rpcs); got != tt.want {
			t.Errorf("%s: rpcAddressFor(%q, %v, %v) = %q, want %q", tt.name, tt.raft, tt.peers, tt.rpcs, got, tt.want)
		}
	}
}

// raftNode is one in-process Replicator with its own namespace.
type raftNode struct {
	r    *Replicator
	f    *fsm.FSM
	rpc  string
	opts Options // as last started, for a restart on the same folder
}

// startRaftCluster starts n RaftReplicators on 127.0.0.1 with free ports.
// Nothing listens on the RPC addresses; they only feed leader hints.
// adjust, when set, changes each member's options first.
func startRaftCluster(t *testing.T, n int, adjust func(*Options)) []*raftNode {
	t.Helper()
	addrs := hatest.FreeAddrs(t, 2*n)
	peers, rpcs := addrs[:n], addrs[n:]
	nodes := make([]*raftNode, n)
	for i := range nodes {
		opts := Options{
			Dir:          filepath.Join(t.TempDir(), fmt.Sprintf("m%d", i+1)),
			LocalAddress: peers[i],
			Peers:        peers,
			RPCAddresses: rpcs,
			// A 1.2 s heartbeat timeout, so that a loaded machine running
			// -race does not depose leaders in the middle of a test.
			Timing:       DefaultTiming().Scaled(6),
			ApplyTimeout: 20 * time.Second,
		}
		if adjust != nil {
			adjust(&opts)
		}
		nodes[i] = &raftNode{rpc: rpcs[i], opts: opts}
		nodes[i].start(t)
	}
	return nodes
}

// start opens the node's replicator on its folder with a new namespace.
func (n *raftNode) start(t *testing.T) {
	t.Helper()
	if err := n.tryStart(t); err != nil {
		t.Fatalf("New %s: %v", n.opts.LocalAddress, err)
	}
}

// tryStart is start that returns the error, and turns a panic into one.
func (n *raftNode) tryStart(t *testing.T) (err error) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("New panicked: %v", p)
		}
	}()
	n.f = fsm.New(fsm.DefaultConfig())
	n.opts.FSM = n.f
	n.opts.Logger = hatest.Logger(t, n.opts.LocalAddress)
	r, err := New(n.opts)
	if err != nil {
		return err
	}
	n.r = r
	t.Cleanup(func() { r.Close() })
	return nil
}

// awaitServingLeader waits until exactly one node serves and the cluster
// has been named, and returns the leader.
func awaitServingLeader(t *testing.T, nodes []*raftNode) int {
	t.Helper()
	var members []ha.Replicator
	var fsms []*fsm.FSM
	for _, n := range nodes {
		members, fsms = append(members, n.r), append(fsms, n.f)
	}
	return hatest.AwaitNamedLeader(t, members, fsms)
}

func TestRaftReplicatorCluster(t *testing.T) {
	archive, _ := newTestArchive(t, 2)
	nodes := startRaftCluster(t, 3, func(o *Options) { o.Checkpoints = archive })
	li := awaitServingLeader(t, nodes)
	leader := nodes[li]
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	const n = 40
	for i := 0; i < n; i++ {
		e := hatest.TouchEntry(fmt.Sprintf("/d/f%02d", i))
		if i%2 == 1 {
			e = hatest.MkdirEntry(fmt.Sprintf("/e/%02d", i))
		}
		res, err := leader.r.Propose(ctx, e)
		if err == nil {
			err = res.Error()
		}
		if err != nil {
			t.Fatalf("Propose %d on the leader: %v", i, err)
		}
	}
	if err := leader.r.VerifyRead(ctx); err != nil {
		t.Errorf("VerifyRead on the leader: %v", err)
	}
	want := leader.f.AppliedIndex()
	if want == 0 || leader.f.InodeCount() != n+3 {
		t.Fatalf("leader applied index %d with %d inodes after %d entries", want, leader.f.InodeCount(), n)
	}
	poll.Until(t, 20*time.Second, "every replica to apply every entry", func() bool {
		for _, node := range nodes {
			if node.f.AppliedIndex() != want {
				return false
			}
		}
		return true
	})
	wantBytes := hatest.CheckpointBytes(t, leader.f)
	for i, node := range nodes {
		if got := hatest.CheckpointBytes(t, node.f); !bytes.Equal(got, wantBytes) {
			t.Errorf("m%d's namespace differs from the leader's", i+1)
		}
		if st := node.r.Status(); st.AppliedIndex != want || st.JournalType != "EMBEDDED" {
			t.Errorf("m%d Status = %+v", i+1, st)
		}
	}

	// Followers refuse, naming the leader's RPC address.
	for i, node := range nodes {
		if i == li {
			continue
		}
		poll.Until(t, 10*time.Second, fmt.Sprintf("m%d to know the leader", i+1), func() bool { return node.r.Status().LeaderRPCAddress != "" })
		_, err := node.r.Propose(ctx, hatest.TouchEntry("/on-a-follower"))
		hatest.WantCode(t, fmt.Sprintf("Propose on follower m%d", i+1), err, fserr.NotLeader)
		if hint := fserr.LeaderHintOf(err); hint != leader.rpc {
			t.Errorf("Propose on follower m%d: leader hint %q, want %q", i+1, hint, leader.rpc)
		}
		err = node.r.VerifyRead(ctx)
		hatest.WantCode(t, fmt.Sprintf("VerifyRead on follower m%d", i+1), err, fserr.NotLeader)
		if st := node.r.Status(); st.Leader || st.LeaderRPCAddress != leader.rpc {
			t.Errorf("follower m%d Status = %+v, want a standby pointing at %s", i+1, st, leader.rpc)
		}
		if _, err := node.r.QuorumInfo(ctx); fserr.CodeOf(err) != fserr.NotLeader {
			t.Errorf("QuorumInfo on follower m%d: %v, want NotLeader", i+1, err)
		}
	}

	// A checkpoint is a Raft snapshot, archived on the UFS.
	cp, err := leader.r.Checkpoint(ctx)
	if err != nil {
		t.Fatalf("Checkpoint: %v", err)
	}
	f := fsm.New(fsm.DefaultConfig())
	loc, _, err := archive.RestoreNewest(ctx, f)
	if err != nil || loc == "" {
		t.Fatalf("RestoreNewest after a checkpoint at %d: %q, %v", cp.Index, loc, err)
	}
	if !bytes.Equal(hatest.CheckpointBytes(t, f), wantBytes) {
		t.Errorf("the archived checkpoint differs from the leader's namespace")
	}
	if st := leader.r.Status(); st.EntriesSinceCheckpoint != 0 || st.LastCheckpointTime.IsZero() {
		t.Errorf("leader Status right after a checkpoint = %+v, want 0 entries since it", st)
	}
	if qi, err := leader.r.QuorumInfo(ctx); err != nil || qi.LastSnapshotIndex != want {
		t.Errorf("QuorumInfo after a snapshot at applied index %d: LastSnapshotIndex %d, %v", want, qi.GetLastSnapshotIndex(), err)
	}

	// The leader goes away: another takes over, catches up and serves,
	// and the two left stay identical.
	if err := leader.r.Close(); err != nil {
		t.Errorf("Close the leader: %v", err)
	}
	if leader.r.Status().Leader {
		t.Errorf("the old leader still serves after Close")
	}
	_, err = leader.r.Propose(ctx, hatest.TouchEntry("/after-close"))
	if code := fserr.CodeOf(err); code != fserr.Unavailable && code != fserr.NotLeader {
		t.Errorf("Propose after Close: %v, want Unavailable or NotLeader", err)
	}
	rest := slices.Delete(slices.Clone(nodes), li, li+1)
	next := rest[awaitServingLeader(t, rest)]
	if next.f.AppliedIndex() < want {
		t.Fatalf("the new leader serves at applied index %d, before the %d committed earlier", next.f.AppliedIndex(), want)
	}
	res, err := next.r.Propose(ctx, hatest.TouchEntry("/d/after-failover"))
	if err == nil {
		err = res.Error()
	}
	if err != nil {
		t.Fatalf("Propose on the new leader: %v", err)
	}
	want = next.f.AppliedIndex()
	poll.Until(t, 20*time.Second, "the other member to apply the new entry", func() bool {
		return rest[0].f.AppliedIndex() == want && rest[1].f.AppliedIndex() == want
	})
	if !bytes.Equal(hatest.CheckpointBytes(t, rest[0].f), hatest.CheckpointBytes(t, rest[1].f)) {
		t.Errorf("the two members left differ after a failover")
	}
	for i, node := range nodes {
		if err := node.r.Close(); err != nil && node != leader {
			t.Errorf("Close m%d: %v", i+1, err)
		}
	}
}

// TestRaftCheckpointStatusAfterRestart: a restarted master reports the
// snapshot it restored from. Its log ends with Raft's own entries (the new
// term's no-op and the catch-up barrier), which are no namespace entries:
// the last snapshot index must not come out of a subtraction that mixes
// Raft's applied index with the namespace's and wraps around.
func TestRaftCheckpointStatusAfterRestart(t *testing.T) {
	addr := hatest.FreeAddrs(t, 1)[0]
	dir := t.TempDir()
	open := func() (*Replicator, *fsm.FSM) { return startSingleRaft(t, dir, addr, nil) }
	r, f := open()
	ctx := context.Background()
	poll.Until(t, 20*time.Second, "the cluster to be named", func() bool { return f.ClusterID() != "" })
	entries := hatest.SomeMutations(1)
	for _, e := range entries[:3] {
		if _, err := r.Propose(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	snapIndex := f.AppliedIndex()
	for _, e := range entries[3:] {
		if _, err := r.Propose(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	applied := f.AppliedIndex()
	if qi, err := r.QuorumInfo(ctx); err != nil || qi.LastSnapshotIndex != snapIndex {
		t.Errorf("before the restart: QuorumInfo LastSnapshotIndex %d, %v; want %d", qi.GetLastSnapshotIndex(), err, snapIndex)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}

	r, f = open()
	poll.Until(t, 10*time.Second, "the log to be replayed", func() bool { return f.AppliedIndex() == applied })
	st := r.Status()
	if st.EntriesSinceCheckpoint != applied-snapIndex || st.LastCheckpointTime.IsZero() {
		t.Errorf("after a restart: EntriesSinceCheckpoint %d (want %d), LastCheckpointTime %v (want the snapshot's); Raft applied index %d, namespace %d",
			st.EntriesSinceCheckpoint, applied-snapIndex, st.LastCheckpointTime, r.raft.AppliedIndex(), f.AppliedIndex())
	}
	qi, err := r.QuorumInfo(ctx)
	if err != nil {
		t.Fatalf("QuorumInfo: %v", err)
	}
	if qi.LastSnapshotIndex != snapIndex {
		t.Errorf("after a restart: QuorumInfo LastSnapshotIndex %d, want %d", qi.LastSnapshotIndex, snapIndex)
	}
	if len(qi.Members) != 1 || !qi.Members[0].Leader || qi.Members[0].Address != addr || qi.LeaderAddress != addr {
		t.Errorf("QuorumInfo = %+v", qi)
	}
}

// TestRaftReplicatorSingleMemberRestart: a master restarted on its Raft folder gets its
// namespace back from its own snapshot and log.
func TestRaftReplicatorSingleMemberRestart(t *testing.T) {
	addr := hatest.FreeAddrs(t, 1)[0]
	dir := t.TempDir()
	open := func() (*Replicator, *fsm.FSM) { return startSingleRaft(t, dir, addr, nil) }
	r, f := open()
	ctx := context.Background()
	for i, e := range hatest.SomeMutations(1) {
		if _, err := r.Propose(ctx, e); err != nil {
			t.Fatalf("Propose %d: %v", i, err)
		}
		if i == 2 {
			if _, err := r.Checkpoint(ctx); err != nil {
				t.Fatalf("Checkpoint: %v", err)
			}
		}
	}
	want := hatest.CheckpointBytes(t, f)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	_, f2 := open()
	poll.Until(t, 10*time.Second, "the log to be replayed", func() bool { return f2.AppliedIndex() == f.AppliedIndex() })
	if !bytes.Equal(hatest.CheckpointBytes(t, f2), want) {
		t.Errorf("namespace after a restart differs from the one before")
	}
}

// TestNewRaftReplicatorBootstrapFailure: when bootstrapping fails,
// New must return the error; it calls Close before the
// observer is registered and before watchLeadership runs.
func TestNewRaftReplicatorBootstrapFailure(t *testing.T) {
	addr := hatest.FreeAddrs(t, 1)[0]
	type outcome struct {
		r     *Replicator
		err   error
		panic any
	}
	out := make(chan outcome, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				out <- outcome{panic: p}
			}
		}()
		// An empty address passes New's own checks but is
		// refused by raft's BootstrapCluster.
		r, err := New(Options{
			Dir: t.TempDir(), LocalAddress: addr, Peers: []string{addr, ""}, FSM: fsm.New(fsm.DefaultConfig()),
			Timing: DefaultTiming(), Logger: hatest.Logger(t, "bootstrap"),
		})
		out <- outcome{r: r, err: err}
	}()
	select {
	case o := <-out:
		if o.panic != nil {
			t.Fatalf("New panics when bootstrap fails: %v", o.panic)
		}
		if o.err == nil {
			o.r.Close()
			t.Fatalf("New with an empty peer address succeeded")
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("New hangs when bootstrap fails")
	}
}

// TestRaftOptionsWithoutLogger: a nil Logger means no logging, not a panic.
func TestRaftOptionsWithoutLogger(t *testing.T) {
	addr := hatest.FreeAddrs(t, 1)[0]
	defer func() {
		if p := recover(); p != nil {
			t.Errorf("New with a nil Logger panics: %v", p)
		}
	}()
	r, err := New(Options{
		Dir: t.TempDir(), LocalAddress: addr, Peers: []string{addr}, FSM: fsm.New(fsm.DefaultConfig()), Timing: DefaultTiming(),
	})
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
}

func TestNewRaftReplicatorRefusesBadPeers(t *testing.T) {
	addrs := hatest.FreeAddrs(t, 2)
	for _, tt := range []struct {
		name  string
		peers []string
	}{
		{"not a member", []string{addrs[1]}},
		{"listed twice", []string{addrs[0], addrs[1], addrs[0]}},
	} {
		_, err := New(Options{
			Dir: t.TempDir(), LocalAddress: addrs[0], Peers: tt.peers, FSM: fsm.New(fsm.DefaultConfig()),
			Timing: DefaultTiming(), Logger: hatest.Logger(t, tt.name),
		})
		if err == nil {
			t.Errorf("%s: New accepted peers %v", tt.name, tt.peers)
		}
	}
}

func TestRaftTimingScaled(t *testing.T) {
	d := DefaultTiming()
	if got := d.Scaled(0.5); got != d {
		t.Errorf("Scaled(0.5) = %+v, want the defaults unchanged", got)
	}
	got := d.Scaled(2)
	if got.HeartbeatTimeout != 2*d.HeartbeatTimeout || got.ElectionTimeout != 2*d.ElectionTimeout ||
		got.LeaderLeaseTimeout != 2*d.LeaderLeaseTimeout || got.CommitTimeout != 2*d.CommitTimeout {
		t.Errorf("Scaled(2) = %+v", got)
	}
}

// startSingleRaft starts a one-member replicator on dir and waits until it
// serves. adjust, when set, changes the options first.
func startSingleRaft(t *testing.T, dir, addr string, adjust func(*Options)) (*Replicator, *fsm.FSM) {
	t.Helper()
	f := fsm.New(fsm.DefaultConfig())
	opts := Options{
		Dir: dir, LocalAddress: addr, Peers: []string{addr}, FSM: f,
		Timing: DefaultTiming(), Logger: hatest.Logger(t, "single"),
	}
	if adjust != nil {
		adjust(&opts)
	}
	r, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	poll.Until(t, 20*time.Second, "the single member to serve", func() bool { return r.Status().Leader })
	return r, f
}

// TestRaftLeadershipLostBeforeServingWins: a notice that leadership was
// lost, handled after a new leader caught up but before it starts serving,
// must leave the master a standby; so must a Close at that moment.
func TestRaftLeadershipLostBeforeServingWins(t *testing.T) {
	for _, tt := range []struct {
		name string
		lose func(r *Replicator)
	}{
		{"lost leadership", func(r *Replicator) { r.leadershipChanged(false) }},
		{"closed", func(r *Replicator) { r.Close() }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := startSingleRaft(t, t.TempDir(), hatest.FreeAddrs(t, 1)[0], nil)
			r.beforeServing = func() { tt.lose(r) }
			// As if Raft announced leadership again: the Barrier succeeds,
			// since this member still leads.
			r.establish(r.leadershipChanged(true))
			if r.Status().Leader {
				t.Errorf("the master serves although it was %s before it started serving", tt.name)
			}
		})
	}
}

// TestRaftFolderLayoutIsKept: the names in a member's journal folder are
// part of its on-disk format; a folder written by an older master must
// open under the same names (the log, the snapshots, the cluster id).
func TestRaftFolderLayoutIsKept(t *testing.T) {
	dir := t.TempDir()
	_, f := startSingleRaft(t, dir, hatest.FreeAddrs(t, 1)[0], nil)
	poll.Until(t, 20*time.Second, "the cluster to be named", func() bool { return f.ClusterID() != "" })
	for _, name := range []string{"raft.db", "wal", "snapshots", clusterIDFile} {
		poll.Until(t, 20*time.Second, name+" in the journal folder", func() bool {
			_, err := os.Stat(filepath.Join(dir, name))
			return err == nil
		})
	}
	if clusterIDFile != "cluster-id" {
		t.Errorf("the cluster id file is %q, want cluster-id", clusterIDFile)
	}
}

// Masters named by host name (as in Docker or Kubernetes) advertise the
// address their name resolves to on the journal port; standbys must still
// map the leader to its RPC address, or clients and health checks see no
// leader hint.
func TestStandbysKnowLeaderNamedByHostName(t *testing.T) {
	byName := func(addr string) string { return strings.Replace(addr, "127.0.0.1:", "localhost:", 1) }
	nodes := startRaftCluster(t, 3, func(o *Options) {
		o.LocalAddress = byName(o.LocalAddress)
		o.Peers = slices.Clone(o.Peers)
		for i := range o.Peers {
			o.Peers[i] = byName(o.Peers[i])
		}
	})
	li := awaitServingLeader(t, nodes)
	for i, n := range nodes {
		if i == li {
			continue
		}
		poll.Until(t, 30*time.Second, "a standby to name the leader's RPC address", func() bool {
			return n.r.Status().LeaderRPCAddress == nodes[li].rpc
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	info, err := nodes[li].r.QuorumInfo(ctx)
	if err != nil {
		t.Fatalf("QuorumInfo: %v", err)
	}
	if info.LeaderAddress != nodes[li].opts.LocalAddress {
		t.Errorf("quorum info names leader %q, want %q", info.LeaderAddress, nodes[li].opts.LocalAddress)
	}
	for _, m := range info.Members {
		if m.Leader != (m.Address == nodes[li].opts.LocalAddress) {
			t.Errorf("quorum member %s: leader=%v, but the leader is %s", m.Address, m.Leader, nodes[li].opts.LocalAddress)
		}
	}
}
