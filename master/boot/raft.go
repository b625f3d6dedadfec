package boot

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/halo-fs/halo/conf"
	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/ha"
	haraft "github.com/halo-fs/halo/ha/raft"
	"github.com/halo-fs/halo/master"
	"github.com/halo-fs/halo/master/backup"
	"github.com/halo-fs/halo/master/web"
	"github.com/halo-fs/halo/ufs/adapters"
)

// raftDir is where the embedded journal keeps its log and snapshots.
func raftDir(folder string) string { return filepath.Join(folder, "raft") }

// openRaft starts this member of the embedded journal (--ha=raft).
func openRaft(ctx context.Context, cfg *conf.Config, sc master.Config, sec *Security) (*master.Master, <-chan error, error) {
	log := sc.Logger
	folder, err := localJournalFolder(cfg.JournalFolder)
	if err != nil {
		return nil, nil, err
	}
	if _, err := os.Stat(filepath.Join(raftDir(folder))); err != nil {
		return nil, nil, fmt.Errorf("journal folder %s is not formatted; run `halo format` first", folder)
	}
	f := fsm.New(fsmConfig(cfg))
	var archive *haraft.CheckpointArchive
	if uri := cfg.CheckpointArchiveFolder; uri != "" {
		store, err := adapters.NewRegistry().Open(ctx, uri, ufsOptions(cfg))
		if err != nil {
			return nil, nil, fmt.Errorf("%s=%s: %w", conf.KeyCheckpointArchiveFolder, uri, err)
		}
		archive = &haraft.CheckpointArchive{Store: store, Log: log.Named("archive")}
	}
	timing := raftTiming(cfg)
	stream, members, err := sec.raftStreamLayer(cfg, log)
	if err != nil {
		return nil, nil, err
	}
	rep, err := haraft.New(haraft.Options{
		Dir:              raftDir(folder),
		LocalAddress:     cfg.EmbeddedJournalAddress(),
		Peers:            cfg.EmbeddedJournalAddresses,
		RPCAddresses:     cfg.RPCAddresses,
		FSM:              f,
		SnapshotEvery:    cfg.CheckpointPeriodEntries,
		TrailingLogs:     cfg.RaftTrailingLogs,
		Timing:           timing,
		Checkpoints:      archive,
		Logger:           log,
		StreamLayer:      stream,
		UnsafeStaleReads: cfg.UnsafeStaleReads,
		PeerDialOptions:  sec.peerDialOptions(),
		InitialCheckpoint: func(ctx context.Context) ([]byte, string, error) {
			if cfg.InitFromBackup != "" {
				data, err := backup.Read(ctx, sc.UFS, cfg.InitFromBackup, sc.UFSOptions)
				return data, cfg.InitFromBackup, err
			}
			if archive == nil {
				return nil, "", nil
			}
			loc, data, err := archive.RestoreNewest(ctx, fsm.New(fsmConfig(cfg)))
			return data, loc, err
		},
	})
	if err != nil {
		return nil, nil, err
	}
	members.Follow(rep)
	if cfg.UnsafeStaleReads {
		log.Warn("TEST ONLY: halo.test.unsafe.stale.reads is set; reads are served without confirming leadership and may be stale")
	}
	m := master.New(sc, f, func(*web.Metrics) ha.Replicator { return rep })
	return m, nil, nil
}

// raftTiming uses Halo's LAN defaults unless the deployment set Alluxio's
// election timeout explicitly (Alluxio's own 10 s default is meant for
// Ratis and would make every failover take tens of seconds).
func raftTiming(cfg *conf.Config) haraft.Timing {
	t := haraft.DefaultTiming()
	if cfg.Source(conf.KeyElectionTimeoutMin) != conf.SourceDefault {
		t.HeartbeatTimeout = cfg.ElectionTimeoutMin
		t.ElectionTimeout = cfg.ElectionTimeoutMin
		t.LeaderLeaseTimeout = cfg.ElectionTimeoutMin / 2
	}
	return t.Scaled(float64(max(cfg.RaftTimeoutMultiplier, 1)))
}
