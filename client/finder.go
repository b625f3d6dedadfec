package client

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/fserr/rpcerr"
	"github.com/halo-fs/halo/ha/state"
	"github.com/halo-fs/halo/proto/halopb"
)

// LeaderFinder locates the leading master.
type LeaderFinder interface {
	// Leader returns the RPC address of the current leader, or an error if
	// none is found.
	Leader(ctx context.Context) (string, error)
	// Report tells the finder what an attempt against addr learned: nil for
	// success, a NotLeader error (maybe with a hint), or an error saying the
	// master was unreachable. Finders cache the leader and use hints.
	Report(addr string, err error)
}

// LeaderCache is the leader a finder last learned, kept current by what
// attempts report: every finder answers Report the same way, whatever it
// asks when the cache is empty. Its zero value is empty and ready.
type LeaderCache struct {
	mu     sync.Mutex
	leader string // "" when unknown
}

// Get is the cached leader, "" when unknown.
func (c *LeaderCache) Get() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.leader
}

// Set caches addr as the leader.
func (c *LeaderCache) Set(addr string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.leader = addr
}

// Report updates the cache from what an attempt against addr learned: a
// success makes addr the leader; a master that lost leadership mid-request
// may name the new leader, else addr is forgotten so the next lookup asks
// again.
func (c *LeaderCache) Report(addr string, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err == nil {
		c.leader = addr
		return
	}
	switch fserr.CodeOf(err) {
	case fserr.NotLeader, fserr.Unavailable, fserr.OutcomeUnknown:
		if hint := fserr.LeaderHintOf(err); hint != "" && hint != addr {
			c.leader = hint
			return
		}
		if c.leader == addr {
			c.leader = ""
		}
	}
}

// pollingFinder asks every address for GetMasterInfo, in parallel: the
// master that answers with State PRIMARY is the leader; failing that, the
// leader address the standbys name. Backoff between rounds is the caller's
// job.
type pollingFinder struct {
	addrs        []string
	dial         func(addr string) (halopb.MasterServiceClient, error)
	probeTimeout time.Duration
	LeaderCache
}

func newPollingFinder(addrs []string, dial func(string) (halopb.MasterServiceClient, error), probeTimeout time.Duration) *pollingFinder {
	return &pollingFinder{addrs: append([]string(nil), addrs...), dial: dial, probeTimeout: probeTimeout}
}

func (f *pollingFinder) Leader(ctx context.Context) (string, error) {
	if addr := f.Get(); addr != "" {
		return addr, nil
	}
	if len(f.addrs) == 0 {
		return "", fserr.New(fserr.Unavailable, "no master addresses configured")
	}
	answers := f.poll(ctx)
	addr, err := chooseLeader(f.addrs, answers)
	if err != nil {
		return "", err
	}
	f.Set(addr)
	return addr, nil
}

// probeAnswer is one master's reply to GetMasterInfo.
type probeAnswer struct {
	addr string
	info *halopb.MasterInfo
	err  error
}

// poll probes every address at once and returns when a PRIMARY answers or
// all have answered (or timed out).
func (f *pollingFinder) poll(ctx context.Context) []probeAnswer {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make(chan probeAnswer, len(f.addrs))
	for _, addr := range f.addrs {
		go func() {
			results <- f.probe(ctx, addr)
		}()
	}
	answers := make([]probeAnswer, 0, len(f.addrs))
	for range f.addrs {
		a := <-results
		answers = append(answers, a)
		if a.err == nil && state.Of(a.info) == state.Primary {
			break
		}
	}
	return answers
}

func (f *pollingFinder) probe(ctx context.Context, addr string) probeAnswer {
	stub, err := f.dial(addr)
	if err != nil {
		return probeAnswer{addr: addr, err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, f.probeTimeout)
	defer cancel()
	info, err := stub.GetMasterInfo(ctx, &halopb.Empty{})
	if err != nil {
		return probeAnswer{addr: addr, err: rpcerr.FromGRPC(err)}
	}
	return probeAnswer{addr: addr, info: info}
}

// chooseLeader picks the leader from one polling round: a master that says
// it is PRIMARY; else the leader most standbys name; else, with a single
// configured master that answered without a role, that master.
func chooseLeader(addrs []string, answers []probeAnswer) (string, error) {
	hints := map[string]int{}
	bestHint, answered := "", 0
	var failures []string
	for _, a := range answers {
		if a.err != nil {
			failures = append(failures, a.addr+": "+a.err.Error())
			continue
		}
		answered++
		if state.Of(a.info) == state.Primary {
			return a.addr, nil
		}
		if h := a.info.GetLeaderAddress(); h != "" {
			hints[h]++
			if hints[h] > hints[bestHint] {
				bestHint = h
			}
		}
	}
	if bestHint != "" {
		return bestHint, nil
	}
	if len(addrs) == 1 && answered == 1 && state.Of(answers[0].info) == "" {
		return addrs[0], nil
	}
	msg := "no leading master among " + strings.Join(addrs, ",")
	if len(failures) > 0 {
		msg += " (" + strings.Join(failures, "; ") + ")"
	}
	return "", fserr.New(fserr.Unavailable, "%s", msg)
}
