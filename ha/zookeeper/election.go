package zookeeper

import (
	"context"
	"errors"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/halo-fs/halo/ha"
	"github.com/hashicorp/go-hclog"
)

// Policy is alluxio.zookeeper.leader.connection.error.policy: what a lost
// connection to ZooKeeper does to a leadership.
type Policy string

const (
	// PolicySession keeps the leadership through a lost connection if the
	// same session is regained; it ends when the session does.
	PolicySession Policy = "SESSION"
	// PolicyStandard ends the leadership as soon as the connection is lost.
	PolicyStandard Policy = "STANDARD"
)

// ElectorConfig configures an Elector. Zero fields take the defaults noted.
type ElectorConfig struct {
	// Servers is the ensemble, host:port (alluxio.zookeeper.address).
	Servers []string
	// SessionTimeout is asked of ZooKeeper for every session
	// (alluxio.zookeeper.session.timeout; default 60 s). The ensemble may
	// clamp it to its own minimum and maximum.
	SessionTimeout time.Duration
	// ConnectTimeout is how long a candidate waits for a session before it
	// logs that ZooKeeper is unreachable and starts over
	// (alluxio.zookeeper.connection.timeout; default 15 s).
	ConnectTimeout time.Duration
	// ElectionPath and LeaderPath are the znodes of the election and of the
	// published leader (defaults /alluxio/election and /alluxio/leader).
	ElectionPath string
	LeaderPath   string
	// ID is this candidate's RPC address, host:port: the data of its
	// election znode and the name of its leader znode.
	ID     string
	Policy Policy // default PolicySession
	Logger hclog.Logger
}

// Errors returned by an Elector.
var (
	ErrClosed = errors.New("election: the elector is closed")
	// ErrSessionEnded means the ZooKeeper session of a candidacy ended
	// before the candidate led; Campaign starts over with a new one.
	ErrSessionEnded = errors.New("election: the ZooKeeper session ended")
)

// memberPrefix names election znodes; the library puts a GUID before it
// (a "protected" create, safe to retry after a lost connection) and
// ZooKeeper a ten-digit sequence number after it.
const memberPrefix = "member-"

func (c *ElectorConfig) setDefaults() error {
	if len(c.Servers) == 0 {
		return errors.New("election: no ZooKeeper servers (alluxio.zookeeper.address)")
	}
	if c.ID == "" {
		return errors.New("election: the candidate has no ID (its RPC address)")
	}
	if strings.Contains(c.ID, "/") {
		return fmt.Errorf("election: candidate ID %q cannot name a znode", c.ID)
	}
	if c.SessionTimeout <= 0 {
		c.SessionTimeout = 60 * time.Second
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = 15 * time.Second
	}
	if c.ElectionPath == "" {
		c.ElectionPath = "/alluxio/election"
	}
	if c.LeaderPath == "" {
		c.LeaderPath = "/alluxio/leader"
	}
	for _, p := range []string{c.ElectionPath, c.LeaderPath} {
		if !strings.HasPrefix(p, "/") || p == "/" || strings.HasSuffix(p, "/") {
			return fmt.Errorf("election: %q is not an absolute znode path such as /alluxio/election", p)
		}
	}
	switch c.Policy {
	case "":
		c.Policy = PolicySession
	case PolicySession, PolicyStandard:
	default:
		return fmt.Errorf("election: connection error policy %q: want SESSION or STANDARD", c.Policy)
	}
	if c.Logger == nil {
		c.Logger = hclog.NewNullLogger()
	}
	return nil
}

// Elector runs this master's candidacy and watches who leads.
type Elector struct {
	cfg       ElectorConfig
	log       hclog.Logger
	stop      chan struct{}
	closeOnce sync.Once
	observer  *observer

	mu       sync.Mutex
	sessions map[*session]bool // open candidacies, closed by Close

	// leaders is every change of the newest leader znode the leader
	// watch saw; wonEpoch the epoch of this candidate's latest win, the
	// term of its own leaderships there.
	leaders  *ha.LeaderHistory
	wonEpoch atomic.Uint64
}

// NewElector checks cfg and starts watching the leader path (see LeaderID). It
// does not campaign: call Campaign.
func NewElector(cfg ElectorConfig) (*Elector, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	e := &Elector{
		cfg:      cfg,
		log:      cfg.Logger.Named("election"),
		stop:     make(chan struct{}),
		sessions: map[*session]bool{},
		leaders:  ha.NewLeaderHistory(time.Now()),
	}
	e.observer = startObserver(e)
	return e, nil
}

// Close ends every candidacy (its session is closed, so ZooKeeper removes
// its znodes at once) and the leader watch.
func (e *Elector) Close() {
	e.closeOnce.Do(func() {
		close(e.stop)
		e.mu.Lock()
		open := make([]*session, 0, len(e.sessions))
		for s := range e.sessions {
			open = append(open, s)
		}
		e.mu.Unlock()
		for _, s := range open {
			s.close("the elector is closing")
		}
		e.observer.close()
	})
}

// LeaderID returns the ID (RPC address) of the newest leader znode, as
// last seen by the leader watch, or "" when none is known.
func (e *Elector) LeaderID() string { return e.observer.leader() }

// Election is the leader changes the leader watch saw since the elector
// started, and the state of its connection to the ensemble. Only this
// master's own leaderships carry their epoch: the leader znode does not
// say another master's.
func (e *Elector) Election() ha.Election {
	out := e.leaders.Election()
	out.Connection = e.observer.connectionState()
	return out
}

// noteLeader records the newest leader znode's owner, id ("" for none).
func (e *Elector) noteLeader(id string) {
	var epoch uint64
	if id == e.cfg.ID {
		epoch = e.wonEpoch.Load()
	}
	e.leaders.Observe(time.Now(), id, epoch)
}

// Campaign blocks until this candidate leads, ctx ends or the elector is
// closed. ZooKeeper being unreachable is not an error: it logs and keeps
// trying, so a master never leads without ZooKeeper and never gives up
// waiting for it.
func (e *Elector) Campaign(ctx context.Context) (*Leadership, error) {
	delay := 200 * time.Millisecond
	for {
		l, err := e.campaignOnce(ctx)
		if err == nil {
			return l, nil
		}
		select {
		case <-e.stop:
			return nil, ErrClosed
		case <-ctx.Done():
			return nil, ctx.Err()
		default:
		}
		e.log.Warn("election attempt failed; trying again with a new session", "error", err, "retry_in", delay)
		select {
		case <-time.After(delay):
		case <-e.stop:
			return nil, ErrClosed
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		delay = min(delay*2, 5*time.Second)
	}
}

func (e *Elector) campaignOnce(ctx context.Context) (*Leadership, error) {
	s, err := e.openSession(ctx)
	if err != nil {
		return nil, err
	}
	l, err := e.runRecipe(ctx, s)
	if err != nil {
		s.close("candidacy abandoned")
		return nil, err
	}
	return l, nil
}

// runRecipe joins the election in session s and waits to lead.
func (e *Elector) runRecipe(ctx context.Context, s *session) (*Leadership, error) {
	for _, p := range []string{e.cfg.ElectionPath, e.cfg.LeaderPath} {
		if err := ensurePath(ctx, s, p); err != nil {
			return nil, err
		}
	}
	var node string
	err := s.call(ctx, func(c *zk.Conn) (err error) {
		node, err = c.CreateProtectedEphemeralSequential(e.cfg.ElectionPath+"/"+memberPrefix, []byte(e.cfg.ID), zk.WorldACL(zk.PermAll))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("join the election under %s: %w", e.cfg.ElectionPath, err)
	}
	var stat *zk.Stat
	if err := s.call(ctx, func(c *zk.Conn) (err error) { _, stat, err = c.Exists(node); return err }); err != nil {
		return nil, err
	}
	if stat == nil || stat.EphemeralOwner != s.id {
		return nil, fmt.Errorf("%w: election znode %s is gone", ErrSessionEnded, node)
	}
	epoch := uint64(stat.Czxid)
	mine := path.Base(node)
	e.log.Info("joined the election", "znode", node, "epoch", epoch, "session", fmt.Sprintf("%#x", s.id))
	for {
		var children []string
		if err := s.call(ctx, func(c *zk.Conn) (err error) { children, _, err = c.Children(e.cfg.ElectionPath); return err }); err != nil {
			return nil, err
		}
		members := sortMembers(children)
		pos := -1
		for i, m := range members {
			if m == mine {
				pos = i
				break
			}
		}
		if pos < 0 {
			return nil, fmt.Errorf("%w: election znode %s is gone", ErrSessionEnded, node)
		}
		if pos == 0 {
			l := &Leadership{Epoch: epoch, ID: e.cfg.ID, Node: node, e: e, s: s}
			e.wonEpoch.Store(epoch)
			e.log.Info("won the election", "epoch", epoch, "znode", node)
			return l, nil
		}
		predecessor := e.cfg.ElectionPath + "/" + members[pos-1]
		var (
			exists bool
			watch  <-chan zk.Event
		)
		if err := s.call(ctx, func(c *zk.Conn) (err error) { exists, _, watch, err = c.ExistsW(predecessor); return err }); err != nil {
			return nil, err
		}
		if !exists {
			continue
		}
		e.log.Debug("waiting for the candidate ahead", "predecessor", predecessor)
		select {
		case <-watch:
		case <-s.ended:
			return nil, fmt.Errorf("%w: %s", ErrSessionEnded, s.reason())
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-e.stop:
			return nil, ErrClosed
		}
	}
}

// sortMembers orders election znodes by their sequence number (the ten
// digits ZooKeeper appends), ignoring znodes that are not members.
func sortMembers(children []string) []string {
	type member struct {
		name string
		seq  int64
	}
	var ms []member
	for _, c := range children {
		i := strings.LastIndex(c, memberPrefix)
		if i < 0 {
			continue
		}
		seq, err := strconv.ParseInt(c[i+len(memberPrefix):], 10, 64)
		if err != nil {
			continue
		}
		ms = append(ms, member{c, seq})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].seq < ms[j].seq })
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.name
	}
	return out
}

func ensurePath(ctx context.Context, s *session, p string) error {
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	cur := ""
	for _, part := range parts {
		cur += "/" + part
		err := s.call(ctx, func(c *zk.Conn) error {
			_, err := c.Create(cur, nil, 0, zk.WorldACL(zk.PermAll))
			return err
		})
		if err != nil && !errors.Is(err, zk.ErrNodeExists) {
			return fmt.Errorf("create znode %s: %w", cur, err)
		}
	}
	return nil
}

// Leadership is one won election. It lasts until its session ends or it is
// resigned.
type Leadership struct {
	// Epoch is the czxid of the winning election znode: larger than the
	// epoch of every earlier leadership.
	Epoch uint64
	ID    string
	Node  string // the election znode
	e     *Elector
	s     *session
}

// Lost is closed when the leadership has ended.
func (l *Leadership) Lost() <-chan struct{} { return l.s.ended }

// Valid reports whether the leadership holds now: its session is
// connected and has not ended. Under policy SESSION a suspended
// leadership (connection lost, session maybe not) is not valid, but it is
// not lost either; it becomes valid again if the session comes back.
func (l *Leadership) Valid() bool { return l.s.state.Load() == stateConnected }

// Suspended reports whether the connection is lost but the leadership may
// yet resume (policy SESSION).
func (l *Leadership) Suspended() bool { return l.s.state.Load() == stateSuspended }

// LostReason says why the leadership ended, "" while it holds.
func (l *Leadership) LostReason() string { return l.s.reason() }

// OnLost registers fn to run once when the leadership ends, on the
// ZooKeeper client's event goroutine, before the Lost channel is closed; if
// it has already ended, fn runs now. fn must not block.
func (l *Leadership) OnLost(fn func()) { l.s.onEnd(fn) }

// Publish creates the leader znode, <leader path>/<ID>, ephemeral in this
// leadership's session. A znode of the same name left by an earlier session
// of this master is replaced.
func (l *Leadership) Publish(ctx context.Context) error {
	p := l.e.cfg.LeaderPath + "/" + l.ID
	for attempt := 0; attempt < 3; attempt++ {
		err := l.s.call(ctx, func(c *zk.Conn) error {
			_, err := c.Create(p, []byte(l.ID), zk.FlagEphemeral, zk.WorldACL(zk.PermAll))
			return err
		})
		if !errors.Is(err, zk.ErrNodeExists) {
			if err != nil {
				return fmt.Errorf("publish leader znode %s: %w", p, err)
			}
			return nil
		}
		// Left by an earlier session of ours that has not expired yet.
		if err := l.s.call(ctx, func(c *zk.Conn) error { return c.Delete(p, -1) }); err != nil && !errors.Is(err, zk.ErrNoNode) {
			return fmt.Errorf("replace stale leader znode %s: %w", p, err)
		}
	}
	return fmt.Errorf("publish leader znode %s: it keeps reappearing", p)
}

// Resign ends the leadership: its session is closed, so ZooKeeper removes
// the election and leader znodes at once and the next candidate leads.
func (l *Leadership) Resign() { l.s.close("resigned") }

// session is one ZooKeeper session, used by one candidacy.
type session struct {
	e      *Elector
	conn   *zk.Conn
	id     int64
	policy Policy

	mu        sync.Mutex // held while conn is being set, so events wait for it
	state     atomic.Int32
	ended     chan struct{}
	endReason string
	endFns    []func()
	ready     chan struct{} // closed at the first HasSession
	readyOnce sync.Once
	// suspensions counts the times the connection was lost, so that the
	// timer of an earlier suspension does not end a later one.
	suspensions atomic.Uint64
}

const (
	stateConnecting int32 = iota // no session yet
	stateConnected
	stateSuspended
	stateEnded
)

// openSession connects and waits for a session, logging each time
// ConnectTimeout passes without one.
func (e *Elector) openSession(ctx context.Context) (*session, error) {
	s := &session{e: e, policy: e.cfg.Policy, ended: make(chan struct{}), ready: make(chan struct{})}
	s.mu.Lock()
	conn, _, err := zk.Connect(e.cfg.Servers, e.cfg.SessionTimeout,
		zk.WithLogger(zkLogger{e.log.Named("zk")}),
		zk.WithLogInfo(false),
		zk.WithEventCallback(s.event))
	if err != nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("connect to ZooKeeper %v: %w", e.cfg.Servers, err)
	}
	s.conn = conn
	s.mu.Unlock()
	e.mu.Lock()
	select {
	case <-e.stop:
		e.mu.Unlock()
		conn.Close()
		return nil, ErrClosed
	default:
	}
	e.sessions[s] = true
	e.mu.Unlock()

	start := time.Now()
	for {
		select {
		case <-s.ready:
			if d := time.Since(start); d > e.cfg.ConnectTimeout {
				e.log.Info("reached ZooKeeper", "servers", strings.Join(e.cfg.Servers, ","), "after", d.Round(time.Millisecond))
			}
			return s, nil
		case <-s.ended:
			return nil, fmt.Errorf("%w: %s", ErrSessionEnded, s.reason())
		case <-ctx.Done():
			s.close("campaign cancelled")
			return nil, ctx.Err()
		case <-e.stop:
			s.close("the elector is closing")
			return nil, ErrClosed
		case <-time.After(e.cfg.ConnectTimeout):
			e.log.Error("cannot reach ZooKeeper; this master will not lead until it does, still trying",
				"servers", strings.Join(e.cfg.Servers, ","), "waited", time.Since(start).Round(time.Second))
		}
	}
}

// event follows the session's state. It runs on the ZooKeeper client's
// goroutines and must not block.
func (s *session) event(ev zk.Event) {
	if ev.Type != zk.EventSession {
		return
	}
	s.mu.Lock()
	conn := s.conn
	s.mu.Unlock()
	if conn == nil {
		return
	}
	switch ev.State {
	case zk.StateHasSession:
		sid := conn.SessionID()
		first := false
		s.readyOnce.Do(func() {
			s.mu.Lock()
			s.id = sid
			s.mu.Unlock()
			first = true
		})
		s.mu.Lock()
		same := s.id == sid
		s.mu.Unlock()
		switch {
		case !same:
			s.end(fmt.Sprintf("the ZooKeeper session %#x expired and was replaced by %#x", s.id, sid))
		case s.state.CompareAndSwap(stateConnecting, stateConnected):
		case s.state.CompareAndSwap(stateSuspended, stateConnected):
			s.suspensions.Add(1)
			s.e.log.Info("ZooKeeper connection regained with the same session", "session", fmt.Sprintf("%#x", sid), "server", ev.Server)
		}
		if first {
			close(s.ready)
		}
	case zk.StateExpired:
		s.end("the ZooKeeper session expired")
	case zk.StateDisconnected:
		if s.state.Load() != stateConnected {
			return
		}
		if s.policy == PolicyStandard {
			s.end("the connection to ZooKeeper was lost (policy STANDARD)")
			return
		}
		if s.state.CompareAndSwap(stateConnected, stateSuspended) {
			gen := s.suspensions.Add(1)
			s.e.log.Warn("ZooKeeper connection lost; suspended until the same session is regained", "server", ev.Server)
			// Like Curator: once a session timeout passes without a
			// connection, the session is as good as expired, whether or
			// not the client can reach a server to be told so.
			time.AfterFunc(s.e.cfg.SessionTimeout, func() {
				if s.suspensions.Load() == gen && s.state.Load() == stateSuspended {
					s.end("the ZooKeeper connection stayed lost for longer than the session timeout")
				}
			})
		}
	}
}

// end marks the session ended, runs the loss hooks, then closes ended.
func (s *session) end(reason string) {
	s.mu.Lock()
	if s.state.Load() == stateEnded {
		s.mu.Unlock()
		return
	}
	s.state.Store(stateEnded)
	s.endReason = reason
	fns := s.endFns
	s.endFns = nil
	s.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
	close(s.ended)
}

func (s *session) onEnd(fn func()) {
	s.mu.Lock()
	if s.state.Load() == stateEnded {
		s.mu.Unlock()
		fn()
		return
	}
	s.endFns = append(s.endFns, fn)
	s.mu.Unlock()
}

func (s *session) reason() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.endReason
}

// close ends the session (if it has not ended) and closes the connection,
// which asks ZooKeeper to close the session and so delete its znodes.
func (s *session) close(reason string) {
	s.end(reason)
	s.conn.Close()
	s.e.mu.Lock()
	delete(s.e.sessions, s)
	s.e.mu.Unlock()
}

// call runs a ZooKeeper request, giving up when ctx ends, the session
// ends or the elector closes. The library holds requests while it is
// disconnected; a request abandoned here completes or fails on its own
// once the connection returns or is closed.
func (s *session) call(ctx context.Context, fn func(*zk.Conn) error) error {
	done := make(chan error, 1)
	go func() { done <- fn(s.conn) }()
	select {
	case err := <-done:
		return err
	case <-s.ended:
		return fmt.Errorf("%w: %s", ErrSessionEnded, s.reason())
	case <-ctx.Done():
		return ctx.Err()
	case <-s.e.stop:
		return ErrClosed
	}
}

// zkLogger sends the ZooKeeper client's messages to hclog at debug level:
// it reports every reconnection attempt, which the elector already
// summarises.
type zkLogger struct{ log hclog.Logger }

func (z zkLogger) Printf(format string, args ...any) {
	z.log.Debug(fmt.Sprintf(format, args...))
}
