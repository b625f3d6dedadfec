package raft

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/ha/hatest"
	hraft "github.com/hashicorp/raft"
)

// suffrageOf is the member's vote in the leader's configuration.
func suffrageOf(t *testing.T, leader *Replicator, address string) hraft.ServerSuffrage {
	t.Helper()
	s, ok, err := leader.member(address)
	if err != nil || !ok {
		t.Fatalf("%s is not a member (%v)", address, err)
	}
	return s.Suffrage
}

// A member added while it is not running (or still restoring) joins
// without a vote, so the quorum and writes go on; added again once it has
// caught up, it votes.
func TestNewMemberVotesOnlyOnceCaughtUp(t *testing.T) {
	leader := singleNode(t, 0)
	leader.start(t)
	leader.awaitServing(t)
	proposeAll(t, leader.r, hatest.SomeMutations(1)...)

	joinAddr := hatest.FreeAddrs(t, 1)[0]
	joiner := &raftNode{opts: Options{
		Dir: t.TempDir(), LocalAddress: joinAddr, Peers: []string{leader.opts.LocalAddress, joinAddr}, Timing: DefaultTiming(),
	}}
	leader.r.opts.MemberApplied = func(context.Context, string) (uint64, error) {
		if joiner.r == nil {
			return 0, errors.New("not running")
		}
		return joiner.f.AppliedIndex(), nil
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	err := leader.r.AddMember(ctx, joinAddr)
	cancel()
	if fserr.CodeOf(err) != fserr.FailedPrecondition {
		t.Fatalf("adding a member that is not running: %v, want FailedPrecondition saying it has not caught up", err)
	}
	if got := suffrageOf(t, leader.r, joinAddr); got != hraft.Nonvoter {
		t.Fatalf("a member that has not caught up is a %v", got)
	}
	// With the absent member voting, this write would need it.
	proposeAll(t, leader.r, hatest.SomeMutations(2)...)

	joiner.start(t)
	if err := leader.r.AddMember(context.Background(), joinAddr); err != nil {
		t.Fatalf("adding the member again once it runs: %v", err)
	}
	if got := suffrageOf(t, leader.r, joinAddr); got != hraft.Voter {
		t.Fatalf("a member that caught up is a %v", got)
	}
	if !hatest.Exists(joiner.f, "/r2/a/f4") {
		t.Errorf("the new voter lacks what was written before it voted (applied %d of the leader's %d)", joiner.f.AppliedIndex(), leader.f.AppliedIndex())
	}
	if err := leader.r.AddMember(context.Background(), joinAddr); fserr.CodeOf(err) != fserr.AlreadyExists {
		t.Errorf("adding a voter again: %v, want AlreadyExists", err)
	}
}
