package boot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/halo-fs/halo/conf"
	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/ha"
	"github.com/halo-fs/halo/ha/zookeeper"
	ufsjournal "github.com/halo-fs/halo/journal/ufs"
	"github.com/halo-fs/halo/master"
	"github.com/halo-fs/halo/master/web"
	"github.com/halo-fs/halo/ufs"
	"github.com/halo-fs/halo/ufs/adapters"
	"github.com/hashicorp/go-hclog"
)

// openZooKeeper recovers a master of --ha=zookeeper: ZooKeeper elects the
// leader, the journal is the shared UFS folder alluxio.master.journal.folder.
func openZooKeeper(ctx context.Context, cfg *conf.Config, sc master.Config, _ *Security) (*master.Master, <-chan error, error) {
	log := sc.Logger
	j, err := openUFSJournal(ctx, cfg, sc.UFS, log)
	if err != nil {
		return nil, nil, err
	}
	f := fsm.New(fsmConfig(cfg))
	if err := importBackupToUFSJournal(ctx, cfg, sc, j); err != nil {
		j.Close()
		return nil, nil, err
	}
	rec, err := zookeeper.RecoverUFSJournal(ctx, j, f, log.Named("journal"))
	if err != nil {
		j.Close()
		return nil, nil, fmt.Errorf("recover namespace from the shared journal %s: %w", j.URI(), err)
	}
	log.Info("namespace recovered", "inodes", f.InodeCount(), "applied_index", f.AppliedIndex(), "next_batch", rec.Cursor.NextSeq)
	el, err := zookeeper.NewElector(zookeeper.ElectorConfig{
		Servers:        cfg.ZooKeeperAddresses,
		SessionTimeout: cfg.ZooKeeperSessionTimeout,
		ConnectTimeout: cfg.ZooKeeperConnectionTimeout,
		ElectionPath:   cfg.ZooKeeperElectionPath,
		LeaderPath:     cfg.ZooKeeperLeaderPath,
		ID:             cfg.RPCAddress(),
		Policy:         zookeeper.Policy(cfg.ZooKeeperConnectionErrorPolicy),
		Logger:         log,
	})
	if err != nil {
		j.Close()
		return nil, nil, err
	}
	ignoreSessionLoss := cfg.IgnoreZooKeeperSessionLoss
	if ignoreSessionLoss {
		log.Warn("TEST ONLY: " + conf.KeyIgnoreSessionLoss + " is set; a leader keeps serving after its ZooKeeper session ends, until the shared journal fences it")
	}
	if cfg.UnsafeStaleReads {
		log.Warn("TEST ONLY: " + conf.KeyUnsafeStaleReads + " is set; reads are served without confirming leadership and may be stale")
	}
	log.Info("ZooKeeper mode", "zookeeper", strings.Join(cfg.ZooKeeperAddresses, ","), "journal", j.URI(),
		"session_timeout", cfg.ZooKeeperSessionTimeout, "policy", cfg.ZooKeeperConnectionErrorPolicy)
	var rep *zookeeper.Replicator
	m := master.New(sc, f, func(metrics *web.Metrics) ha.Replicator {
		rep = zookeeper.New(zookeeper.Options{
			Journal:                 j,
			Elector:                 el,
			FSM:                     f,
			Recovered:               rec,
			Address:                 cfg.RPCAddress(),
			CheckpointPeriodEntries: cfg.CheckpointPeriodEntries,
			TailerSleep:             cfg.JournalTailerSleepTime,
			Logger:                  log,
			Metrics:                 metrics.Journal,
			ExitOnDemotion:          cfg.ExitOnDemotion,
			UnsafeIgnoreSessionLoss: ignoreSessionLoss,
			UnsafeStaleReads:        cfg.UnsafeStaleReads,
		})
		return rep
	})
	return m, rep.Failed(), nil
}

// journalStore opens alluxio.master.journal.folder as a UFS store. A plain
// path is a local (or NFS-mounted) folder. Adapter options are those of
// ufsOptions: alluxio.master.journal.ufs.option.<key> wins.
func journalStore(ctx context.Context, cfg *conf.Config, registry *ufs.Registry) (ufs.Store, error) {
	folder := cfg.JournalFolder
	if !strings.Contains(folder, "://") && !filepath.IsAbs(folder) {
		abs, err := filepath.Abs(folder)
		if err != nil {
			return nil, err
		}
		folder = abs
	}
	store, err := registry.Open(ctx, folder, ufsOptions(cfg))
	if err != nil {
		return nil, fmt.Errorf("%s=%s: %w", conf.KeyJournalFolder, cfg.JournalFolder, err)
	}
	return store, nil
}

func openUFSJournal(ctx context.Context, cfg *conf.Config, registry *ufs.Registry, log hclog.Logger) (*ufsjournal.Journal, error) {
	store, err := journalStore(ctx, cfg, registry)
	if err != nil {
		return nil, err
	}
	j, err := ufsjournal.Open(ctx, store, log.Named("journal"))
	if err != nil {
		store.Close()
		switch {
		case errors.Is(err, ufsjournal.ErrNotFormatted):
			return nil, fmt.Errorf("the shared journal folder %s (%s) is not formatted; run `halo format` once, from any master", cfg.JournalFolder, conf.KeyJournalFolder)
		case errors.Is(err, ufsjournal.ErrNoConditionalCreate):
			return nil, fmt.Errorf("%s=%s cannot hold the shared journal: %w", conf.KeyJournalFolder, cfg.JournalFolder, err)
		}
		return nil, err
	}
	return j, nil
}

// formatZooKeeperJournal initialises the shared journal folder, wiping any
// journal already there, and returns the folder's URI.
func formatZooKeeperJournal(ctx context.Context, cfg *conf.Config) (string, error) {
	store, err := journalStore(ctx, cfg, adapters.NewRegistry())
	if err != nil {
		return "", err
	}
	defer store.Close()
	if err := ufsjournal.Format(ctx, store, newClusterID()); err != nil {
		return "", err
	}
	return store.URI(), nil
}

// importBackupToUFSJournal starts an empty shared journal from a backup
// given with -i: the backup becomes checkpoint 0. Every master started with
// the same -i writes the same bytes, and the first one's stays. A journal
// that already holds anything is left alone.
func importBackupToUFSJournal(ctx context.Context, cfg *conf.Config, sc master.Config, j *ufsjournal.Journal) error {
	if cfg.InitFromBackup == "" {
		return nil
	}
	st, err := j.Stat(ctx)
	if err != nil {
		return err
	}
	if st.Batches > 0 || len(st.Checkpoints) > 0 || st.Compacted > 0 {
		sc.Logger.Warn("the shared journal is not empty; ignoring the backup to start from", "backup", cfg.InitFromBackup)
		return nil
	}
	return restoreBackup(ctx, cfg, sc, fsm.New(fsmConfig(cfg)), "shared journal", func(checkpoint func(io.Writer) error) error {
		_, err := j.WriteCheckpoint(ctx, ufsjournal.CheckpointHeader{}, checkpoint)
		return err
	})
}
