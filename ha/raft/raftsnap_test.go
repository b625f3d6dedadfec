package raft

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/ha/hatest"
	"github.com/halo-fs/halo/internal/poll"
	"github.com/halo-fs/halo/proto/journalpb"
	"github.com/hashicorp/go-hclog"
	hraft "github.com/hashicorp/raft"
)

// snapshotIDs lists the Raft snapshots in a member's folder, newest first.
func snapshotIDs(t *testing.T, dir string) []string {
	t.Helper()
	store, err := hraft.NewFileSnapshotStoreWithLogger(dir, 100, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	metas, err := store.List()
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(metas))
	for i, m := range metas {
		ids[i] = m.ID
	}
	return ids
}

// damageSnapshot flips one byte in the middle of a snapshot's state file,
// as a bad disk sector would.
func damageSnapshot(t *testing.T, dir, id string) {
	t.Helper()
	path := filepath.Join(dir, "snapshots", id, "state.bin")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0xff
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// damageNewestSnapshot checks that the member in dir has count snapshots,
// damages the newest, and returns their ids, newest first.
func damageNewestSnapshot(t *testing.T, dir string, count int) []string {
	t.Helper()
	ids := snapshotIDs(t, dir)
	if len(ids) != count {
		t.Fatalf("snapshots %v in %s, want %d", ids, dir, count)
	}
	damageSnapshot(t, dir, ids[0])
	return ids
}

// quarantined lists what was moved aside in a member's folder: the names
// of snapshots, and "wal" for a log.
func quarantined(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	moves, _ := filepath.Glob(filepath.Join(dir, "quarantine", "*"))
	for _, m := range moves {
		snaps, _ := filepath.Glob(filepath.Join(m, "snapshots", "*"))
		for _, s := range snaps {
			out = append(out, filepath.Base(s))
		}
		if _, err := os.Stat(filepath.Join(m, walFolder)); err == nil {
			out = append(out, walFolder)
		}
	}
	sort.Strings(out)
	return out
}

// proposeAll proposes entries on r and fails the test on any error.
func proposeAll(t *testing.T, r *Replicator, entries ...*journalpb.Entry) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i, e := range entries {
		res, err := r.Propose(ctx, e)
		if err == nil {
			err = res.Error()
		}
		if err != nil {
			t.Fatalf("Propose %d: %v", i, err)
		}
	}
}

func checkpoint(t *testing.T, r *Replicator) {
	t.Helper()
	if _, err := r.Checkpoint(context.Background()); err != nil {
		t.Fatalf("Checkpoint: %v", err)
	}
}

// singleNode prepares a one-member cluster in a fresh folder.
func singleNode(t *testing.T, trailingLogs uint64) *raftNode {
	addr := hatest.FreeAddrs(t, 1)[0]
	return &raftNode{opts: Options{
		Dir: t.TempDir(), LocalAddress: addr, Peers: []string{addr},
		Timing: DefaultTiming(), TrailingLogs: trailingLogs,
	}}
}

func (n *raftNode) awaitServing(t *testing.T) {
	t.Helper()
	poll.Until(t, 20*time.Second, n.opts.LocalAddress+" to serve", func() bool { return n.r.Status().Leader })
}

// twoSnapshots writes three rounds of mutations with a checkpoint after
// each of the first two, closes the member, and returns the checkpoint
// bytes of its namespace.
func twoSnapshots(t *testing.T, n *raftNode) []byte {
	t.Helper()
	n.start(t)
	n.awaitServing(t)
	poll.Until(t, 20*time.Second, "the cluster to be named", func() bool { return n.f.ClusterID() != "" })
	for round := 1; round <= 3; round++ {
		proposeAll(t, n.r, hatest.SomeMutations(round)...)
		if round < 3 {
			checkpoint(t, n.r)
		}
	}
	want := hatest.CheckpointBytes(t, n.f)
	if err := n.r.Close(); err != nil {
		t.Fatal(err)
	}
	return want
}

func TestPlanStart(t *testing.T) {
	for _, tt := range []struct {
		name                                 string
		restored, damaged, owed, first, last uint64
		want                                 startPlan
	}{
		{"new member", 0, 0, 0, 0, 0, startPlan{}},
		{"log continues the snapshot", 100, 0, 0, 91, 150, startPlan{}},
		{"log starts right after the snapshot", 100, 0, 0, 101, 150, startPlan{}},
		{"log ends before the snapshot", 100, 0, 0, 10, 50, startPlan{}},
		{"newest damaged, log reaches the older", 100, 200, 0, 95, 250, startPlan{}},
		{"newest damaged, log compacted past the older", 100, 200, 0, 190, 250, startPlan{dropLog: true, catchUpUntil: 250}},
		{"every snapshot damaged, whole log", 0, 200, 0, 1, 250, startPlan{}},
		{"every snapshot damaged, log compacted", 0, 200, 0, 190, 250, startPlan{dropLog: true, catchUpUntil: 250}},
		{"damaged snapshot beyond the log's end", 100, 300, 0, 95, 250, startPlan{catchUpUntil: 300}},
		{"damaged snapshot, empty log", 100, 200, 0, 0, 0, startPlan{catchUpUntil: 200}},
		{"still owed from an earlier start", 0, 0, 250, 0, 0, startPlan{catchUpUntil: 250}},
		{"owed, partly caught up", 120, 0, 250, 121, 200, startPlan{catchUpUntil: 250}},
		{"owed, caught up since", 300, 0, 250, 0, 0, startPlan{}},
	} {
		if got := planStart(tt.restored, tt.damaged, tt.owed, tt.first, tt.last); got != tt.want {
			t.Errorf("%s: planStart(restored %d, damaged %d, owed %d, log %d-%d) = %+v, want %+v",
				tt.name, tt.restored, tt.damaged, tt.owed, tt.first, tt.last, got, tt.want)
		}
	}
}

// TestRaftDamagedNewestSnapshotFallsBackWhenLogCovers: with the log still
// reaching back to the older snapshot, the master restarts from that one
// and its log, with the same namespace, and the damaged snapshot is moved
// aside (not deleted) so that it is not tried again.
func TestRaftDamagedNewestSnapshotFallsBackWhenLogCovers(t *testing.T) {
	n := singleNode(t, 10240)
	want := twoSnapshots(t, n)
	ids := damageNewestSnapshot(t, n.opts.Dir, 2)

	n.start(t)
	n.awaitServing(t)
	poll.Until(t, 10*time.Second, "the log to be replayed", func() bool { return bytes.Equal(hatest.CheckpointBytes(t, n.f), want) })
	if got := quarantined(t, n.opts.Dir); len(got) != 1 || got[0] != ids[0] {
		t.Errorf("moved aside: %v, want the damaged snapshot %s alone", got, ids[0])
	}
}

// TestRaftEveryDamagedSnapshotWithWholeLog: no snapshot reads back, but
// the log still starts at index 1: the namespace is rebuilt from the log.
func TestRaftEveryDamagedSnapshotWithWholeLog(t *testing.T) {
	n := singleNode(t, 10240)
	want := twoSnapshots(t, n)
	ids := snapshotIDs(t, n.opts.Dir)
	for _, id := range ids {
		damageSnapshot(t, n.opts.Dir, id)
	}

	if err := n.tryStart(t); err != nil {
		t.Fatalf("restart with every snapshot damaged and the whole log: %v", err)
	}
	n.awaitServing(t)
	poll.Until(t, 10*time.Second, "the log to be replayed", func() bool { return bytes.Equal(hatest.CheckpointBytes(t, n.f), want) })
	sort.Strings(ids)
	if got := quarantined(t, n.opts.Dir); strings.Join(got, ",") != strings.Join(ids, ",") {
		t.Errorf("moved aside: %v, want the damaged snapshots %v", got, ids)
	}
}

// TestRaftLoneMemberRefusesSnapshotGap: the newest snapshot is damaged and
// the log no longer reaches back to the older one. A lone member has no one
// to copy the missing entries from: it must refuse to start with an error
// saying what to do (not panic, not start with entries missing), and leave
// its folder as it was.
func TestRaftLoneMemberRefusesSnapshotGap(t *testing.T) {
	n := singleNode(t, 2)
	twoSnapshots(t, n)
	ids := damageNewestSnapshot(t, n.opts.Dir, 2)

	err := n.tryStart(t)
	if err == nil {
		t.Fatalf("a lone member started with entries missing between its older snapshot and its log")
	}
	if !errors.Is(err, ErrJournalGap) || !strings.Contains(err.Error(), "halo master -i") {
		t.Errorf("error %q does not name the gap and how to restore", err)
	}
	if got := quarantined(t, n.opts.Dir); len(got) != 0 {
		t.Errorf("a refused start moved %v aside", got)
	}
	if got := snapshotIDs(t, n.opts.Dir); strings.Join(got, ",") != strings.Join(ids, ",") {
		t.Errorf("snapshots after a refused start: %v, want %v", got, ids)
	}
}

// awaitSameNamespace waits until every node applied what want applied and
// holds the same checkpoint bytes.
func awaitSameNamespace(t *testing.T, want *raftNode, nodes ...*raftNode) {
	t.Helper()
	index := want.f.AppliedIndex()
	for _, n := range nodes {
		poll.Until(t, 30*time.Second, n.opts.LocalAddress+" to apply every entry", func() bool { return n.f.AppliedIndex() >= index })
		if !bytes.Equal(hatest.CheckpointBytes(t, n.f), hatest.CheckpointBytes(t, want.f)) {
			t.Errorf("%s's namespace differs from %s's", n.opts.LocalAddress, want.opts.LocalAddress)
		}
	}
}

// TestRaftFollowerWithDamagedSnapshotCatchesUp: a follower whose newest
// snapshot is damaged, and whose log no longer reaches back to its older
// one, starts, moves the damaged snapshot and its log aside, and is rebuilt
// by the leader: it ends with the leader's namespace, not one missing the
// entries of the gap (which applying its log on the older snapshot would
// give).
func TestRaftFollowerWithDamagedSnapshotCatchesUp(t *testing.T) {
	nodes := startRaftCluster(t, 3, func(o *Options) { o.TrailingLogs = 2 })
	li := awaitServingLeader(t, nodes)
	leader, follower := nodes[li], nodes[(li+1)%3]
	for round := 1; round <= 3; round++ {
		proposeAll(t, leader.r, hatest.SomeMutations(round)...)
		awaitSameNamespace(t, leader, follower)
		if round < 3 {
			checkpoint(t, follower.r)
		}
	}
	if err := follower.r.Close(); err != nil {
		t.Fatal(err)
	}
	ids := damageNewestSnapshot(t, follower.opts.Dir, 2)
	proposeAll(t, leader.r, hatest.SomeMutations(4)...)
	checkpoint(t, leader.r)

	if err := follower.tryStart(t); err != nil {
		t.Fatalf("restart of a follower with a damaged snapshot: %v", err)
	}
	proposeAll(t, leader.r, hatest.SomeMutations(5)...)
	awaitSameNamespace(t, leader, nodes...)
	if got := quarantined(t, follower.opts.Dir); strings.Join(got, ",") != ids[0]+","+walFolder {
		t.Errorf("moved aside: %v, want the damaged snapshot %s and the log", got, ids[0])
	}
	poll.Until(t, 20*time.Second, "the follower to take part in elections again", follower.r.caughtUp)
}

// anyServes reports whether one of nodes serves as leader.
func anyServes(nodes ...*raftNode) bool {
	for _, n := range nodes {
		if n.r.Status().Leader {
			return true
		}
	}
	return false
}

// refusedElections is how many election requests n's gate refused.
func refusedElections(n *raftNode) uint64 {
	if n.r.gate == nil {
		return 0
	}
	return n.r.gate.refused.Load()
}

// TestRaftMemberThatLostEntriesDoesNotElectAStaleMember: the leader
// commits entries with one follower's acknowledgement while the other is
// down. That follower then loses them (its only snapshot is damaged and
// its log was compacted) and the leader stops. With the stale member
// back, the two could elect it, and the entries acknowledged to clients
// would be gone; the member that lost them must refuse to vote until it
// holds them again. Once the old leader is back, nothing is lost.
func TestRaftMemberThatLostEntriesDoesNotElectAStaleMember(t *testing.T) {
	nodes := startRaftCluster(t, 3, func(o *Options) { o.TrailingLogs = 2 })
	li := awaitServingLeader(t, nodes)
	leader, lost, stale := nodes[li], nodes[(li+1)%3], nodes[(li+2)%3]
	proposeAll(t, leader.r, hatest.SomeMutations(1)...)
	awaitSameNamespace(t, leader, lost, stale)
	if err := stale.r.Close(); err != nil {
		t.Fatal(err)
	}
	proposeAll(t, leader.r, hatest.SomeMutations(2)...)
	awaitSameNamespace(t, leader, lost)
	checkpoint(t, lost.r)
	for _, n := range []*raftNode{lost, leader} {
		if err := n.r.Close(); err != nil {
			t.Fatal(err)
		}
	}
	damageNewestSnapshot(t, lost.opts.Dir, 1)

	stale.start(t)
	lost.start(t)
	poll.Until(t, 30*time.Second, "an election to be tried", func() bool {
		return refusedElections(lost) > 0 || anyServes(stale, lost)
	})
	if anyServes(stale, lost) {
		t.Fatalf("a member serves without the entries acknowledged while it was down")
	}
	// The promise not to vote survives a restart before catching up.
	if err := lost.r.Close(); err != nil {
		t.Fatal(err)
	}
	lost.start(t)
	if lost.r.caughtUp() {
		t.Fatalf("after a restart, the member that lost entries takes part in elections again before it holds them")
	}

	leader.start(t)
	li = awaitServingLeader(t, nodes)
	proposeAll(t, nodes[li].r, hatest.SomeMutations(3)...)
	awaitSameNamespace(t, nodes[li], nodes...)
	if _, err := nodes[li].f.GetStatus(hatest.Superuser, "/r2/f3"); err != nil {
		t.Errorf("an entry acknowledged before the failures is gone: %v", err)
	}
	poll.Until(t, 20*time.Second, "the member that lost entries to take part in elections again", lost.r.caughtUp)
}

// TestRaftNoMemberServesWhenEveryOneLostEntries: every member's newest
// snapshot is damaged and its log compacted past the older one. Each could
// serve its older namespace, missing acknowledged entries; none may.
func TestRaftNoMemberServesWhenEveryOneLostEntries(t *testing.T) {
	nodes := startRaftCluster(t, 3, func(o *Options) { o.TrailingLogs = 2 })
	leader := nodes[awaitServingLeader(t, nodes)]
	for round := 1; round <= 3; round++ {
		proposeAll(t, leader.r, hatest.SomeMutations(round)...)
		awaitSameNamespace(t, leader, nodes...)
		if round < 3 {
			for _, n := range nodes {
				checkpoint(t, n.r)
			}
		}
	}
	for _, n := range nodes {
		if err := n.r.Close(); err != nil {
			t.Fatal(err)
		}
		damageNewestSnapshot(t, n.opts.Dir, 2)
	}
	for _, n := range nodes {
		n.start(t)
	}
	poll.Until(t, 30*time.Second, "every member to try an election", func() bool {
		for _, n := range nodes {
			if refusedElections(n) == 0 && !anyServes(nodes...) {
				return false
			}
		}
		return true
	})
	if anyServes(nodes...) {
		t.Fatalf("a member serves although every member lost acknowledged entries")
	}
	for _, n := range nodes {
		if n.r.caughtUp() {
			t.Errorf("%s takes part in elections with entries missing", n.opts.LocalAddress)
		}
	}
}

// TestNewRaftTurnsPanicIntoError: raft.NewRaft panics on a log with a
// hole; the master must get an error instead.
func TestNewRaftTurnsPanicIntoError(t *testing.T) {
	store := hraft.NewInmemStore()
	for i := uint64(1); i <= 5; i++ {
		if err := store.StoreLog(&hraft.Log{Index: i, Term: 1, Type: hraft.LogCommand}); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.DeleteRange(3, 3); err != nil {
		t.Fatal(err)
	}
	_, trans := hraft.NewInmemTransport("")
	cfg := hraft.DefaultConfig()
	cfg.LocalID = "m1"
	cfg.Logger = hclog.NewNullLogger()
	ra, err := newRaft(cfg, &raftFSM{}, store, store, hraft.NewInmemSnapshotStore(), trans)
	if err == nil {
		ra.Shutdown()
		t.Fatalf("raft started on a log with a hole")
	}
	if !strings.Contains(err.Error(), "log not found") {
		t.Errorf("error %q does not carry the cause", err)
	}
}

// A master that starts a new cluster from a backup decodes the backup's
// namespace once: the snapshot it writes from that namespace is the one
// it would restore next, and restoring it again took as long as the first
// restore (half a minute at ten million inodes). Restarted, it restores
// that snapshot, which holds the same namespace.
func TestRaftSeededMasterRestoresTheNamespaceOnce(t *testing.T) {
	source := fsm.New(fsm.DefaultConfig())
	for i, e := range hatest.SomeMutations(1) {
		if res := source.Apply(uint64(i+1), e); res.Err != nil {
			t.Fatal(res.Err)
		}
	}
	backup := hatest.CheckpointBytes(t, source)
	n := singleNode(t, 0)
	n.opts.InitialCheckpoint = func(context.Context) ([]byte, string, error) { return backup, "backup", nil }
	n.start(t)
	n.awaitServing(t)
	if got := n.r.namespaceRestores.Load(); got != 1 {
		t.Errorf("the seeded master restored its namespace %d times, want once", got)
	}
	want := hatest.Exists(source, "/r1/a/f4")
	if !want || !hatest.Exists(n.f, "/r1/a/f4") {
		t.Fatalf("the seeded namespace lacks /r1/a/f4 (backup has it: %t)", want)
	}
	n.r.Close()
	n.opts.InitialCheckpoint = nil
	n.start(t)
	n.awaitServing(t)
	if !hatest.Exists(n.f, "/r1/a/f4") || n.r.namespaceRestores.Load() != 1 {
		t.Errorf("restarted from its seed snapshot: has /r1/a/f4 %t, restores %d, want true and 1", hatest.Exists(n.f, "/r1/a/f4"), n.r.namespaceRestores.Load())
	}
}
