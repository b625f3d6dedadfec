package worker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/halo-fs/halo/master/blockmaster"
	"github.com/halo-fs/halo/proto/alluxiopb"
	"github.com/halo-fs/halo/worker/blockstore"
	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/protobuf/proto"
)

// Config is what a worker needs to run. ConfigFrom fills it from a
// deployment's properties.
type Config struct {
	// Host is the name masters and clients reach the worker by
	// (alluxio.worker.hostname); BindHost is where it listens.
	Host, BindHost string
	// RPCPort serves Alluxio's BlockWorker service and the channel
	// authentication (alluxio.worker.rpc.port, 29999); WebPort serves
	// /health, /health/ready, /metrics and the web UI
	// (alluxio.worker.web.port, 30000).
	RPCPort, WebPort int
	// Masters are the masters' RPC addresses; with ZooKeeper set, the
	// masters taking part in the election are added as they appear.
	Masters   []string
	ZooKeeper *ZooKeeperConfig
	// HeartbeatInterval is alluxio.worker.block.heartbeat.interval.
	HeartbeatInterval time.Duration
	// HeartbeatTimeout is alluxio.worker.block.heartbeat.timeout: a
	// worker no master has answered for this long stops (Done).
	HeartbeatTimeout time.Duration
	// CallTimeout bounds each heartbeat and commit; RegisterTimeout a
	// whole registration, which carries every block.
	CallTimeout, RegisterTimeout time.Duration
	// User is the user the worker authenticates as.
	User string
	// IdentityFile is halo.worker.identity.file.
	IdentityFile string
	Store        blockstore.Config
	// DialOptions reach the masters (their transport credentials);
	// ServerCredentials and CheckCaller guard the worker's RPC port.
	DialOptions       []grpc.DialOption
	ServerCredentials credentials.TransportCredentials
	CheckCaller       func(ctx context.Context) error

	// LogFile is the worker's log file the web UI's Logs page shows, ""
	// when it writes none; WebRefusal (nil: none) says why a request may
	// not see it, as the RPC port authenticates.
	LogFile    string
	WebRefusal func(*http.Request) string
}

// ZooKeeperConfig is where masters elect their leader.
type ZooKeeperConfig struct {
	Servers        []string
	ElectionPath   string
	SessionTimeout time.Duration
}

func (c *Config) setDefaults() {
	if c.HeartbeatInterval <= 0 {
		c.HeartbeatInterval = time.Second
	}
	if c.CallTimeout <= 0 {
		c.CallTimeout = max(10*time.Second, 3*c.HeartbeatInterval)
	}
	if c.RegisterTimeout <= 0 {
		c.RegisterTimeout = 5 * time.Minute
	}
	if c.BindHost == "" {
		c.BindHost = c.Host
	}
}

// Worker is a running worker.
type Worker struct {
	mounts      mountStores
	cfg         Config
	log         hclog.Logger
	store       *blockstore.Store
	identity    *Identity
	dialOptions []grpc.DialOption
	metrics     *metrics

	// changesMu orders taking the store's changes against registration
	// snapshots, so that every link gets each change exactly once: in a
	// heartbeat or in the report of a registration.
	changesMu sync.Mutex
	linksMu   sync.Mutex
	links     map[string]*link

	// pinnedFrom is the master whose list of pinned files the worker got
	// last, "" when none answered or it stopped answering: only the
	// leader answers, so the others are asked only then (see
	// syncPinnedFiles).
	pinnedMu   sync.Mutex
	pinnedFrom string

	rpc     *grpc.Server
	rpcAddr net.Addr
	web     *http.Server
	webAddr net.Addr

	ctx     context.Context
	stop    context.CancelFunc
	wg      sync.WaitGroup
	done    chan struct{}
	doneErr error
	once    sync.Once
}

// Open claims the worker's identity, opens its store, serves its ports
// and starts reporting to every master. Close stops it.
func Open(cfg Config, log hclog.Logger) (w *Worker, err error) {
	cfg.setDefaults()
	addr := blockmaster.Address{Host: cfg.Host, RPCPort: cfg.RPCPort, DataPort: cfg.RPCPort, WebPort: cfg.WebPort}
	identity, err := ClaimIdentity(cfg.IdentityFile, addr)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			identity.Release()
		}
	}()
	store, err := blockstore.Open(cfg.Store, log.Named("store"))
	if err != nil {
		return nil, fmt.Errorf("open the block store: %w", err)
	}
	ctx, stop := context.WithCancel(context.Background())
	w = &Worker{
		cfg: cfg, log: log, store: store, identity: identity, dialOptions: cfg.DialOptions,
		metrics: newMetrics(), links: map[string]*link{}, ctx: ctx, stop: stop, done: make(chan struct{}),
	}
	if err := w.serve(); err != nil {
		stop()
		w.closeServers()
		store.Close()
		return nil, err
	}
	for _, m := range cfg.Masters {
		w.addMaster(m)
	}
	if cfg.ZooKeeper != nil {
		w.wg.Add(1)
		go func() { defer w.wg.Done(); w.followElection(ctx) }()
	}
	w.wg.Add(1)
	go func() { defer w.wg.Done(); w.watchMasters(ctx) }()
	log.Info("worker serving", "id", identity.ID, "rpc", w.rpcAddr, "web", w.webAddr, "masters", cfg.Masters)
	return w, nil
}

func (w *Worker) serve() error {
	rpcListener, err := net.Listen("tcp", net.JoinHostPort(w.cfg.BindHost, strconv.Itoa(w.cfg.RPCPort)))
	if err != nil {
		return fmt.Errorf("alluxio.worker.rpc.port: %w", err)
	}
	webListener, err := net.Listen("tcp", net.JoinHostPort(w.cfg.BindHost, strconv.Itoa(w.cfg.WebPort)))
	if err != nil {
		rpcListener.Close()
		return fmt.Errorf("alluxio.worker.web.port: %w", err)
	}
	w.rpc = w.newRPCServer()
	w.rpcAddr, w.webAddr = rpcListener.Addr(), webListener.Addr()
	w.web = &http.Server{Handler: w.webHandler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := w.rpc.Serve(rpcListener); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
			w.log.Error("RPC server stopped", "error", err)
		}
	}()
	go func() {
		if err := w.web.Serve(webListener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			w.log.Error("web server stopped", "error", err)
		}
	}()
	return nil
}

// addMaster starts reporting to the master at addr, once.
func (w *Worker) addMaster(addr string) {
	w.linksMu.Lock()
	defer w.linksMu.Unlock()
	if _, ok := w.links[addr]; ok || w.ctx.Err() != nil {
		return
	}
	l := newLink(w, addr)
	w.links[addr] = l
	w.wg.Add(1)
	go func() { defer w.wg.Done(); l.run(w.ctx) }()
}

func (w *Worker) allLinks() []*link {
	w.linksMu.Lock()
	defer w.linksMu.Unlock()
	out := make([]*link, 0, len(w.links))
	for _, l := range w.links {
		out = append(out, l)
	}
	return out
}

// Masters is what the worker knows of each master it reports to.
func (w *Worker) Masters() []Status {
	var out []Status
	for _, l := range w.allLinks() {
		out = append(out, l.status())
	}
	return out
}

// ID is the worker's id.
func (w *Worker) ID() int64 { return w.identity.ID }

// RPCAddr and WebAddr are where the worker listens.
func (w *Worker) RPCAddr() net.Addr { return w.rpcAddr }

// WebAddr is the web port's address.
func (w *Worker) WebAddr() net.Addr { return w.webAddr }

// Done is closed when the worker stops on its own (no master answered
// for HeartbeatTimeout); Err then says why.
func (w *Worker) Done() <-chan struct{} { return w.done }

// Err is why the worker stopped on its own.
func (w *Worker) Err() error {
	select {
	case <-w.done:
		return w.doneErr
	default:
		return nil
	}
}

// watchMasters stops the worker when no master has answered for
// HeartbeatTimeout, as Alluxio's worker exits: a worker nobody hears
// from is lost to the masters anyway.
func (w *Worker) watchMasters(ctx context.Context) {
	if w.cfg.HeartbeatTimeout <= 0 {
		return
	}
	lastHeard := time.Now()
	t := time.NewTicker(w.cfg.HeartbeatInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, s := range w.Masters() {
			if s.LastContact.After(lastHeard) {
				lastHeard = s.LastContact
			}
		}
		if silent := time.Since(lastHeard); silent > w.cfg.HeartbeatTimeout {
			w.finish(fmt.Errorf("no master answered for %s (alluxio.worker.block.heartbeat.timeout=%s)", silent.Round(time.Second), w.cfg.HeartbeatTimeout))
			return
		}
	}
}

func (w *Worker) finish(err error) {
	w.once.Do(func() {
		w.doneErr = err
		close(w.done)
	})
}

// Close stops reporting, stops serving and closes the store; the
// identity is released last, so a successor cannot start before.
func (w *Worker) Close() error {
	w.stop()
	w.closeServers()
	w.wg.Wait()
	w.finish(nil)
	err := w.store.Close()
	return errors.Join(err, w.identity.Release())
}

func (w *Worker) closeServers() {
	if w.rpc != nil {
		w.rpc.Stop()
	}
	if w.web != nil {
		w.web.Close()
	}
}

// collectChanges hands the store's changes since the last call to every
// link and returns the current usage.
func (w *Worker) collectChanges() usage {
	w.changesMu.Lock()
	defer w.changesMu.Unlock()
	w.distributeChanges()
	return w.usage()
}

// usage is the store's space per tier and every folder it lost since it
// opened.
func (w *Worker) usage() usage {
	u := usageOf(w.store.Usage())
	u.lostStorage = w.store.LostStorage()
	return u
}

func (w *Worker) distributeChanges() {
	ch := w.store.TakeChanges()
	if len(ch.Added) == 0 && len(ch.Removed) == 0 {
		return
	}
	for _, l := range w.allLinks() {
		l.record(ch)
	}
}

// snapshotFor is the full report for l's registration; l's pending
// changes, which the report includes, are dropped.
func (w *Worker) snapshotFor(l *link) registration {
	w.changesMu.Lock()
	defer w.changesMu.Unlock()
	w.distributeChanges()
	report := w.store.Report()
	l.mu.Lock()
	l.pending = blockChanges{}
	l.tracking = true
	l.mu.Unlock()
	return registrationOf(report)
}

// deleteBlocks removes blocks a master told the worker to delete.
func (w *Worker) deleteBlocks(ids []int64, master, command string) {
	removed := 0
	for _, id := range ids {
		err := w.store.RemoveBlock(id)
		switch {
		case err == nil:
			removed++
		case !errors.Is(err, blockstore.ErrBlockNotFound):
			w.log.Warn("cannot delete a block the master asked to delete", "block", id, "master", master, "error", err)
		}
	}
	w.log.Info("deleted blocks on the master's command", "command", command, "master", master, "asked", len(ids), "deleted", removed)
}

// standbyCommitWait is how long a write waits for the standbys' commits
// of its block once the leader has its own: on a LAN they arrive with the
// leader's, and a standby cut off by a partition must not hold every write
// up for a call timeout. A standby that misses it learns the block from
// the next heartbeat.
const standbyCommitWait = 250 * time.Millisecond

// commitBlock tells every master the worker holds a newly written block
// before the write is acknowledged, so that the leader can complete the
// file and a standby that takes over knows where the block is. It waits
// for every master, or, when the master that answered the pinned files
// last (the leader) has the commit, for the others at most
// standbyCommitWait more; their commits go on after it returns.
func (w *Worker) commitBlock(ctx context.Context, meta blockstore.BlockMeta) {
	used := usageOf(w.store.Usage()).used[meta.Location.Tier]
	leader := w.pinnedFilesSource()
	links := w.allLinks()
	ctx = context.WithoutCancel(ctx)
	leaderHasIt := make(chan struct{})
	var wg sync.WaitGroup
	for _, l := range links {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := l.commit(ctx, meta.ID, meta.Length, meta.Location.Tier, used)
			switch {
			case err != nil:
				l.log.Debug("block commit left to the next heartbeat", "block", meta.ID, "error", err)
			case l.addr == leader:
				close(leaderHasIt)
			}
		}()
	}
	all := make(chan struct{})
	go func() { wg.Wait(); close(all) }()
	select {
	case <-all:
	case <-leaderHasIt:
		grace := time.NewTimer(standbyCommitWait)
		defer grace.Stop()
		select {
		case <-all:
		case <-grace.C:
		}
	}
}

// netAddress is the worker's address as Alluxio's masters take it.
func (w *Worker) netAddress() *alluxiopb.WorkerNetAddress {
	return &alluxiopb.WorkerNetAddress{
		Host:             proto.String(w.cfg.Host),
		RpcPort:          proto.Int32(int32(w.cfg.RPCPort)),
		DataPort:         proto.Int32(int32(w.cfg.RPCPort)),
		WebPort:          proto.Int32(int32(w.cfg.WebPort)),
		DomainSocketPath: proto.String(""),
		TieredIdentity: &alluxiopb.TieredIdentity{Tiers: []*alluxiopb.LocalityTier{
			{TierName: proto.String("node"), Value: proto.String(w.cfg.Host)},
			{TierName: proto.String("rack")},
		}},
		ContainerHost: proto.String(""),
	}
}
