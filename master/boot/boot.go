// Package boot starts a Halo master in any HA mode: it checks the
// configuration, loads TLS and the shared secret, opens and recovers the
// mode's journal (importing a backup given with -i), builds the
// replicator and serves. It also formats journals. cmd/halo's commands
// are thin wrappers around it, and tests may use it to run a master in
// the test's own process.
package boot

import (
	"context"
	"fmt"
	"os/user"

	"github.com/halo-fs/halo/conf"
	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/master"
	"github.com/halo-fs/halo/master/alluxiorpc"
	"github.com/halo-fs/halo/master/backup"
	"github.com/halo-fs/halo/master/halorpc"
	"github.com/halo-fs/halo/ufs/adapters"
	"github.com/hashicorp/go-hclog"
)

// Running is a master that serves until Close, or until its replicator
// fails (ZooKeeper mode ends a demoted leader's process that way).
type Running struct {
	Master *master.Master
	log    hclog.Logger
	failed <-chan error // nil when the mode's replicator cannot fail on its own
	stop   context.CancelFunc
}

// Open starts a master of cfg.HA: it recovers the namespace, opens the
// RPC port, serving Halo's API and Alluxio's, and the web port and, once the master leads, makes the root mount and
// proposes the retry-cache settings. ctx bounds the start-up only.
func Open(ctx context.Context, cfg *conf.Config, log hclog.Logger) (*Running, error) {
	if err := retryCacheSettings(cfg).Validate(); err != nil {
		return nil, fmt.Errorf("%s, %s: %w", conf.KeyRetryCacheSize, conf.KeyRetryCacheRetention, err)
	}
	var open func(context.Context, *conf.Config, master.Config, *Security) (*master.Master, <-chan error, error)
	switch cfg.HA {
	case conf.HANone:
		open = openLocal
	case conf.HARaft:
		open = openRaft
	case conf.HAZooKeeper:
		open = openZooKeeper
	default:
		return nil, fmt.Errorf("--ha=%s is not available in this build yet; use --ha=raft or --ha=none", cfg.HA)
	}
	// Every mode serves with the same authentication, TLS and permission
	// settings; the Raft mode also builds its journal port's security from
	// them.
	sec, err := LoadSecurity(cfg)
	if err != nil {
		return nil, err
	}
	sc := serverConfig(cfg, log)
	sec.applyTo(&sc, cfg)
	m, failed, err := open(ctx, cfg, sc, sec)
	if err != nil {
		return nil, err
	}
	m.Extend(halorpc.Extension(m))
	m.Extend(alluxiorpc.Extension(m))
	if err := m.Start(); err != nil {
		m.Stop()
		return nil, err
	}
	leading, stop := context.WithCancel(context.Background())
	go m.EnsureRootMountWhenLeading(leading)
	go m.KeepRetryCacheSettings(leading)
	go m.PersistWhenLeading(leading)
	return &Running{Master: m, log: log, failed: failed, stop: stop}, nil
}

// Wait serves until ctx ends (a clean stop, in which a leader first hands
// its role to another master) or the replicator fails (an error), and
// stops the master either way.
func (r *Running) Wait(ctx context.Context) error {
	select {
	case <-ctx.Done():
		r.log.Info("stopping master")
		if err := r.Master.HandOverLeadership(); err != nil {
			r.log.Warn("could not hand leadership over before stopping; the others elect a leader after their election timeout", "error", err)
		}
		return r.Close()
	case err := <-r.failed:
		r.Close()
		return fmt.Errorf("master stopped: %w", err)
	}
}

// Close stops serving and closes the replicator and its journal.
func (r *Running) Close() error {
	r.stop()
	return r.Master.Stop()
}

// fsmConfig gives "/" to the master's own user, as Alluxio does.
func fsmConfig(cfg *conf.Config) fsm.Config {
	fc := fsm.DefaultConfig()
	fc.RootOwner = cfg.LoginUser
	fc.RootGroup = primaryGroupOf(cfg.LoginUser)
	return fc
}

func primaryGroupOf(name string) string {
	u, err := user.Lookup(name)
	if err != nil {
		return name
	}
	g, err := user.LookupGroupId(u.Gid)
	if err != nil {
		return name
	}
	return g.Name
}

func serverConfig(cfg *conf.Config, log hclog.Logger) master.Config {
	return master.Config{
		Hostname:        cfg.Hostname,
		BindHost:        cfg.BindHost,
		RPCPort:         cfg.RPCPort,
		WebPort:         cfg.WebPort,
		HAMode:          cfg.HA,
		MasterAddresses: cfg.RPCAddresses,
		RaftAddresses:   cfg.EmbeddedJournalAddresses,
		ZooKeeper:       cfg.ZooKeeperAddresses,
		JournalFolder:   cfg.JournalFolder,
		SuperUser:       cfg.LoginUser,
		SuperGroup:      cfg.SuperGroup,
		RootUFS:         cfg.MountTableRootUFS,
		BackupDirectory: cfg.BackupDirectory,
		DailyBackup: backup.Daily{
			Enabled:  cfg.DailyBackupEnabled,
			At:       cfg.DailyBackupTime,
			Retained: cfg.DailyBackupFilesRetained,
		},
		UFS:           adapters.NewRegistry(),
		UFSOptions:    ufsOptions(cfg),
		Logger:        log,
		RetryCache:    retryCacheSettings(cfg),
		MaxEntryBytes: int(cfg.EmbeddedJournalEntrySizeMax),
		WorkerTimeout: cfg.WorkerTimeout,
		LogFile:       cfg.LogFile("master"),

		UnsafeStaleReads: cfg.UnsafeStaleReads,

		ClusterConfiguration: cfg.Describe(),
	}
}

// retryCacheSettings are the exactly-once table limits this master
// proposes when it leads.
func retryCacheSettings(cfg *conf.Config) *fsm.OperationTableSettings {
	return &fsm.OperationTableSettings{Enabled: cfg.RetryCacheEnabled, MaxRecords: uint64(cfg.RetryCacheSize), Retention: cfg.RetryCacheRetention}
}
