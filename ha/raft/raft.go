package raft

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/halo-fs/halo/conf"
	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/ha"
	"github.com/halo-fs/halo/ha/state"
	"github.com/halo-fs/halo/proto/halopb"
	"github.com/halo-fs/halo/proto/journalpb"
	"github.com/hashicorp/go-hclog"
	hraft "github.com/hashicorp/raft"
	"google.golang.org/grpc"
)

// Timing are the Raft timeouts. The defaults suit masters on one LAN:
// the leader heartbeats every HeartbeatTimeout/10 to /5 (20-40 ms). A
// follower checks for silence at random intervals of one to two
// HeartbeatTimeouts and starts a pre-vote at the first check that finds
// none for HeartbeatTimeout, so a dead leader is noticed 200-600 ms after
// its last heartbeat (the first check may come just too early, hence
// three timeouts at worst): with the vote and the new leader's catch-up,
// kill -9 of a leader costs p50 about 500 ms and p99 below 800 ms. A
// leader that has not heard from a quorum for LeaderLeaseTimeout steps
// down; the lease is as long as Raft allows, since it does not bound
// failover. On a 2-core machine with a load average of 10-20 and a
// 64-thread create load, 200 ms caused no election in a minute (one
// election was seen at a load average near 30, when both followers
// stalled); 600 ms made failover take 1-2 s. Multiply them for busier
// machines (halo.master.embedded.journal.timeout.multiplier).
type Timing struct {
	HeartbeatTimeout   time.Duration
	ElectionTimeout    time.Duration
	LeaderLeaseTimeout time.Duration
	CommitTimeout      time.Duration
}

// DefaultTiming is tuned for a LAN; see Timing.
func DefaultTiming() Timing {
	return Timing{
		HeartbeatTimeout:   200 * time.Millisecond,
		ElectionTimeout:    200 * time.Millisecond,
		LeaderLeaseTimeout: 200 * time.Millisecond,
		CommitTimeout:      20 * time.Millisecond,
	}
}

// Scaled multiplies every timeout by m (at least 1).
func (t Timing) Scaled(m float64) Timing {
	if m < 1 {
		m = 1
	}
	scale := func(d time.Duration) time.Duration { return time.Duration(float64(d) * m) }
	return Timing{scale(t.HeartbeatTimeout), scale(t.ElectionTimeout), scale(t.LeaderLeaseTimeout), scale(t.CommitTimeout)}
}

// Options configure a Replicator.
type Options struct {
	Dir           string   // journal folder; Raft keeps wal/, raft.db and snapshots/ here
	LocalAddress  string   // this master's embedded journal address, host:port
	BindAddress   string   // "" means LocalAddress
	Peers         []string // alluxio.master.embedded.journal.addresses
	RPCAddresses  []string // the masters' RPC addresses, for leader hints
	FSM           *fsm.FSM
	SnapshotEvery uint64 // entries between snapshots (checkpoint.period.entries)
	TrailingLogs  uint64 // entries kept after a snapshot for slow followers
	Timing        Timing
	ApplyTimeout  time.Duration
	Checkpoints   *CheckpointArchive // optional: copies of every snapshot on the shared UFS
	Logger        hclog.Logger
	StreamLayer   hraft.StreamLayer // optional (TLS); nil means plain TCP
	// UnsafeStaleReads serves reads on any master without confirming
	// leadership. Test only: the failover tests use it to show that their
	// checkers catch stale reads.
	UnsafeStaleReads bool
	// PeerDialOptions are used when this master calls another's RPC port
	// (TLS credentials when configured).
	PeerDialOptions []grpc.DialOption
	// InitialCheckpoint, when set, is asked for a namespace to start a new
	// cluster from (a backup given with -i, or the newest archived
	// checkpoint). It is called only on a master with no Raft state when no
	// quorum is running yet; it returns nil data when there is none.
	InitialCheckpoint func(ctx context.Context) (data []byte, source string, err error)
	// MemberApplied asks the member at a Raft address for its applied
	// index, to promote a new member once it has caught up; nil asks the
	// member's RPC port (HaloService.GetMasterInfo).
	MemberApplied  func(ctx context.Context, raftAddress string) (uint64, error)
	snapshotRetain int
}

// Replicator replicates entries through an embedded Raft log
// (hashicorp/raft; the log in raft-wal, the term and vote in raft-boltdb;
// see raftStore). Every master
// applies every committed entry, so standbys are hot.
type Replicator struct {
	opts      Options
	log       hclog.Logger
	fsm       *fsm.FSM
	raft      *hraft.Raft
	transport *hraft.NetworkTransport
	store     *raftStore
	snaps     *hraft.FileSnapshotStore
	reads     *ha.ReadBarrier
	gate      *electionGate // set while catching up on lost entries (see raftsnap.go)

	// catchUpUntil is the index up to which this master must hold the
	// journal again before it takes part in elections; 0 when it may.
	catchUpUntil atomic.Uint64
	// seededSnapshot is the snapshot a new cluster's first master wrote
	// from the namespace it already holds (see seed); "" if none.
	seededSnapshot string
	// namespaceRestores counts the namespace's restores, for tests.
	namespaceRestores atomic.Int64

	serving    servingState // leader, and caught up (Barrier done)
	notify     chan bool
	stop       chan struct{}
	background sync.WaitGroup
	closeOnce  sync.Once

	mu            sync.Mutex
	lastSnapshot  time.Time
	lastSnapIndex uint64
	peerContact   map[hraft.ServerID]time.Time
	peerFailing   map[hraft.ServerID]bool
	observer      *hraft.Observer
	observations  chan hraft.Observation
	leaders       *ha.LeaderHistory

	// beforeServing, when set, runs after a new leader caught up and just
	// before it serves: tests use it to change leadership at that moment.
	beforeServing func()
}

// Errors at start-up.
var (
	ErrNotInQuorum = errors.New("this master is not in the embedded journal address list")
	// ErrJournalGap: a lone member lost journal entries (a snapshot is
	// damaged and the log no longer holds its entries), and no other
	// member can send them.
	ErrJournalGap = errors.New("journal entries this master held are in no usable snapshot or log")
)

// New opens (or bootstraps) the Raft state in opts.Dir and
// joins the quorum. The FSM is filled by Raft itself: from the newest local
// snapshot, then the log.
func New(opts Options) (*Replicator, error) {
	if opts.BindAddress == "" {
		opts.BindAddress = opts.LocalAddress
	}
	if opts.ApplyTimeout == 0 {
		opts.ApplyTimeout = 30 * time.Second
	}
	if opts.snapshotRetain == 0 {
		opts.snapshotRetain = 2
	}
	if opts.TrailingLogs == 0 {
		opts.TrailingLogs = 10240
	}
	if !slices.Contains(opts.Peers, opts.LocalAddress) {
		return nil, fmt.Errorf("%w: %s is not in alluxio.master.embedded.journal.addresses=%v", ErrNotInQuorum, opts.LocalAddress, opts.Peers)
	}
	if err := checkUnique(opts.Peers); err != nil {
		return nil, err
	}
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	log := opts.Logger.Named("raft")
	r := &Replicator{
		opts: opts, log: log, fsm: opts.FSM,
		notify:       make(chan bool, 16),
		stop:         make(chan struct{}),
		peerContact:  map[hraft.ServerID]time.Time{},
		peerFailing:  map[hraft.ServerID]bool{},
		observations: make(chan hraft.Observation, 64),
		leaders:      ha.NewLeaderHistory(time.Now()),
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("embedded journal folder %s: %w", opts.Dir, err)
	}
	store, err := openRaftStore(opts.Dir, log)
	if err != nil {
		return nil, err
	}
	r.store = store
	snaps, err := hraft.NewFileSnapshotStoreWithLogger(opts.Dir, opts.snapshotRetain, log.Named("snapshots"))
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("open raft snapshots in %s: %w", opts.Dir, err)
	}
	r.snaps = snaps
	if opts.StreamLayer != nil {
		r.transport = hraft.NewNetworkTransportWithLogger(opts.StreamLayer, 5, 10*time.Second, log.Named("transport"))
	} else {
		advertise, err := net.ResolveTCPAddr("tcp", opts.LocalAddress)
		if err != nil {
			store.Close()
			return nil, fmt.Errorf("embedded journal address %s: %w", opts.LocalAddress, err)
		}
		t, err := hraft.NewTCPTransportWithLogger(opts.BindAddress, advertise, 5, 10*time.Second, log.Named("transport"))
		if err != nil {
			store.Close()
			return nil, fmt.Errorf("embedded journal port %s: %w", opts.BindAddress, err)
		}
		r.transport = t
	}

	cfg := hraft.DefaultConfig()
	cfg.LocalID = hraft.ServerID(opts.LocalAddress)
	cfg.Logger = log
	cfg.HeartbeatTimeout = opts.Timing.HeartbeatTimeout
	cfg.ElectionTimeout = opts.Timing.ElectionTimeout
	cfg.LeaderLeaseTimeout = opts.Timing.LeaderLeaseTimeout
	cfg.CommitTimeout = opts.Timing.CommitTimeout
	cfg.SnapshotThreshold = opts.SnapshotEvery
	cfg.SnapshotInterval = 5 * time.Second
	cfg.TrailingLogs = opts.TrailingLogs
	cfg.NotifyCh = r.notify
	// restoreNewestSnapshot restores the namespace before Raft starts.
	cfg.NoSnapshotRestoreOnStart = true
	cfg.PreVoteDisabled = false
	cfg.MaxAppendEntries = 512
	// Concurrent proposals share one log write and one fsync round.
	cfg.BatchApplyCh = true
	if err := hraft.ValidateConfig(cfg); err != nil {
		r.closeStores()
		return nil, fmt.Errorf("raft configuration: %w", err)
	}

	existing, err := hraft.HasExistingState(store, store, snaps)
	if err != nil {
		r.closeStores()
		return nil, fmt.Errorf("read raft state in %s: %w", opts.Dir, err)
	}
	if existing {
		if err := r.checkClusterID(); err != nil {
			r.closeStores()
			return nil, err
		}
	}
	quorumRunning := false
	if !existing {
		if quorumRunning, err = r.probePeers(); err != nil {
			r.closeStores()
			return nil, err
		}
	}
	seeded := false
	if !existing && !quorumRunning && opts.InitialCheckpoint != nil {
		if seeded, err = r.seed(); err != nil {
			r.closeStores()
			return nil, err
		}
	}
	if err := r.restoreNewestSnapshot(); err != nil {
		r.closeStores()
		return nil, err
	}
	var trans hraft.Transport = r.transport
	if !r.caughtUp() {
		r.gate = newElectionGate(r.transport, r.caughtUp)
		trans = r.gate
	}
	// Replication reads entries it has just written; keep recent ones in
	// memory instead of reading (and decoding) them back from bbolt.
	logs, err := hraft.NewLogCache(4096, store)
	if err != nil {
		r.closeStores()
		return nil, err
	}
	ra, err := newRaft(cfg, &raftFSM{r: r}, logs, store, snaps, trans)
	if err != nil {
		r.closeStores()
		return nil, fmt.Errorf("start raft: %w", err)
	}
	r.raft = ra
	r.reads = ha.NewReadBarrier(func() error { return ra.VerifyLeader().Error() })
	if quorumRunning {
		log.Info("another master already leads this quorum; waiting to be added",
			"hint", "halo fsadmin journal quorum add -address "+opts.LocalAddress)
	} else if !existing && !seeded {
		// Every master bootstraps with the same configuration, so it does
		// not matter which one's bootstrap wins: there is no race to lose.
		if err := ra.BootstrapCluster(voters(opts.Peers)).Error(); err != nil && !errors.Is(err, hraft.ErrCantBootstrap) {
			r.Close()
			return nil, fmt.Errorf("bootstrap embedded journal: %w", err)
		}
		log.Info("bootstrapped embedded journal", "members", opts.Peers)
	}
	r.observer = hraft.NewObserver(r.observations, false, func(o *hraft.Observation) bool {
		switch o.Data.(type) {
		case hraft.FailedHeartbeatObservation, hraft.ResumedHeartbeatObservation, hraft.LeaderObservation:
			return true
		}
		return false
	})
	ra.RegisterObserver(r.observer)
	r.goBackground(r.watchLeadership)
	r.goBackground(r.keepClusterID)
	r.goBackground(r.watchCatchUp)
	return r, nil
}

// seed starts a new cluster from an existing namespace: it writes the
// checkpoint as this master's first Raft snapshot, whose configuration is
// the configured quorum, at the checkpoint's own index and term 1. Every
// master of the new cluster seeds the same bytes the same way, so they
// agree on the log's beginning without a bootstrap.
func (r *Replicator) seed() (bool, error) {
	data, source, err := r.opts.InitialCheckpoint(context.Background())
	if err != nil {
		return false, fmt.Errorf("read the namespace to start from: %w", err)
	}
	if data == nil {
		return false, nil
	}
	h, err := r.restoreNamespace(bytes.NewReader(data))
	if err != nil {
		return false, fmt.Errorf("namespace to start from (%s): %w", source, err)
	}
	// The new cluster gets a name of its own: it is not the one the
	// namespace came from, which may still be running.
	r.fsm.ResetClusterID()
	index := max(h.AppliedIndex, 1)
	sink, err := r.snaps.Create(hraft.SnapshotVersionMax, index, 1, voters(r.opts.Peers), index, r.transport)
	if err != nil {
		return false, fmt.Errorf("seed snapshot: %w", err)
	}
	if _, err := r.fsm.WriteCheckpoint(sink); err != nil {
		sink.Cancel()
		return false, fmt.Errorf("seed snapshot: %w", err)
	}
	if err := sink.Close(); err != nil {
		return false, fmt.Errorf("seed snapshot: %w", err)
	}
	r.seededSnapshot = sink.ID()
	r.log.Info("starting a new cluster from an existing namespace", "source", source, "index", index, "inodes", h.InodeCount)
	return true, nil
}

// probePeers asks the other masters whether a quorum is already running,
// and whether they were configured with the same quorum. A master with no
// Raft state bootstraps only when no quorum is running: masters of a new
// cluster all bootstrap the same configuration, while a master added to a
// running cluster must wait for the leader to add it, or its log would
// start with a configuration the others never wrote. A new master whose
// address list disagrees with a peer's would bootstrap a different
// cluster, so that is refused.
func (r *Replicator) probePeers() (quorumRunning bool, err error) {
	mine := slices.Sorted(slices.Values(r.opts.Peers))
	err = r.eachPeer(func(rpc string, info *halopb.MasterInfo) error {
		if state.Of(info) == state.Primary || info.AppliedIndex > 0 {
			quorumRunning = true
		}
		if theirs := slices.Sorted(slices.Values(info.RaftAddresses)); conf.HAMode(info.HaMode) == conf.HARaft && !quorumRunning && !slices.Equal(mine, theirs) {
			return fmt.Errorf("alluxio.master.embedded.journal.addresses disagrees with master %s: this master has %v, it has %v; give every master the same list", rpc, mine, theirs)
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	return quorumRunning, nil
}

// voters is a configuration of the given addresses, each its own id.
func voters(peers []string) hraft.Configuration {
	servers := make([]hraft.Server, len(peers))
	for i, p := range peers {
		servers[i] = hraft.Server{ID: hraft.ServerID(p), Address: hraft.ServerAddress(p), Suffrage: hraft.Voter}
	}
	return hraft.Configuration{Servers: servers}
}

func checkUnique(list []string) error {
	seen := map[string]bool{}
	for _, v := range list {
		if seen[v] {
			return fmt.Errorf("alluxio.master.embedded.journal.addresses lists %s twice", v)
		}
		seen[v] = true
	}
	return nil
}

func (r *Replicator) closeStores() {
	if r.gate != nil {
		r.gate.Close()
	} else if r.transport != nil {
		r.transport.Close()
	}
	if r.store != nil {
		r.store.Close()
	}
}

// goBackground runs fn on a goroutine that Close waits for.
func (r *Replicator) goBackground(fn func()) {
	r.background.Add(1)
	go func() {
		defer r.background.Done()
		fn()
	}()
}

// watchLeadership follows Raft's leadership notifications. A master that
// becomes leader first runs a Barrier, so it has applied every entry of
// earlier terms, and only then serves; one that loses leadership stops
// serving at once. The notify channel is drained promptly, since a blocked
// NotifyCh would stall Raft itself.
func (r *Replicator) watchLeadership() {
	for {
		select {
		case <-r.stop:
			return
		case o := <-r.observations:
			r.observe(o)
		case leader := <-r.notify:
			epoch := r.leadershipChanged(leader)
			if leader {
				r.goBackground(func() { r.establish(epoch) })
			}
		}
	}
}

// await waits for a Barrier's or an Apply's future unless the replicator
// closes first. Raft answers such a future once the FSM has applied its
// entry, and its FSM loop stops at shutdown without answering what is still
// queued for it: waiting on the future alone then never ends, and Close,
// which waits for the background goroutines, hangs with it.
func (r *Replicator) await(f hraft.Future) error {
	done := make(chan error, 1)
	go func() { done <- f.Error() }()
	select {
	case err := <-done:
		return err
	case <-r.stop:
		return hraft.ErrRaftShutdown
	}
}

// leadershipChanged handles one notice from Raft: whatever it says, the
// epoch ends and serving stops, and it returns the new epoch.
func (r *Replicator) leadershipChanged(leader bool) uint64 {
	epoch := r.serving.nextEpoch()
	if !leader {
		r.log.Info("lost leadership; not serving")
	}
	return epoch
}

// servingState packs the leadership epoch and whether this master serves
// into one word, and every change is one compare-and-swap of that word: a
// leader that caught up in an epoch that has ended since (leadership lost,
// or Close) cannot start serving, however the goroutines interleave.
type servingState struct{ word atomic.Uint64 }

// Load reports whether this master serves.
func (s *servingState) Load() bool { return s.word.Load()&1 == 1 }

func (s *servingState) epoch() uint64 { return s.word.Load() >> 1 }

// nextEpoch ends the current epoch, not serving, and returns the new one.
func (s *servingState) nextEpoch() uint64 {
	for {
		old := s.word.Load()
		epoch := old>>1 + 1
		if s.word.CompareAndSwap(old, epoch<<1) {
			return epoch
		}
	}
}

// serveIn starts serving, unless epoch has ended.
func (s *servingState) serveIn(epoch uint64) bool {
	return s.word.CompareAndSwap(epoch<<1, epoch<<1|1)
}

func (r *Replicator) observe(o hraft.Observation) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch d := o.Data.(type) {
	case hraft.FailedHeartbeatObservation:
		r.peerFailing[d.PeerID] = true
		r.peerContact[d.PeerID] = d.LastContact
	case hraft.ResumedHeartbeatObservation:
		r.peerFailing[d.PeerID] = false
		r.peerContact[d.PeerID] = time.Now()
	case hraft.LeaderObservation:
		r.observeLeader(d.LeaderID)
	}
}

// observeLeader notes a change of leader ("" for none), named by its
// server ID as leaderID explains. Raft clears the leader only once it has
// heard nothing for the heartbeat timeout, so a lost leader is counted
// gone from the last time this master heard from it: writes stopped about
// then, not when Raft gave up on it.
func (r *Replicator) observeLeader(id hraft.ServerID) {
	now := time.Now()
	if id != "" {
		r.leaders.Observe(now, r.rpcAddressOrJournal(string(id)), r.raft.CurrentTerm())
		return
	}
	lost := now
	if last := r.raft.LastContact(); !last.IsZero() && last.Before(now) {
		lost = last
	}
	r.leaders.Observe(lost, "", 0)
}

// rpcAddressOrJournal names a master by its RPC address, as the rest of
// the UI does, or by its journal address when the lists do not tell.
func (r *Replicator) rpcAddressOrJournal(journalAddr string) string {
	if rpc := rpcAddressFor(journalAddr, r.opts.Peers, r.opts.RPCAddresses); rpc != "" {
		return rpc
	}
	return journalAddr
}

// Election implements ha.ElectionReporter: the leader changes this
// master observed since it started, with their terms.
func (r *Replicator) Election() ha.Election { return r.leaders.Election() }

// establish makes the leader of epoch serve once it has applied every
// entry of earlier terms, if that epoch is still the current one then.
func (r *Replicator) establish(epoch uint64) {
	start := time.Now()
	if err := r.await(r.raft.Barrier(r.opts.ApplyTimeout)); err != nil {
		if r.serving.epoch() == epoch {
			r.log.Error("new leader could not catch up; giving leadership away", "error", err)
			r.raft.LeadershipTransfer()
		}
		return
	}
	if r.beforeServing != nil {
		r.beforeServing()
	}
	if !r.serving.serveIn(epoch) {
		return // leadership changed again meanwhile, or the master closed
	}
	r.log.Info("leader caught up and serving", "catchup", time.Since(start), "applied_index", r.fsm.AppliedIndex())
}

// Propose implements ha.Replicator.
func (r *Replicator) Propose(ctx context.Context, e *journalpb.Entry) (fsm.Result, error) {
	if !r.serving.Load() {
		return fsm.Result{}, r.notLeader()
	}
	data, err := fsm.EncodeEntry(e)
	if err != nil {
		return fsm.Result{}, fserr.New(fserr.InvalidArgument, "%v", err)
	}
	timeout := timeoutFrom(ctx, r.opts.ApplyTimeout)
	if timeout <= 0 {
		return fsm.Result{}, fserr.New(fserr.Unavailable, "request deadline passed before it was journaled")
	}
	f := r.raft.Apply(data, timeout)
	if err := r.await(f); err != nil {
		switch {
		case errors.Is(err, hraft.ErrNotLeader):
			// Refused before it reached the log.
			return fsm.Result{}, r.notLeader()
		case errors.Is(err, hraft.ErrEnqueueTimeout):
			return fsm.Result{}, fserr.New(fserr.Unavailable, "embedded journal is busy: %v", err)
		default:
			// ErrLeadershipLost, shutdown, or a timeout after the entry
			// was sent: it may yet commit.
			return fsm.Result{}, &fserr.Error{Code: fserr.OutcomeUnknown, Message: "leadership lost while committing: " + err.Error(), LeaderHint: r.leaderRPC()}
		}
	}
	res, ok := f.Response().(fsm.Result)
	if !ok {
		return fsm.Result{}, fserr.New(fserr.Internal, "unexpected apply response %T", f.Response())
	}
	return res, nil
}

func (r *Replicator) notLeader() error {
	hint := r.leaderRPC()
	if hint == "" {
		return &fserr.Error{Code: fserr.Unavailable, Message: "no leader yet: an election is in progress"}
	}
	return &fserr.Error{Code: fserr.NotLeader, Message: "this master is a standby; the leader is " + hint, LeaderHint: hint}
}

// leaderRPC maps the Raft leader to its RPC address.
func (r *Replicator) leaderRPC() string {
	id := r.leaderID()
	if id == "" {
		return ""
	}
	if id == hraft.ServerID(r.opts.LocalAddress) && !r.serving.Load() {
		return "" // we lead by Raft but do not serve yet
	}
	return rpcAddressFor(string(id), r.opts.Peers, r.opts.RPCAddresses)
}

// leaderID names the leader by its server ID, which is its configured
// journal address. Its Raft address is not: the TCP transport advertises
// the address a host name resolved to, so masters configured by name (as in
// Docker) would never match it against their lists.
func (r *Replicator) leaderID() hraft.ServerID {
	_, id := r.raft.LeaderWithID()
	return id
}

// rpcAddressFor finds a master's RPC address from its journal address: the
// RPC address on the same host, or when several masters share a host, the
// one at the same position in the lists.
func rpcAddressFor(raftAddr string, peers, rpcs []string) string {
	host, _, err := net.SplitHostPort(raftAddr)
	if err != nil {
		return ""
	}
	var match []string
	for _, a := range rpcs {
		if h, _, err := net.SplitHostPort(a); err == nil && h == host {
			match = append(match, a)
		}
	}
	if len(match) == 1 {
		return match[0]
	}
	for i, p := range peers {
		if p == raftAddr && i < len(rpcs) {
			return rpcs[i]
		}
	}
	return ""
}

// VerifyRead implements ha.Replicator: the leader confirms with a quorum that
// it still leads; concurrent reads share one confirmation round.
func (r *Replicator) VerifyRead(ctx context.Context) error {
	if r.opts.UnsafeStaleReads {
		return nil
	}
	if !r.serving.Load() {
		return r.notLeader()
	}
	if err := r.reads.Wait(ctx); err != nil {
		if errors.Is(err, hraft.ErrNotLeader) || errors.Is(err, hraft.ErrLeadershipLost) {
			return r.notLeader()
		}
		return fserr.New(fserr.Unavailable, "cannot confirm leadership: %v", err)
	}
	return nil
}

// Checkpoint implements ha.Replicator: a Raft snapshot now, which is also
// archived on the shared UFS when an archive is configured.
func (r *Replicator) Checkpoint(ctx context.Context) (ha.CheckpointInfo, error) {
	f := r.raft.Snapshot()
	if err := f.Error(); err != nil {
		if errors.Is(err, hraft.ErrNothingNewToSnapshot) {
			r.mu.Lock()
			defer r.mu.Unlock()
			return ha.CheckpointInfo{Location: "(no new entries since the snapshot at index " + fmt.Sprint(r.lastSnapIndex) + ")", Index: r.lastSnapIndex}, nil
		}
		return ha.CheckpointInfo{}, fserr.New(fserr.Unavailable, "snapshot failed: %v", err)
	}
	meta, rc, err := f.Open()
	if err != nil {
		return ha.CheckpointInfo{}, err
	}
	rc.Close()
	return ha.CheckpointInfo{Location: filepath.Join(r.opts.Dir, "snapshots", meta.ID), Index: meta.Index}, nil
}

// Status implements ha.Replicator.
func (r *Replicator) Status() ha.Status {
	r.mu.Lock()
	last, lastIdx := r.lastSnapshot, r.lastSnapIndex
	r.mu.Unlock()
	applied := r.fsm.AppliedIndex()
	return ha.Status{
		JournalType:            "EMBEDDED",
		Leader:                 r.serving.Load(),
		LeaderRPCAddress:       r.leaderRPC(),
		AppliedIndex:           applied,
		EntriesSinceCheckpoint: applied - min(lastIdx, applied),
		LastCheckpointTime:     last,
		ClusterID:              r.fsm.ClusterID(),
	}
}

// StepDown hands leadership to another voter and returns once Raft has
// done so, without waiting for the new leader to serve (see
// TransferLeadership for a transfer to a named member that does).
func (r *Replicator) StepDown() error {
	return r.raft.LeadershipTransfer().Error()
}

// Close shuts Raft down, waits for the background goroutines and closes
// the stores. It is safe on a replicator whose start-up failed part way.
func (r *Replicator) Close() error {
	var err error
	r.closeOnce.Do(func() {
		r.serving.nextEpoch()
		close(r.stop)
		if r.raft != nil {
			if r.observer != nil {
				r.raft.DeregisterObserver(r.observer)
			}
			err = r.raft.Shutdown().Error()
		}
		r.background.Wait()
		r.closeStores()
	})
	return err
}

// raftFSM adapts the namespace to raft.FSM.
type raftFSM struct{ r *Replicator }

func (a *raftFSM) Apply(l *hraft.Log) any {
	e, err := fsm.DecodeEntry(l.Data)
	if err != nil {
		// Replicas must not diverge: an entry this master cannot decode
		// stops it, and an operator upgrades it before it rejoins.
		a.r.log.Error("cannot decode committed journal entry; stopping", "index", l.Index, "error", err)
		panic(fmt.Sprintf("journal entry %d: %v", l.Index, err))
	}
	return a.r.fsm.Apply(l.Index, e)
}

// Snapshot serialises the namespace now, while Raft holds off applies; the
// bytes are then persisted while applying goes on.
func (a *raftFSM) Snapshot() (hraft.FSMSnapshot, error) {
	buf := &snapshotBuffer{}
	h, err := a.r.fsm.WriteCheckpoint(buf)
	if err != nil {
		return nil, err
	}
	return &fsmSnapshot{r: a.r, data: buf, header: h}, nil
}

func (a *raftFSM) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	h, err := a.r.restoreNamespace(rc)
	if err != nil {
		return fmt.Errorf("restore snapshot: %w", err)
	}
	a.r.log.Info("restored namespace from snapshot", "applied_index", h.AppliedIndex, "inodes", h.InodeCount)
	return nil
}

type fsmSnapshot struct {
	r      *Replicator
	data   *snapshotBuffer
	header fsm.CheckpointHeader
}

func (s *fsmSnapshot) Persist(sink hraft.SnapshotSink) error {
	if _, err := s.data.WriteTo(sink); err != nil {
		sink.Cancel()
		return err
	}
	if err := sink.Close(); err != nil {
		return err
	}
	s.r.mu.Lock()
	s.r.lastSnapshot = time.Now()
	s.r.lastSnapIndex = s.header.AppliedIndex
	s.r.mu.Unlock()
	if s.r.opts.Checkpoints != nil {
		if loc, err := s.r.opts.Checkpoints.Write(context.Background(), s.header.AppliedIndex, s.data); err != nil {
			s.r.log.Error("could not archive checkpoint on the UFS", "error", err)
		} else {
			s.r.log.Info("archived checkpoint", "location", loc, "bytes", s.data.size)
		}
	}
	return nil
}

func (s *fsmSnapshot) Release() {}

// timeoutFrom is def, or less when ctx ends sooner: Raft's calls take a
// timeout, not a context.
func timeoutFrom(ctx context.Context, def time.Duration) time.Duration {
	if dl, ok := ctx.Deadline(); ok {
		return min(def, time.Until(dl))
	}
	return def
}

// AwaitLiveLeader implements ha.LeaderAwaiter. It polls because Raft
// signals no change when a leader merely falls silent; the poll runs only
// while an election is due or under way, never in steady state.
func (r *Replicator) AwaitLiveLeader(ctx context.Context) {
	if r.leaderIsLive() {
		return
	}
	wait := r.electionBound()
	if deadline, ok := ctx.Deadline(); ok {
		// Leave the caller half its time to act on the answer.
		wait = min(wait, time.Until(deadline)/2)
	}
	limit := time.NewTimer(wait)
	defer limit.Stop()
	tick := time.NewTicker(r.opts.Timing.HeartbeatTimeout / 40)
	defer tick.Stop()
	for !r.leaderIsLive() {
		select {
		case <-ctx.Done():
			return
		case <-limit.C:
			return
		case <-r.stop:
			return
		case <-tick.C:
		}
	}
}

// leaderIsLive says whether this master serves, or another master leads
// and was heard from lately.
func (r *Replicator) leaderIsLive() bool {
	if r.serving.Load() {
		return true
	}
	id := r.leaderID()
	if id == "" || id == hraft.ServerID(r.opts.LocalAddress) {
		return false
	}
	return time.Since(r.raft.LastContact()) < r.silence()
}

// silence is how long a follower may hear nothing from a live leader:
// Raft's leader heartbeats every HeartbeatTimeout/10 to /5, so a quarter
// of the timeout is two missed heartbeats, and far below the timeout after
// which the follower starts an election.
func (r *Replicator) silence() time.Duration { return r.opts.Timing.HeartbeatTimeout / 4 }

// electionBound is the longest a failover normally takes: a follower
// notices a silent leader within three heartbeat timeouts (its check is
// randomised in [T, 2T] and the first check may come too early), and a
// split vote costs up to two election timeouts more.
func (r *Replicator) electionBound() time.Duration {
	return 3*r.opts.Timing.HeartbeatTimeout + 2*r.opts.Timing.ElectionTimeout
}
