package boot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/halo-fs/halo/conf"
	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/ha"
	"github.com/halo-fs/halo/ha/local"
	"github.com/halo-fs/halo/journal"
	"github.com/halo-fs/halo/master"
	"github.com/halo-fs/halo/master/alluxioimport"
	"github.com/halo-fs/halo/master/backup"
	"github.com/halo-fs/halo/master/web"
)

// openLocal recovers a single master (--ha=none) from its local journal.
func openLocal(ctx context.Context, cfg *conf.Config, sc master.Config, _ *Security) (*master.Master, <-chan error, error) {
	log := sc.Logger
	folder, err := localJournalFolder(cfg.JournalFolder)
	if err != nil {
		return nil, nil, err
	}
	j, err := journal.Open(journal.Options{Dir: folder, Logger: log.Named("journal")})
	if err != nil {
		if errors.Is(err, journal.ErrNotFormatted) {
			return nil, nil, fmt.Errorf("journal folder %s is not formatted; run `halo format` first", folder)
		}
		return nil, nil, err
	}
	f := fsm.New(fsmConfig(cfg))
	start := time.Now()
	imported, err := importBackup(ctx, cfg, sc, j, f)
	if err != nil {
		j.Close()
		return nil, nil, err
	}
	// An imported namespace is already in f, and the journal holds nothing
	// after its checkpoint: decoding that again would only double the
	// start of a large namespace.
	if !imported {
		if _, err := local.RecoverFSM(j, f, log); err != nil {
			j.Close()
			return nil, nil, fmt.Errorf("recover namespace from %s: %w", folder, err)
		}
	}
	log.Info("namespace recovered", "inodes", f.InodeCount(), "applied_index", f.AppliedIndex(), "duration", time.Since(start))
	m := master.New(sc, f, func(metrics *web.Metrics) ha.Replicator {
		return local.New(local.Options{
			Journal: j, FSM: f, CheckpointPeriodEntries: cfg.CheckpointPeriodEntries, Logger: log, Metrics: metrics.Journal,
		})
	})
	return m, nil, nil
}

// importBackup restores a backup given with -i into an empty local
// journal and into f, as Alluxio does, and says whether it did; a journal
// that already holds entries is left alone (the backup is ignored with a
// warning), so a restart with the same command line never rolls the
// namespace back.
func importBackup(ctx context.Context, cfg *conf.Config, sc master.Config, j *journal.Journal, f *fsm.FSM) (imported bool, err error) {
	if cfg.InitFromBackup == "" {
		return false, nil
	}
	cps, err := j.Checkpoints()
	if err != nil {
		return false, err
	}
	if j.LastIndex() > 0 || len(cps) > 0 {
		sc.Logger.Warn("journal is not empty; ignoring the backup to start from", "backup", cfg.InitFromBackup)
		return false, nil
	}
	err = restoreBackup(ctx, cfg, sc, f, "journal", func(checkpoint func(io.Writer) error) error {
		_, err := j.WriteCheckpoint(0, checkpoint)
		return err
	})
	return err == nil, err
}

// restoreBackup reads the backup given with -i into f as the namespace at
// index 0 and hands its checkpoint to write; into names the journal
// written to in errors.
func restoreBackup(ctx context.Context, cfg *conf.Config, sc master.Config, f *fsm.FSM, into string, write func(checkpoint func(io.Writer) error) error) error {
	data, err := readInitialBackup(ctx, cfg, sc)
	if err != nil {
		return err
	}
	h, err := f.Restore(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("backup %s: %w", cfg.InitFromBackup, err)
	}
	f.ResetAppliedIndex(0)
	if err := write(func(w io.Writer) error { _, err := f.WriteCheckpoint(w); return err }); err != nil {
		return fmt.Errorf("write the imported namespace to the %s: %w", into, err)
	}
	sc.Logger.Info("restored namespace from backup", "backup", cfg.InitFromBackup, "inodes", h.InodeCount)
	return nil
}

// readInitialBackup reads the backup given with -i as a Halo checkpoint:
// a Halo backup as it is, an Alluxio backup translated (see package
// alluxioimport), whichever the content is.
func readInitialBackup(ctx context.Context, cfg *conf.Config, sc master.Config) ([]byte, error) {
	data, err := backup.Read(ctx, sc.UFS, cfg.InitFromBackup, sc.UFSOptions)
	if err != nil || fsm.LooksLikeCheckpoint(data) {
		return data, err
	}
	if !alluxioimport.IsBackup(data) {
		return nil, fmt.Errorf("backup %s is neither a Halo backup (it lacks the checkpoint header) nor an Alluxio %s backup (its first entry does not decode)", cfg.InitFromBackup, alluxioimport.AlluxioVersion)
	}
	im, err := alluxioimport.Translate(data)
	if err != nil {
		return nil, fmt.Errorf("backup %s: %w", cfg.InitFromBackup, err)
	}
	im.Log(sc.Logger, cfg.InitFromBackup)
	sc.Logger.Info("translated an Alluxio backup", "backup", cfg.InitFromBackup, "inodes", im.Header.InodeCount, "mounts", im.Header.MountCount)
	return im.Checkpoint, nil
}

// localJournalFolder accepts a plain path or a file:// URI; other UFS
// journals arrive with the UFS and ZooKeeper work.
func localJournalFolder(folder string) (string, error) {
	folder = strings.TrimPrefix(folder, "file://")
	if strings.Contains(folder, "://") {
		return "", fmt.Errorf("alluxio.master.journal.folder=%s: a single master keeps its journal in a local folder in this build", folder)
	}
	if !filepath.IsAbs(folder) {
		abs, err := filepath.Abs(folder)
		if err != nil {
			return "", err
		}
		folder = abs
	}
	return folder, nil
}
