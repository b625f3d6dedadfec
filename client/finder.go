package client

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/fserr/rpcerr"
	"github.com/halo-fs/halo/proto/alluxiopb"
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

// pollingFinder finds the primary as Alluxio's client does: it asks every
// master for the version of its meta service (getServiceVersion of
// META_MASTER_CLIENT_SERVICE, unauthenticated), which only the primary
// answers; a standby refuses with UNAVAILABLE and maybe names the primary.
// Masters are asked in parallel rather than in turn, so one hung master
// does not stall the round; only the primary answers, so the outcome is
// Alluxio's. Backoff between rounds is the caller's job.
type pollingFinder struct {
	addrs        []string
	dial         func(addr string) (*masterConn, error)
	probeTimeout time.Duration
	LeaderCache
}

func newPollingFinder(addrs []string, dial func(string) (*masterConn, error), probeTimeout time.Duration) *pollingFinder {
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

// probeAnswer is one master's answer to the version probe: nil when it
// serves as the primary.
type probeAnswer struct {
	addr string
	err  error
}

// poll probes every address at once and returns when one answers as the
// primary or all have answered (or timed out).
func (f *pollingFinder) poll(ctx context.Context) []probeAnswer {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make(chan probeAnswer, len(f.addrs))
	for _, addr := range f.addrs {
		go func() {
			results <- probeAnswer{addr: addr, err: f.probe(ctx, addr)}
		}()
	}
	answers := make([]probeAnswer, 0, len(f.addrs))
	for range f.addrs {
		a := <-results
		answers = append(answers, a)
		if a.err == nil {
			break
		}
	}
	return answers
}

// metaService is what the probe asks the version of, as Alluxio's client
// does to find the primary.
var metaService = &alluxiopb.GetServiceVersionPRequest{ServiceType: alluxiopb.ServiceType_META_MASTER_CLIENT_SERVICE.Enum()}

func (f *pollingFinder) probe(ctx context.Context, addr string) error {
	mc, err := f.dial(addr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, f.probeTimeout)
	defer cancel()
	_, err = mc.versions.GetServiceVersion(ctx, metaService)
	return rpcerr.FromGRPC(err)
}

// chooseLeader picks the leader from one polling round: the master that
// answered the probe; else the primary most standbys name.
func chooseLeader(addrs []string, answers []probeAnswer) (string, error) {
	hints := map[string]int{}
	bestHint := ""
	var failures []string
	for _, a := range answers {
		if a.err == nil {
			return a.addr, nil
		}
		failures = append(failures, a.addr+": "+a.err.Error())
		if h := fserr.LeaderHintOf(a.err); h != "" {
			hints[h]++
			if hints[h] > hints[bestHint] {
				bestHint = h
			}
		}
	}
	if bestHint != "" {
		return bestHint, nil
	}
	msg := "no leading master among " + strings.Join(addrs, ",")
	if len(failures) > 0 {
		msg += " (" + strings.Join(failures, "; ") + ")"
	}
	return "", fserr.New(fserr.Unavailable, "%s", msg)
}
