package raft

import (
	"sync"
	"sync/atomic"
	"time"

	hraft "github.com/hashicorp/raft"
)

// electionGate is the Raft transport of a master that lost journal entries
// it had acknowledged (see restoreNewestSnapshot). While open reports
// false, the master neither asks for votes nor grants them, and refuses to
// be handed leadership: the leader may have counted its acknowledgement to
// commit an entry, and a vote from a master that lost that entry could
// elect a member without it. Everything else passes through, so the leader
// can still send it snapshots and entries.
type electionGate struct {
	*hraft.NetworkTransport
	open    func() bool
	rpcs    chan hraft.RPC
	done    chan struct{}
	once    sync.Once
	refused atomic.Uint64 // election requests refused, in and out
}

func newElectionGate(inner *hraft.NetworkTransport, open func() bool) *electionGate {
	g := &electionGate{NetworkTransport: inner, open: open, rpcs: make(chan hraft.RPC), done: make(chan struct{})}
	go g.forward()
	return g
}

// forward passes incoming RPCs on to Raft, answering election requests
// itself while the gate is shut.
func (g *electionGate) forward() {
	in := g.NetworkTransport.Consumer()
	for {
		select {
		case <-g.done:
			return
		case rpc := <-in:
			if g.refuse(rpc) {
				continue
			}
			select {
			case g.rpcs <- rpc:
			case <-g.done:
				rpc.Respond(nil, hraft.ErrTransportShutdown)
				return
			}
		}
	}
}

func (g *electionGate) refuse(rpc hraft.RPC) bool {
	var resp any
	switch rpc.Command.(type) {
	case *hraft.RequestVoteRequest:
		resp = &hraft.RequestVoteResponse{}
	case *hraft.RequestPreVoteRequest:
		resp = &hraft.RequestPreVoteResponse{}
	case *hraft.TimeoutNowRequest:
		resp = &hraft.TimeoutNowResponse{}
	default:
		return false
	}
	if g.open() {
		return false
	}
	g.refused.Add(1)
	rpc.Respond(resp, errCatchingUp)
	return true
}

// Consumer implements raft.Transport.
func (g *electionGate) Consumer() <-chan hraft.RPC { return g.rpcs }

// RequestVote implements raft.Transport.
func (g *electionGate) RequestVote(id hraft.ServerID, target hraft.ServerAddress, args *hraft.RequestVoteRequest, resp *hraft.RequestVoteResponse) error {
	if !g.open() {
		g.refused.Add(1)
		return errCatchingUp
	}
	return g.NetworkTransport.RequestVote(id, target, args, resp)
}

// RequestPreVote implements raft.WithPreVote.
func (g *electionGate) RequestPreVote(id hraft.ServerID, target hraft.ServerAddress, args *hraft.RequestPreVoteRequest, resp *hraft.RequestPreVoteResponse) error {
	if !g.open() {
		g.refused.Add(1)
		return errCatchingUp
	}
	return g.NetworkTransport.RequestPreVote(id, target, args, resp)
}

// Close implements raft.WithClose; it may be called more than once.
func (g *electionGate) Close() error {
	g.once.Do(func() { close(g.done) })
	return g.NetworkTransport.Close()
}

// caughtUp reports whether this master holds again every entry it lost.
func (r *Replicator) caughtUp() bool { return r.catchUpUntil.Load() == 0 }

// watchCatchUp opens the election gate once Raft holds (in its log or
// snapshot) every index up to catchUpUntil, and reminds the operator
// meanwhile: if every master waits like this, none can lead.
func (r *Replicator) watchCatchUp() {
	const poll, remind = 500 * time.Millisecond, 30 * time.Second
	started := time.Now()
	lastReminder := started
	for {
		until := r.catchUpUntil.Load()
		if until == 0 {
			return
		}
		if r.raft.LastIndex() >= until {
			if err := r.store.SetUint64(keyCatchUpUntil, 0); err != nil {
				r.log.Error("could not record that this master caught up; will retry", "error", err)
			} else {
				r.catchUpUntil.Store(0)
				r.log.Info("caught up on the journal entries this master had lost; takes part in elections again", "index", until, "after", time.Since(started))
				return
			}
		} else if time.Since(lastReminder) >= remind {
			lastReminder = time.Now()
			r.log.Error("still waiting for the leader to send the journal entries this master lost; not taking part in elections",
				"catch_up_until", until, "holds_until", r.raft.LastIndex(),
				"hint", "if no master leads, every master may have lost entries: restore from a backup (halo format, then halo master -i <backup>)")
		}
		select {
		case <-r.stop:
			return
		case <-time.After(poll):
		}
	}
}
