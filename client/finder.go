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

// pollingFinder asks every address for GetMasterInfo, in parallel: the
// master that answers with State PRIMARY is the leader; failing that, the
// leader address the standbys name. Backoff between rounds is the caller's
// job.
type pollingFinder struct {
	addrs        []string
	dial         func(addr string) (halopb.MasterServiceClient, error)
	probeTimeout time.Duration

	mu     sync.Mutex
	leader string // cached; empty when unknown
}

func newPollingFinder(addrs []string, dial func(string) (halopb.MasterServiceClient, error), probeTimeout time.Duration) *pollingFinder {
	return &pollingFinder{addrs: append([]string(nil), addrs...), dial: dial, probeTimeout: probeTimeout}
}

func (f *pollingFinder) cached() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.leader
}

func (f *pollingFinder) remember(addr string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.leader = addr
}

func (f *pollingFinder) Leader(ctx context.Context) (string, error) {
	if addr := f.cached(); addr != "" {
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
	f.remember(addr)
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

func (f *pollingFinder) Report(addr string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err == nil {
		f.leader = addr
		return
	}
	switch fserr.CodeOf(err) {
	case fserr.NotLeader, fserr.Unavailable, fserr.OutcomeUnknown:
		// A master that lost leadership mid-request may still name the
		// new leader; otherwise poll again next time.
		if hint := fserr.LeaderHintOf(err); hint != "" && hint != addr {
			f.leader = hint
			return
		}
		if f.leader == addr {
			f.leader = ""
		}
	}
}
