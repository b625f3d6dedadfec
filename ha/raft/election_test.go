package raft

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/halo-fs/halo/internal/poll"
)

// Every member remembers the leader changes it saw: after the leader
// closes, the two left name the failover from it to its successor, in a
// later term, and count the time without a leader from when they last
// heard from the old one: at least the heartbeat timeout, after which
// Raft starts an election.
func TestElectionHistoryNamesTheFailover(t *testing.T) {
	nodes := startRaftCluster(t, 3, nil)
	li := awaitServingLeader(t, nodes)
	old := nodes[li]
	for i, node := range nodes {
		poll.Until(t, 10*time.Second, fmt.Sprintf("m%d to note the first leader", i+1), func() bool {
			changes := node.r.Election().Changes
			return len(changes) > 0 && changes[len(changes)-1].To == old.rpc
		})
	}
	firstTerm := old.r.Election().Changes[0].Term
	if firstTerm == 0 {
		t.Errorf("the first leadership has no term: %+v", old.r.Election())
	}
	if err := old.r.Close(); err != nil {
		t.Fatal(err)
	}
	rest := slices.Delete(slices.Clone(nodes), li, li+1)
	next := rest[awaitServingLeader(t, rest)]
	for _, node := range rest {
		poll.Until(t, 10*time.Second, node.rpc+" to note the failover", func() bool {
			changes := node.r.Election().Changes
			return changes[len(changes)-1].To == next.rpc
		})
		e := node.r.Election()
		last := e.Changes[len(e.Changes)-1]
		if last.From != old.rpc || last.Term <= firstTerm || last.At.Before(e.Since) || last.NoLeaderFor < node.opts.Timing.HeartbeatTimeout {
			t.Errorf("%s's history: %+v", node.rpc, e)
		}
	}
}

// A standby asked who leads right after its leader fell silent (here: shut
// down without handing over) must not name the silent leader: it waits for
// the election and then names the new one, or serves itself, so that a
// client's next try goes where it can succeed.
func TestStandbyAwaitsTheNextLeaderWhenItsLeaderFallsSilent(t *testing.T) {
	nodes := startRaftCluster(t, 3, nil)
	li := awaitServingLeader(t, nodes)
	old := nodes[li]
	rest := slices.Delete(slices.Clone(nodes), li, li+1)
	standby := rest[0]
	poll.Until(t, 10*time.Second, "the standby to know the leader", func() bool {
		return standby.r.Status().LeaderRPCAddress == old.rpc
	})
	if err := old.r.Close(); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 10*time.Second, "the standby to hear nothing from its leader for a while", func() bool {
		return time.Since(standby.r.raft.LastContact()) > standby.r.silence()
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	standby.r.AwaitLiveLeader(ctx)
	st := standby.r.Status()
	if !st.Leader && (st.LeaderRPCAddress == "" || st.LeaderRPCAddress == old.rpc) {
		t.Fatalf("after AwaitLiveLeader the standby names %q as leader (the silent one is %s) and does not serve itself", st.LeaderRPCAddress, old.rpc)
	}
}
