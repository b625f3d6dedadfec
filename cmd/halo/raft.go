package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/halo-fs/halo/conf"
	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/server"
	"github.com/halo-fs/halo/ufs/adapters"
)

// checkpointArchiveKey names the shared UFS folder that receives a copy of
// every Raft snapshot. Alluxio has no such key; Halo's own keys use the
// halo. prefix.
const checkpointArchiveKey = "halo.master.checkpoint.archive.folder"

// raftDir is where the embedded journal keeps its log and snapshots.
func raftDir(folder string) string { return filepath.Join(folder, "raft") }

func runRaftMaster(ctx context.Context, cfg *conf.Config, g *globals) error {
	sc := serverConfig(cfg, g)
	log := sc.Logger
	folder, err := localJournalFolder(cfg.JournalFolder)
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(raftDir(folder))); err != nil {
		return fmt.Errorf("journal folder %s is not formatted; run `halo format` first", folder)
	}
	f := fsm.New(fsmConfig(cfg))
	var archive *server.CheckpointArchive
	if uri := cfg.Properties[checkpointArchiveKey]; uri != "" {
		store, err := adapters.NewRegistry().Open(ctx, uri, cfg.PropertiesWithPrefix("alluxio.underfs."))
		if err != nil {
			return fmt.Errorf("%s=%s: %w", checkpointArchiveKey, uri, err)
		}
		archive = &server.CheckpointArchive{Store: store, Log: log.Named("archive")}
	}
	timing := server.DefaultRaftTiming().Scaled(timingMultiplier(cfg))
	rep, err := server.NewRaftReplicator(server.RaftOptions{
		Dir:           raftDir(folder),
		LocalAddress:  cfg.EmbeddedJournalAddress(),
		Peers:         cfg.EmbeddedJournalAddresses,
		RPCAddresses:  cfg.RPCAddresses,
		FSM:           f,
		SnapshotEvery: cfg.CheckpointPeriodEntries,
		Timing:        timing,
		Checkpoints:   archive,
		Logger:        log,
	})
	if err != nil {
		return err
	}
	m := server.New(sc, f, func(*server.Metrics) server.Replicator { return rep })
	return serve(ctx, m, log)
}

// timingMultiplier reads halo.master.embedded.journal.timing.multiplier,
// which scales every Raft timeout for slow or loaded machines.
func timingMultiplier(cfg *conf.Config) float64 {
	var m float64 = 1
	if v := cfg.Properties["halo.master.embedded.journal.timing.multiplier"]; v != "" {
		fmt.Sscanf(v, "%g", &m)
	}
	return m
}
