// Package hatest holds the contract every ha.Replicator passes, whatever
// its mode: a test of a mode starts a cluster of it and hands it to Run.
package hatest

import (
	"context"
	"testing"
	"time"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/ha"
	"github.com/halo-fs/halo/internal/poll"
	"github.com/halo-fs/halo/proto/journalpb"
)

// Cluster is one mode's replicators over one journal, as a factory started
// them for one contract case.
type Cluster struct {
	Members []ha.Replicator
	// Exists says whether member i's namespace holds path.
	Exists func(i int, path string) bool
	// StepDown ends member i's leadership while it keeps running. Nil for
	// a mode with a single master, which has no one to step down to.
	StepDown func(i int)
	// LoseMidCommit proposes e on leader i and takes its leadership (or,
	// for a single master, its wait for the journal) away while e may be
	// journaled; it returns what Propose returned.
	LoseMidCommit func(i int, e *journalpb.Entry) error
	// LeaderHint: a standby's NotLeader names the leader.
	LeaderHint bool
}

// Factory starts a fresh cluster; it registers its own cleanup on t.
type Factory func(t *testing.T) *Cluster

// patience bounds every wait of the contract; elections on a loaded
// machine take seconds.
const patience = 60 * time.Second

// Run checks the contract on clusters made by newCluster, one per case.
func Run(t *testing.T, newCluster Factory) {
	cases := []struct {
		name string
		run  func(*testing.T, *Cluster)
	}{
		{"ProposeAndApply", testProposeAndApply},
		{"FailedProposal", testFailedProposal},
		{"AnswerIsTruthfulForCancelledCaller", testCancelledCaller},
		{"Checkpoint", testCheckpoint},
		{"ReadBarrier", testReadBarrier},
		{"StepDown", testStepDown},
		{"OutcomeUnknownWhenLeadershipLostMidCommit", testOutcomeUnknown},
		{"RefusedAfterClose", testRefusedAfterClose},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t, newCluster(t)) })
	}
}

// Mkdir is the entry the contract proposes: a directory made by root at a
// fixed time, as a leader would stamp it.
func Mkdir(path string, recursive bool) *journalpb.Entry {
	return &journalpb.Entry{TimeMs: 1000, Caller: &journalpb.Caller{User: "root", Superuser: true}, Payload: &journalpb.Entry_CreateDirectory{
		CreateDirectory: &journalpb.CreateDirectoryEntry{Path: path, Mode: 0o755, Recursive: recursive},
	}}
}

// awaitLeader waits until exactly one member leads, and returns it.
func awaitLeader(t *testing.T, c *Cluster, except int) int {
	t.Helper()
	leader := -1
	poll.Until(t, patience, "one leader", func() bool {
		leader = -1
		for i, m := range c.Members {
			if i != except && m.Status().Leader {
				if leader >= 0 {
					return false
				}
				leader = i
			}
		}
		return leader >= 0
	})
	return leader
}

func mustPropose(t *testing.T, r ha.Replicator, e *journalpb.Entry) {
	t.Helper()
	res, err := r.Propose(context.Background(), e)
	if err == nil {
		err = res.Error()
	}
	if err != nil {
		t.Fatalf("Propose %v: %v", e, err)
	}
}

func testProposeAndApply(t *testing.T, c *Cluster) {
	leader := awaitLeader(t, c, -1)
	before := c.Members[leader].Status().AppliedIndex
	mustPropose(t, c.Members[leader], Mkdir("/a/b", true))
	if !c.Exists(leader, "/a/b") {
		t.Fatal("the leader answered the proposal before applying it")
	}
	if after := c.Members[leader].Status().AppliedIndex; after <= before {
		t.Fatalf("applied index %d after a proposal, was %d", after, before)
	}
	for i := range c.Members {
		poll.Until(t, patience, "every member to apply the entry", func() bool { return c.Exists(i, "/a/b") })
	}
}

func testFailedProposal(t *testing.T, c *Cluster) {
	leader := awaitLeader(t, c, -1)
	mustPropose(t, c.Members[leader], Mkdir("/dup", false))
	res, err := c.Members[leader].Propose(context.Background(), Mkdir("/dup", false))
	if err != nil {
		t.Fatalf("a proposal the namespace refuses is still committed; Propose: %v", err)
	}
	if code := fserr.CodeOf(res.Error()); code != fserr.AlreadyExists {
		t.Fatalf("second mkdir of /dup: result %v (%v), want AlreadyExists", res.Error(), code)
	}
	res, err = c.Members[leader].Propose(context.Background(), Mkdir("/missing/child", false))
	if err != nil || fserr.CodeOf(res.Error()) != fserr.NotFound {
		t.Fatalf("mkdir under a missing parent: %v, %v; want a NotFound result", err, res.Error())
	}
	if c.Exists(leader, "/missing/child") {
		t.Fatal("a refused entry changed the namespace")
	}
}

// A caller that gave up before proposing may be refused or served, but the
// answer must match the namespace: a refusal means nothing was applied.
func testCancelledCaller(t *testing.T, c *Cluster) {
	leader := awaitLeader(t, c, -1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := c.Members[leader].Propose(ctx, Mkdir("/cancelled", false))
	switch code := fserr.CodeOf(err); {
	case err == nil && res.Error() == nil:
		if !c.Exists(leader, "/cancelled") {
			t.Fatal("a proposal answered as applied is not in the namespace")
		}
	case code == fserr.Unavailable || code == fserr.NotLeader:
		mustPropose(t, c.Members[leader], Mkdir("/after-cancelled", false))
		if c.Exists(leader, "/cancelled") {
			t.Fatalf("a proposal refused with %v was applied", err)
		}
	default:
		t.Fatalf("Propose with a cancelled context: %v, %v; want success or a definite refusal", err, res.Error())
	}
}

func testCheckpoint(t *testing.T, c *Cluster) {
	leader := awaitLeader(t, c, -1)
	mustPropose(t, c.Members[leader], Mkdir("/cp", false))
	applied := c.Members[leader].Status().AppliedIndex
	info, err := c.Members[leader].Checkpoint(context.Background())
	if err != nil {
		t.Fatalf("Checkpoint: %v", err)
	}
	if info.Index < applied || info.Location == "" {
		t.Fatalf("checkpoint %+v does not cover applied index %d", info, applied)
	}
	if st := c.Members[leader].Status(); st.EntriesSinceCheckpoint != 0 || st.LastCheckpointTime.IsZero() {
		t.Fatalf("status after a checkpoint: %+v", st)
	}
}

func testReadBarrier(t *testing.T, c *Cluster) {
	leader := awaitLeader(t, c, -1)
	mustPropose(t, c.Members[leader], Mkdir("/read", false))
	if err := c.Members[leader].VerifyRead(context.Background()); err != nil {
		t.Fatalf("leader VerifyRead: %v", err)
	}
	for i, m := range c.Members {
		if i == leader {
			continue
		}
		poll.Until(t, patience, "the standby to know the leader", func() bool { return !c.LeaderHint || m.Status().LeaderRPCAddress != "" })
		err := m.VerifyRead(context.Background())
		if fserr.CodeOf(err) != fserr.NotLeader {
			t.Fatalf("standby %d VerifyRead: %v; want NotLeader", i, err)
		}
		if c.LeaderHint && fserr.LeaderHintOf(err) == "" {
			t.Fatalf("standby %d VerifyRead: %v names no leader", i, err)
		}
	}
}

func testStepDown(t *testing.T, c *Cluster) {
	if c.StepDown == nil {
		t.Skip("a single master has no one to step down to")
	}
	old := awaitLeader(t, c, -1)
	mustPropose(t, c.Members[old], Mkdir("/before", false))
	c.StepDown(old)
	next := awaitLeader(t, c, old)
	poll.Until(t, patience, "the old leader to know the new one", func() bool {
		st := c.Members[old].Status()
		return !st.Leader && (!c.LeaderHint || st.LeaderRPCAddress != "")
	})
	_, err := c.Members[old].Propose(context.Background(), Mkdir("/refused", false))
	if fserr.CodeOf(err) != fserr.NotLeader {
		t.Fatalf("Propose on a leader that stepped down: %v; want NotLeader", err)
	}
	if c.LeaderHint && fserr.LeaderHintOf(err) == "" {
		t.Fatalf("NotLeader %v names no leader", err)
	}
	if err := c.Members[old].VerifyRead(context.Background()); fserr.CodeOf(err) != fserr.NotLeader {
		t.Fatalf("VerifyRead on a leader that stepped down: %v; want NotLeader", err)
	}
	if !c.Exists(next, "/before") {
		t.Fatal("the new leader lacks an entry the old one committed")
	}
	mustPropose(t, c.Members[next], Mkdir("/after", false))
	if c.Exists(next, "/refused") {
		t.Fatal("a proposal refused with NotLeader was applied")
	}
}

func testOutcomeUnknown(t *testing.T, c *Cluster) {
	leader := awaitLeader(t, c, -1)
	mustPropose(t, c.Members[leader], Mkdir("/d", false))
	err := c.LoseMidCommit(leader, Mkdir("/d/unknown", false))
	if fserr.CodeOf(err) != fserr.OutcomeUnknown {
		t.Fatalf("Propose while leadership was lost mid-commit: %v; want OutcomeUnknown", err)
	}
}

func testRefusedAfterClose(t *testing.T, c *Cluster) {
	leader := awaitLeader(t, c, -1)
	if err := c.Members[leader].Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	_, err := c.Members[leader].Propose(context.Background(), Mkdir("/closed", false))
	if code := fserr.CodeOf(err); code != fserr.Unavailable && code != fserr.NotLeader {
		t.Fatalf("Propose after Close: %v; want Unavailable or NotLeader", err)
	}
	if _, err := c.Members[leader].Checkpoint(context.Background()); err == nil {
		t.Fatal("Checkpoint after Close succeeded")
	}
}
