package raft

import (
	"context"
	"fmt"
	"maps"
	"sort"
	"time"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/ha/state"
	"github.com/halo-fs/halo/proto/halopb"
	hraft "github.com/hashicorp/raft"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// peerInfo asks a master for its MasterInfo.
func peerInfo(ctx context.Context, rpcAddr string, dialOpts []grpc.DialOption) (*halopb.MasterInfo, error) {
	opts := append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, dialOpts...)
	conn, err := grpc.NewClient(rpcAddr, opts...)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	return halopb.NewHaloServiceClient(conn).GetMasterInfo(ctx, &halopb.Empty{})
}

func (r *Replicator) lastSnapshotIndex() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lastSnapIndex
}

func (r *Replicator) requireServing() error {
	if !r.serving.Load() {
		return r.notLeader()
	}
	return nil
}

// CommitIndex is the commit index as this member last heard of it: a
// standby's lag is how far its applied index trails it, known without
// asking anyone.
func (r *Replicator) CommitIndex() uint64 { return r.raft.CommitIndex() }

// QuorumInfo implements the master's QuorumAdmin: the leader's view of every member,
// with each member's applied index as the member itself reports it.
func (r *Replicator) QuorumInfo(ctx context.Context) (*halopb.QuorumInfo, error) {
	if err := r.requireServing(); err != nil {
		return nil, err
	}
	cf := r.raft.GetConfiguration()
	if err := cf.Error(); err != nil {
		return nil, fserr.New(fserr.Unavailable, "read quorum configuration: %v", err)
	}
	leaderID := r.leaderID()
	commit := r.raft.CommitIndex()
	info := &halopb.QuorumInfo{
		Domain:            "MASTER",
		LeaderAddress:     string(leaderID),
		Term:              r.raft.CurrentTerm(),
		CommitIndex:       commit,
		AppliedIndex:      r.raft.AppliedIndex(),
		LastSnapshotIndex: r.lastSnapshotIndex(),
	}
	r.mu.Lock()
	failing, contact := maps.Clone(r.peerFailing), maps.Clone(r.peerContact)
	r.mu.Unlock()
	for _, s := range cf.Configuration().Servers {
		addr := string(s.Address)
		m := &halopb.QuorumMember{
			Address:    addr,
			RpcAddress: rpcAddressFor(addr, r.opts.Peers, r.opts.RPCAddresses),
			Leader:     s.ID == leaderID,
			Voter:      s.Suffrage == hraft.Voter,
			State:      state.MemberAvailable.String(),
		}
		if failing[s.ID] {
			m.State = state.MemberUnavailable.String()
		}
		if t, ok := contact[s.ID]; ok {
			m.LastContactMs = time.Since(t).Milliseconds()
		}
		if m.Leader {
			m.AppliedIndex = r.fsm.AppliedIndex()
		} else if m.RpcAddress != "" {
			pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			pi, err := peerInfo(pctx, m.RpcAddress, r.opts.PeerDialOptions)
			cancel()
			if err != nil {
				m.State = state.MemberUnavailable.String()
			} else {
				m.AppliedIndex = pi.AppliedIndex
			}
		}
		if leaderApplied := r.fsm.AppliedIndex(); leaderApplied > m.AppliedIndex && state.MemberOf(m) == state.MemberAvailable {
			m.Lag = leaderApplied - m.AppliedIndex
		}
		info.Members = append(info.Members, m)
	}
	sort.Slice(info.Members, func(i, j int) bool { return info.Members[i].Address < info.Members[j].Address })
	return info, nil
}

func (r *Replicator) member(address string) (hraft.Server, bool, error) {
	cf := r.raft.GetConfiguration()
	if err := cf.Error(); err != nil {
		return hraft.Server{}, false, fserr.New(fserr.Unavailable, "read quorum configuration: %v", err)
	}
	for _, s := range cf.Configuration().Servers {
		if string(s.Address) == address || string(s.ID) == address {
			return s, true, nil
		}
	}
	return hraft.Server{}, false, nil
}

// servingMember finds the member at address on a serving leader; a missing
// one is an error with code missing.
func (r *Replicator) servingMember(address string, missing fserr.Code) (hraft.Server, error) {
	if err := r.requireServing(); err != nil {
		return hraft.Server{}, err
	}
	s, ok, err := r.member(address)
	if err != nil {
		return hraft.Server{}, err
	}
	if !ok {
		return hraft.Server{}, fserr.New(missing, "%s is not a member of the quorum", address)
	}
	return s, nil
}

// TransferLeadership implements the master's QuorumAdmin. It returns once the new leader
// serves, or fails with the reason.
func (r *Replicator) TransferLeadership(ctx context.Context, address string) error {
	s, err := r.servingMember(address, fserr.InvalidArgument)
	if err != nil {
		return err
	}
	if string(s.Address) == r.opts.LocalAddress {
		return fserr.New(fserr.InvalidArgument, "%s already leads", address)
	}
	if err := r.raft.LeadershipTransferToServer(s.ID, s.Address).Error(); err != nil {
		return fserr.New(fserr.Unavailable, "leadership transfer to %s failed: %v", address, err)
	}
	rpc := rpcAddressFor(string(s.Address), r.opts.Peers, r.opts.RPCAddresses)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		pi, err := peerInfo(pctx, rpc, r.opts.PeerDialOptions)
		cancel()
		if err == nil && state.Of(pi) == state.Primary {
			return nil
		}
		select {
		case <-ctx.Done():
			return fserr.New(fserr.OutcomeUnknown, "leadership moved to %s but it was not seen serving: %v", address, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fserr.New(fserr.OutcomeUnknown, "leadership moved to %s but it was not seen serving within 30s", address)
}

// HandOverLeadership is what a leader does before it stops cleanly: it
// makes the most up-to-date other voter leader at once (Raft's TimeoutNow),
// so clients wait for no election timeout. A follower, or a leader without
// another voter, has nothing to hand over. Raft bounds the wait by the
// election timeout.
func (r *Replicator) HandOverLeadership() error {
	if r.raft.State() != hraft.Leader {
		return nil
	}
	cf := r.raft.GetConfiguration()
	if err := cf.Error(); err != nil {
		return err
	}
	for _, s := range cf.Configuration().Servers {
		if s.Suffrage == hraft.Voter && string(s.Address) != r.opts.LocalAddress {
			return r.raft.LeadershipTransfer().Error()
		}
	}
	return nil
}

// AddMember implements the master's QuorumAdmin: adds a voter. The new
// member joins as a non-voter, which receives the log (a snapshot first)
// without counting towards the quorum, and becomes a voter once it has
// applied what the leader had applied when it joined: a voter that is still
// restoring a large snapshot, or not running at all, would count against
// the quorum and could stop writes (with two voters, both are needed).
// When ctx ends first the member stays a non-voter; calling AddMember
// again promotes it once it has caught up. Raft changes membership one
// server at a time; each change returns once committed.
func (r *Replicator) AddMember(ctx context.Context, address string) error {
	if err := r.requireServing(); err != nil {
		return err
	}
	s, ok, err := r.member(address)
	if err != nil {
		return err
	}
	if ok && s.Suffrage == hraft.Voter {
		return fserr.New(fserr.AlreadyExists, "%s is already a member of the quorum", address)
	}
	id, addr := hraft.ServerID(address), hraft.ServerAddress(address)
	if !ok {
		if err := r.raft.AddNonvoter(id, addr, 0, timeoutFrom(ctx, r.opts.ApplyTimeout)).Error(); err != nil {
			return fserr.New(fserr.Unavailable, "add %s to the quorum: %v", address, err)
		}
		r.log.Info("added quorum member as a non-voter until it catches up", "address", address)
	}
	if err := r.awaitCaughtUp(ctx, address, r.fsm.AppliedIndex()); err != nil {
		return err
	}
	if err := r.raft.AddVoter(id, addr, 0, timeoutFrom(ctx, r.opts.ApplyTimeout)).Error(); err != nil {
		return fserr.New(fserr.Unavailable, "make %s a voter: %v", address, err)
	}
	r.log.Info("quorum member caught up and votes", "address", address)
	return nil
}

// catchUpWait bounds how long AddMember waits for a new member to catch
// up when its caller sets no deadline: a snapshot of 10 million inodes
// takes a new member tens of seconds to install.
const catchUpWait = 5 * time.Minute

// awaitCaughtUp waits until the member at address has applied index, an
// index of the namespace's entries (Raft's own configuration entries
// never reach a namespace, so the commit index may stay ahead of it).
func (r *Replicator) awaitCaughtUp(ctx context.Context, address string, index uint64) error {
	applied := r.opts.MemberApplied
	if applied == nil {
		rpc := rpcAddressFor(address, r.opts.Peers, r.opts.RPCAddresses)
		if rpc == "" {
			r.log.Warn("cannot ask a new member how far it is (its RPC address is unknown); making it a voter at once", "address", address)
			return nil
		}
		applied = func(ctx context.Context, _ string) (uint64, error) {
			pi, err := peerInfo(ctx, rpc, r.opts.PeerDialOptions)
			return pi.GetAppliedIndex(), err
		}
	}
	wait := timeoutFrom(ctx, catchUpWait)
	deadline := time.Now().Add(wait)
	var last uint64
	var lastErr error
	for {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		last, lastErr = applied(pctx, address)
		cancel()
		if lastErr == nil && last >= index {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
	why := fmt.Sprintf("it has applied index %d of the leader's %d", last, index)
	if lastErr != nil {
		why = "it does not answer: " + lastErr.Error()
	}
	return fserr.New(fserr.FailedPrecondition, "%s is a non-voting member that receives the journal but has not caught up within %s (%s); add it again to make it a voter once it has", address, wait, why)
}

// RemoveMember implements the master's QuorumAdmin.
func (r *Replicator) RemoveMember(ctx context.Context, address string) error {
	s, err := r.servingMember(address, fserr.NotFound)
	if err != nil {
		return err
	}
	if err := r.raft.RemoveServer(s.ID, 0, timeoutFrom(ctx, r.opts.ApplyTimeout)).Error(); err != nil {
		return fserr.New(fserr.Unavailable, "remove %s from the quorum: %v", address, err)
	}
	r.log.Info("removed quorum member", "address", address)
	return nil
}
