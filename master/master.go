// Package master is the Halo master process: its operations, mounts,
// limits and quorum administration over the replicator of the configured
// HA mode (packages ha/local, ha/raft and ha/zookeeper), which it sees only
// as an ha.Replicator, and its RPC port, where each external API is an
// Extension: package master/halorpc serves Halo's own API, package
// master/alluxiorpc Alluxio's. Who calls is package master/identity, the
// web port package master/web, backups package master/backup; package
// master/boot starts it in a given mode with both APIs.
//
// ops.go is the one place where a request becomes journal entries, whatever
// API it came through: Go operations on *Master (CreateFile, Rename,
// SetAttribute, Mount, …) that each API's handlers call after translating
// their wire messages.
package master

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/halo-fs/halo/conf"
	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/ha"
	"github.com/halo-fs/halo/ha/state"
	"github.com/halo-fs/halo/master/backup"
	"github.com/halo-fs/halo/master/blockmaster"
	"github.com/halo-fs/halo/master/identity"
	"github.com/halo-fs/halo/master/web"
	"github.com/halo-fs/halo/proto/halopb"
	"github.com/halo-fs/halo/proto/journalpb"
	"github.com/halo-fs/halo/ufs"
	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
)

// ufsOptions merges a mount's own options over the deployment's.
func (m *Master) ufsOptions(own map[string]string) map[string]string {
	out := make(map[string]string, len(m.cfg.UFSOptions)+len(own))
	for k, v := range m.cfg.UFSOptions {
		out[k] = v
	}
	for k, v := range own {
		out[k] = v
	}
	return out
}

// Version is reported by masters and the CLI.
const Version = "0.1.0"

// Config holds what a running master needs. cmd/halo builds it from the
// deployment's properties.
type Config struct {
	Hostname        string // the name clients and peers use for this master
	BindHost        string // listen address; "" means Hostname
	RPCPort         int    // 0 picks a free port (tests)
	WebPort         int    // 0 picks a free port; -1 disables the web server
	HAMode          conf.HAMode
	MasterAddresses []string // every master's RPC address, for reports
	RaftAddresses   []string
	ZooKeeper       []string
	JournalFolder   string
	SuperUser       string // the master's own user
	SuperGroup      string
	RootUFS         string // alluxio.master.mount.table.root.ufs; "" leaves / unmounted
	BackupDirectory string // alluxio.master.backup.directory
	DailyBackup     backup.Daily
	UFS             *ufs.Registry
	// UFSOptions are the deployment's UFS settings (credentials, endpoints),
	// the defaults under any mount's own options.
	UFSOptions  map[string]string
	Logger      hclog.Logger
	GRPCOptions []grpc.ServerOption
	// RetryCache are the exactly-once table limits this master proposes
	// when it leads (see KeepRetryCacheSettings); nil proposes none.
	RetryCache *fsm.OperationTableSettings
	// MaxEntryBytes is the largest journal entry a request may make
	// (alluxio.master.embedded.journal.entry.size.max); 0 means
	// DefaultMaxEntryBytes, and at most MaxEntryBytesCeiling.
	MaxEntryBytes int

	// Authentication is alluxio.security.authentication.type ("" means
	// SIMPLE); Secret is the shared secret SECRET mode checks.
	Authentication identity.Authentication
	Secret         []byte
	// TLS is the server side of mutual TLS (halo.security.tls.*), nil
	// without it. The web port uses it too in CERTIFICATE mode.
	TLS *tls.Config
	// Umask (alluxio.security.authorization.permission.umask) turns the
	// default modes 0666 and 0777 into those of new files and folders.
	Umask uint32
	// PermissionsDisabled is alluxio.security.authorization.permission.enabled=false.
	PermissionsDisabled bool
	// TrustAssertedSuperuser believes the superuser a SIMPLE client names,
	// and lets NOSASL clients administer, as Alluxio does.
	TrustAssertedSuperuser bool
	// ClusterConfiguration is every resolved property with its source,
	// which clients load from the master (Alluxio's GetConfiguration).
	ClusterConfiguration []conf.KeyValue
	// DigestInterval is the least time between two namespace walks of
	// /checkpoint/digest; 0 means DefaultDigestInterval.
	DigestInterval time.Duration
	// WorkerTimeout is alluxio.master.worker.timeout: a worker silent this
	// long is lost; 0 never loses one.
	WorkerTimeout time.Duration
	// PeerDialOptions are what this master needs to call another's RPC
	// port (the web UI asks the leader for its web port).
	PeerDialOptions []grpc.DialOption
	// LogFile is this master's log file, which the web UI's Logs page
	// shows; "" when it writes none.
	LogFile string
	// UnsafeStaleReads (halo.test.unsafe.stale.reads, test only) lets a
	// standby answer reads from its own replica, so that the failover
	// checker can prove it notices stale reads.
	UnsafeStaleReads bool
}

// Master is one running master process.
type Master struct {
	cfg        Config
	log        hclog.Logger
	fsm        *fsm.FSM
	replicator ha.Replicator
	ids        *identity.Identities
	metrics    *web.Metrics
	started    time.Time

	rpcListener net.Listener
	grpcServer  *grpc.Server
	webPort     *web.Server
	backups     *backup.Backups
	stopOnce    sync.Once
	// stopping is closed when Stop begins, to end the streams clients
	// keep open (channel authentication) that a graceful stop would
	// otherwise wait for.
	stopping chan struct{}
	// stopBackground ends the leader's periodic work (daily backups).
	stopBackground context.CancelFunc

	extensions  []Extension
	workers     *blockmaster.Table
	allocations blockAllocations
}

// New creates a master around a recovered namespace and its replicator.
// Call Start to serve.
func New(cfg Config, f *fsm.FSM, newReplicator func(*web.Metrics) ha.Replicator) *Master {
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	if cfg.BindHost == "" {
		cfg.BindHost = cfg.Hostname
	}
	if cfg.MaxEntryBytes == 0 {
		cfg.MaxEntryBytes = DefaultMaxEntryBytes
	}
	if cfg.Authentication == "" {
		cfg.Authentication = identity.Simple
	}
	m := &Master{cfg: cfg, log: cfg.Logger, fsm: f, started: time.Now(), stopBackground: func() {}, stopping: make(chan struct{})}
	m.workers = blockmaster.New(blockmaster.Config{Timeout: cfg.WorkerTimeout})
	m.ids = identity.New(identity.Config{
		SuperUser: cfg.SuperUser, SuperGroup: cfg.SuperGroup,
		Authentication: cfg.Authentication, PermissionsDisabled: cfg.PermissionsDisabled,
		TrustAssertedSuperuser: cfg.TrustAssertedSuperuser,
	})
	m.metrics = web.NewMetrics(
		func() float64 { return float64(f.InodeCount()) },
		func() float64 { return float64(f.AppliedIndex()) },
		func() float64 { return float64(m.replicator.Status().EntriesSinceCheckpoint) },
		func() float64 {
			if m.replicator.Status().Leader {
				return 1
			}
			return 0
		},
	)
	m.replicator = newReplicator(m.metrics)
	m.webPort = web.New(web.Config{
		Replicator: m.replicator, FSM: f, Metrics: m.metrics.Registry, DigestInterval: cfg.DigestInterval,
		Operators: web.OperatorsFor(cfg.Authentication), Secret: cfg.Secret, TLS: cfg.TLS, Logger: cfg.Logger,
		UI: m, LogFile: cfg.LogFile,
	})
	m.backups = backup.New(backup.Config{
		Directory: cfg.BackupDirectory, RootUFS: cfg.RootUFS, UFS: cfg.UFS, UFSOptions: m.ufsOptions(nil),
		Hostname: cfg.Hostname, Daily: cfg.DailyBackup, Logger: cfg.Logger,
	}, f, m.replicator)
	return m
}

// Backup writes the namespace to a backup directory (see
// backup.Backups.Write). Like Mount, it checks its argument, then that
// an administrator asks.
func (m *Master) Backup(ctx context.Context, req *halopb.BackupRequest) (*halopb.BackupResponse, error) {
	if err := ValidateBackupFolder(req.Directory); err != nil {
		return nil, err
	}
	if err := m.ids.Admin(ctx, "take a backup"); err != nil {
		return nil, err
	}
	written, err := m.backups.Write(ctx, req.Directory, req.Local)
	if err != nil {
		return nil, err
	}
	return &halopb.BackupResponse{BackupHost: written.Host, BackupUri: written.URI, EntryCount: written.EntryCount}, nil
}

// Start opens the RPC and web ports and serves until Stop.
func (m *Master) Start() error {
	if m.cfg.MaxEntryBytes < 0 || m.cfg.MaxEntryBytes > MaxEntryBytesCeiling {
		return fmt.Errorf("journal entry limit of %d bytes is outside 1-%d", m.cfg.MaxEntryBytes, MaxEntryBytesCeiling)
	}
	rpcAddr := net.JoinHostPort(m.cfg.BindHost, strconv.Itoa(m.cfg.RPCPort))
	l, err := net.Listen("tcp", rpcAddr)
	if err != nil {
		return fmt.Errorf("master RPC port %s: %w", rpcAddr, err)
	}
	m.rpcListener = l
	unary := []grpc.UnaryServerInterceptor{m.unaryInterceptor}
	stream := []grpc.StreamServerInterceptor{m.streamInterceptor}
	for _, e := range m.extensions {
		if e.Unary != nil {
			unary = append(unary, e.Unary)
		}
		if e.Stream != nil {
			stream = append(stream, e.Stream)
		}
	}
	opts := append([]grpc.ServerOption{
		grpc.Creds(identity.TransportCredentials(m.cfg.Authentication, m.cfg.TLS, m.cfg.Secret)),
		grpc.ChainUnaryInterceptor(unary...),
		grpc.ChainStreamInterceptor(stream...),
		grpc.MaxRecvMsgSize(m.cfg.MaxEntryBytes + rpcHeadroomBytes),
		grpc.MaxHeaderListSize(maxHeaderListBytes),
	}, m.cfg.GRPCOptions...)
	m.grpcServer = grpc.NewServer(opts...)
	for _, e := range m.extensions {
		e.Register(m.grpcServer)
	}
	go func() {
		if err := m.grpcServer.Serve(l); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
			m.log.Error("RPC server stopped", "error", err)
		}
	}()
	if m.cfg.WebPort >= 0 {
		if err := m.webPort.Serve(net.JoinHostPort(m.cfg.BindHost, strconv.Itoa(m.cfg.WebPort))); err != nil {
			m.grpcServer.Stop()
			return err
		}
	}
	if m.cfg.DailyBackup.Enabled {
		ctx, cancel := context.WithCancel(context.Background())
		m.stopBackground = cancel
		go m.backups.RunDaily(ctx)
	}
	m.log.Info("master serving", "rpc", l.Addr().String(), "web", m.WebAddr(), "ha", m.cfg.HAMode)
	return nil
}

// EnsureRootMount mounts the root UFS at / if nothing is mounted there yet.
func (m *Master) EnsureRootMount(ctx context.Context) error {
	if m.cfg.RootUFS == "" || m.rootMounted() {
		return nil
	}
	entry, err := m.mountEntry(ctx, MountOptions{Path: "/", UfsURI: m.cfg.RootUFS})
	if err != nil {
		return fmt.Errorf("mount root UFS %s: %w", m.cfg.RootUFS, err)
	}
	res, err := m.propose(ctx, &journalpb.Entry{
		TimeMs:  time.Now().UnixMilli(),
		Caller:  &journalpb.Caller{User: m.cfg.SuperUser, Superuser: true},
		Payload: &journalpb.Entry_AddMountPoint{AddMountPoint: entry},
	})
	if err == nil {
		err = res.Error()
	}
	if err != nil {
		return fmt.Errorf("mount root UFS %s: %w", m.cfg.RootUFS, err)
	}
	m.log.Info("mounted root UFS", "ufs", m.cfg.RootUFS)
	return nil
}

// EnsureRootMountWhenLeading waits until this master leads, then mounts
// the root UFS if no master did so yet. It returns once / is mounted (by
// this master or, through the journal, by another) or ctx ends.
func (m *Master) EnsureRootMountWhenLeading(ctx context.Context) {
	if m.cfg.RootUFS == "" {
		return
	}
	delay := 50 * time.Millisecond
	for {
		if m.rootMounted() {
			return
		}
		if m.replicator.Status().Leader {
			if err := m.EnsureRootMount(ctx); err != nil {
				m.log.Error("could not mount the root UFS; will retry", "error", err)
				delay = min(delay*2, 5*time.Second)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
	}
}

func (m *Master) rootMounted() bool {
	for _, mt := range m.fsm.MountTable() {
		if mt.Path == "/" {
			return true
		}
	}
	return false
}

// Stop stops serving and closes the replicator.
func (m *Master) Stop() error {
	var err error
	m.stopOnce.Do(func() {
		close(m.stopping)
		m.stopBackground()
		m.webPort.Close()
		if m.grpcServer != nil {
			stopped := make(chan struct{})
			go func() { m.grpcServer.GracefulStop(); close(stopped) }()
			select {
			case <-stopped:
			case <-time.After(5 * time.Second):
				m.grpcServer.Stop()
			}
		}
		err = m.replicator.Close()
	})
	return err
}

// Stopping is closed once the master has begun to stop: a handler of a
// stream that lasts as long as its client wants ends it then.
func (m *Master) Stopping() <-chan struct{} { return m.stopping }

// RPCAddr is the address the RPC port listens on.
func (m *Master) RPCAddr() string {
	if m.rpcListener == nil {
		return ""
	}
	return m.rpcListener.Addr().String()
}

// WebAddr is the address the web port listens on, "" when disabled.
func (m *Master) WebAddr() string {
	if a := m.webPort.Addr(); a != nil {
		return a.String()
	}
	return ""
}

// advertisedRPC is this master's RPC address as clients should dial it.
func (m *Master) advertisedRPC() string {
	port := m.cfg.RPCPort
	if m.rpcListener != nil {
		port = m.rpcListener.Addr().(*net.TCPAddr).Port
	}
	return net.JoinHostPort(m.cfg.Hostname, strconv.Itoa(port))
}

// Info describes this master for GetMasterInfo and the report.
func (m *Master) Info() *halopb.MasterInfo {
	st := m.replicator.Status()
	own := state.Standby
	leader := st.LeaderRPCAddress
	if st.Leader {
		own = state.Primary
		leader = m.advertisedRPC()
	}
	info := &halopb.MasterInfo{
		LeaderAddress:          leader,
		MasterAddresses:        m.cfg.MasterAddresses,
		Version:                Version,
		StartTimeMs:            m.started.UnixMilli(),
		UptimeMs:               time.Since(m.started).Milliseconds(),
		JournalType:            st.JournalType,
		HaMode:                 string(m.cfg.HAMode),
		EntriesSinceCheckpoint: st.EntriesSinceCheckpoint,
		AppliedIndex:           st.AppliedIndex,
		ZookeeperEnabled:       m.cfg.HAMode == conf.HAZooKeeper,
		ZookeeperAddresses:     m.cfg.ZooKeeper,
		RaftAddresses:          m.cfg.RaftAddresses,
		Hostname:               m.cfg.Hostname,
		InodeCount:             m.fsm.InodeCount(),
		JournalFolder:          m.cfg.JournalFolder,
		State:                  own.String(),
		ClusterId:              st.ClusterID,
	}
	addWorkerSummary(info, m.workers.Summary())
	if !st.LastCheckpointTime.IsZero() {
		info.LastCheckpointTimeMs = st.LastCheckpointTime.UnixMilli()
	}
	if m.rpcListener != nil {
		info.RpcPort = uint32(m.rpcListener.Addr().(*net.TCPAddr).Port)
	}
	if a := m.webPort.Addr(); a != nil {
		info.WebPort = uint32(a.(*net.TCPAddr).Port)
	}
	return info
}

// Workers is this master's worker table: soft state that workers report
// to it, whether it leads or not.
func (m *Master) Workers() *blockmaster.Table { return m.workers }

func addWorkerSummary(info *halopb.MasterInfo, s blockmaster.Summary) {
	info.LiveWorkers = int32(s.Live)
	info.LostWorkers = int32(s.Lost)
	info.CapacityBytes = s.Capacity
	info.UsedBytes = s.Used
	info.CapacityBytesOnTiers = s.CapacityOnTiers
	info.UsedBytesOnTiers = s.UsedOnTiers
}
