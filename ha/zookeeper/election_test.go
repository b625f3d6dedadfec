package zookeeper_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/ha"
	"github.com/halo-fs/halo/ha/hatest"
	"github.com/halo-fs/halo/ha/zookeeper"
	"github.com/halo-fs/halo/internal/poll"
	zkinfra "github.com/halo-fs/halo/internal/testinfra/zookeeper"
	"github.com/hashicorp/go-hclog"
)

const sessionTimeout = 2 * time.Second

func newElector(t *testing.T, servers []string, id string, policy zookeeper.Policy, log io.Writer) *zookeeper.Elector {
	t.Helper()
	return newElectorWithSession(t, servers, id, policy, log, sessionTimeout)
}

func newElectorWithSession(t *testing.T, servers []string, id string, policy zookeeper.Policy, log io.Writer, session time.Duration) *zookeeper.Elector {
	t.Helper()
	if log == nil {
		log = io.Discard
	}
	e, err := zookeeper.NewElector(zookeeper.ElectorConfig{
		Servers:        servers,
		SessionTimeout: session,
		ConnectTimeout: 500 * time.Millisecond,
		ID:             id,
		Policy:         policy,
		Logger:         hclog.New(&hclog.LoggerOptions{Output: log, Level: hclog.Info}),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}

type campaignResult struct {
	id string
	l  *zookeeper.Leadership
}

func campaign(ctx context.Context, id string, e *zookeeper.Elector, out chan<- campaignResult) {
	go func() {
		l, err := e.Campaign(ctx)
		if err == nil {
			out <- campaignResult{id, l}
		}
	}()
}

func TestOneLeaderAtATimeWithGrowingEpochs(t *testing.T) {
	zkc := zkinfra.Start(t, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	won := make(chan campaignResult, 3)
	electors := map[string]*zookeeper.Elector{}
	for i := 1; i <= 3; i++ {
		id := fmt.Sprintf("127.0.0.%d:19998", i)
		electors[id] = newElector(t, zkc.Servers(), id, zookeeper.PolicySession, nil)
		campaign(ctx, id, electors[id], won)
	}
	finder := zookeeper.NewZNodeFinder(zkc.Servers(), "/alluxio/leader", sessionTimeout)
	defer finder.Close()

	var lastEpoch uint64
	seen := map[string]bool{}
	prev := ""
	for round := 0; round < 3; round++ {
		w := <-won
		select {
		case other := <-won:
			t.Fatalf("round %d: %s and %s lead at once", round, w.id, other.id)
		default:
		}
		if w.l.Epoch <= lastEpoch {
			t.Fatalf("round %d: epoch %d is not above the previous leader's %d", round, w.l.Epoch, lastEpoch)
		}
		if seen[w.id] {
			t.Fatalf("round %d: %s leads twice", round, w.id)
		}
		seen[w.id] = true
		lastEpoch = w.l.Epoch
		if !w.l.Valid() {
			t.Fatalf("round %d: a fresh leadership is not valid", round)
		}
		if err := w.l.Publish(ctx); err != nil {
			t.Fatal(err)
		}
		for id, e := range electors {
			poll.Until(t, 10*time.Second, id+" sees leader "+w.id, func() bool { return e.LeaderID() == w.id })
			checkHistory(t, id, e, prev, w)
		}
		// The previous leader is gone: the finder forgets it and reads
		// the znode again.
		finder.Report(prev, fserr.New(fserr.Unavailable, "connection refused"))
		prev = w.id
		got, err := finder.Leader(ctx)
		if err != nil || got != w.id {
			t.Fatalf("round %d: ZNodeFinder says %q, %v; want %s", round, got, err, w.id)
		}
		w.l.Resign()
		select {
		case <-w.l.Lost():
		default:
			t.Fatal("a resigned leadership is not lost")
		}
		if w.l.Valid() {
			t.Fatal("a resigned leadership is still valid")
		}
	}
}

// checkHistory: every elector's history ends with the change from prev to
// the winner w; only the winner knows its epoch.
func checkHistory(t *testing.T, id string, e *zookeeper.Elector, prev string, w campaignResult) {
	t.Helper()
	var h ha.Election
	poll.Until(t, 10*time.Second, id+" to record leader "+w.id, func() bool {
		h = e.Election()
		return len(h.Changes) > 0 && h.Changes[len(h.Changes)-1].To == w.id
	})
	last := h.Changes[len(h.Changes)-1]
	wantTerm := uint64(0)
	if id == w.id {
		wantTerm = w.l.Epoch
	}
	if last.From != prev || last.Term != wantTerm || h.Connection != "StateHasSession" {
		t.Errorf("%s's history: %+v, want the change from %q to %s in epoch %d, connected", id, h, prev, w.id, wantTerm)
	}
}

// proxy forwards TCP connections to a ZooKeeper server and can cut them
// (the client reconnects at once, to the same session) or block them
// (connections are refused until unblocked, so the session expires).
type proxy struct {
	l       net.Listener
	target  string
	mu      sync.Mutex
	conns   []net.Conn
	blocked bool
}

func startProxy(t *testing.T, target string) *proxy {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{l: l, target: target}
	t.Cleanup(func() { l.Close(); p.cut() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			blocked := p.blocked
			p.mu.Unlock()
			if blocked {
				c.Close()
				continue
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			go func() { io.Copy(s, c); s.Close() }()
			go func() { io.Copy(c, s); c.Close() }()
		}
	}()
	return p
}

func (p *proxy) addr() string { return p.l.Addr().String() }

func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *proxy) block(b bool) {
	p.mu.Lock()
	p.blocked = b
	p.mu.Unlock()
	if b {
		p.cut()
	}
}

func TestConnectionLossUnderEachPolicy(t *testing.T) {
	zkc := zkinfra.Start(t, 1)
	for _, tc := range []struct {
		policy   zookeeper.Policy
		survives bool
	}{
		{zookeeper.PolicySession, true},
		{zookeeper.PolicyStandard, false},
	} {
		t.Run(string(tc.policy), func(t *testing.T) {
			p := startProxy(t, zkc.Servers()[0])
			// A session long enough to outlast the reconnection: with one
			// server the ZooKeeper client waits a second before it dials
			// again, and the session must not expire meanwhile on a loaded
			// machine; what is tested is the policy, not expiry.
			e := newElectorWithSession(t, []string{p.addr()}, "127.0.0.1:1", tc.policy, nil, 10*time.Second)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			l, err := e.Campaign(ctx)
			if err != nil {
				t.Fatal(err)
			}
			p.cut()
			if tc.survives {
				// The client reconnects through the proxy at once and
				// gets its session back.
				poll.Until(t, 20*time.Second, "leadership valid again", l.Valid)
				select {
				case <-l.Lost():
					t.Fatalf("policy SESSION lost the leadership on a cut connection: %s", l.LostReason())
				default:
				}
			} else {
				select {
				case <-l.Lost():
				case <-time.After(20 * time.Second):
					t.Fatal("policy STANDARD kept the leadership after the connection was lost")
				}
				if l.Valid() {
					t.Fatal("a lost leadership is valid")
				}
			}
		})
	}
}

// TestSessionExpiryEndsLeadership blocks the leader's connection until
// ZooKeeper expires its session and a second candidate leads, with a
// larger epoch; the first learns it lost, and its loss hook runs before
// Lost is closed.
func TestSessionExpiryEndsLeadership(t *testing.T) {
	zkc := zkinfra.Start(t, 1)
	p := startProxy(t, zkc.Servers()[0])
	first := newElector(t, []string{p.addr()}, "127.0.0.1:1", zookeeper.PolicySession, nil)
	second := newElector(t, zkc.Servers(), "127.0.0.2:1", zookeeper.PolicySession, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	l1, err := first.Campaign(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var hookRan sync.WaitGroup
	hookRan.Add(1)
	hookBeforeClose := false
	l1.OnLost(func() {
		select {
		case <-l1.Lost():
		default:
			hookBeforeClose = true
		}
		hookRan.Done()
	})
	won := make(chan campaignResult, 1)
	campaign(ctx, "second", second, won)

	p.block(true)
	poll.Until(t, 20*time.Second, "suspended", l1.Suspended)
	var w campaignResult
	select {
	case w = <-won:
	case <-time.After(time.Minute):
		t.Fatal("the second candidate did not lead after the first one's session expired")
	}
	if w.l.Epoch <= l1.Epoch {
		t.Fatalf("new epoch %d is not above the expired leader's %d", w.l.Epoch, l1.Epoch)
	}
	// The old leader does not know yet; it learns when it reconnects.
	p.block(false)
	select {
	case <-l1.Lost():
	case <-time.After(time.Minute):
		t.Fatal("the expired leadership was not reported lost")
	}
	hookRan.Wait()
	if !hookBeforeClose {
		t.Error("the loss hook ran after Lost was closed")
	}
	// Either the client gave up after a session timeout without a
	// connection, or it reconnected first and was told of the expiry.
	if r := l1.LostReason(); !strings.Contains(r, "expired") && !strings.Contains(r, "session timeout") {
		t.Errorf("loss reason %q does not mention the session", r)
	}
}

// TestUnreachableZooKeeperIsRetriedAndLogged: a candidate never leads
// without ZooKeeper, says so in its log, and leads once it is reachable.
func TestUnreachableZooKeeperIsRetriedAndLogged(t *testing.T) {
	zkc := zkinfra.Start(t, 1)
	p := startProxy(t, zkc.Servers()[0])
	p.block(true)
	var logBuf hatest.LockedBuffer
	e := newElector(t, []string{p.addr()}, "127.0.0.1:1", zookeeper.PolicySession, &logBuf)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	won := make(chan campaignResult, 1)
	campaign(ctx, "only", e, won)
	poll.Until(t, 20*time.Second, "the log says ZooKeeper is unreachable", func() bool {
		return strings.Contains(logBuf.String(), "cannot reach ZooKeeper")
	})
	select {
	case <-won:
		t.Fatal("led without ZooKeeper")
	default:
	}
	p.block(false)
	select {
	case w := <-won:
		if !w.l.Valid() {
			t.Fatal("leadership is not valid")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("did not lead once ZooKeeper was reachable")
	}
}

func TestConfigIsChecked(t *testing.T) {
	for _, cfg := range []zookeeper.ElectorConfig{
		{ID: "a:1"},
		{Servers: []string{"127.0.0.1:2181"}},
		{Servers: []string{"127.0.0.1:2181"}, ID: "a:1", ElectionPath: "alluxio/election"},
		{Servers: []string{"127.0.0.1:2181"}, ID: "a:1", Policy: "SOMETIMES"},
	} {
		if e, err := zookeeper.NewElector(cfg); err == nil {
			e.Close()
			t.Errorf("New(%+v) accepted a bad configuration", cfg)
		}
	}
}
