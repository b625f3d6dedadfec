package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/halo-fs/halo/ha"
	"github.com/halo-fs/halo/ha/local"
	"io"
	"os"
	"os/signal"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/halo-fs/halo/conf"
	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/journal"
	"github.com/halo-fs/halo/server"
	"github.com/halo-fs/halo/ufs/adapters"
	"github.com/hashicorp/go-hclog"
	"github.com/spf13/cobra"
)

func versionString() string { return "Halo " + server.Version }

func newMasterCommand(g *globals) *cobra.Command {
	var backup string
	cmd := &cobra.Command{
		Use:   "master",
		Short: "run a master on this host",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			if backup != "" {
				cfg.InitFromBackup = backup
			}
			log := g.logger("master")
			for _, w := range cfg.Warnings {
				log.Warn("configuration", "warning", w)
			}
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			return runMaster(ctx, cfg, g)
		},
	}
	cmd.Flags().StringVarP(&backup, "init-from-backup", "i", "", "start a new (empty) journal from this backup (alluxio.master.journal.init.from.backup)")
	return cmd
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

func serverConfig(cfg *conf.Config, g *globals) server.Config {
	return server.Config{
		Hostname:        cfg.Hostname,
		BindHost:        cfg.BindHost,
		RPCPort:         cfg.RPCPort,
		WebPort:         cfg.WebPort,
		HAMode:          string(cfg.HA),
		MasterAddresses: cfg.RPCAddresses,
		RaftAddresses:   cfg.EmbeddedJournalAddresses,
		ZooKeeper:       cfg.ZooKeeperAddresses,
		JournalFolder:   cfg.JournalFolder,
		SuperUser:       cfg.LoginUser,
		SuperGroup:      cfg.SuperGroup,
		RootUFS:         cfg.MountTableRootUFS,
		BackupDirectory: cfg.BackupDirectory,
		DailyBackup: server.DailyBackup{
			Enabled:  cfg.DailyBackupEnabled,
			At:       cfg.DailyBackupTime,
			Retained: cfg.DailyBackupFilesRetained,
		},
		UFS:           adapters.NewRegistry(),
		UFSOptions:    ufsOptions(cfg),
		Logger:        g.logger("master"),
		RetryCache:    retryCacheSettings(cfg),
		MaxEntryBytes: int(cfg.EmbeddedJournalEntrySizeMax),
	}
}

// retryCacheSettings are the exactly-once table limits this master
// proposes when it leads.
func retryCacheSettings(cfg *conf.Config) *fsm.OperationTableSettings {
	return &fsm.OperationTableSettings{Enabled: cfg.RetryCacheEnabled, MaxRecords: uint64(cfg.RetryCacheSize), Retention: cfg.RetryCacheRetention}
}

func runMaster(ctx context.Context, cfg *conf.Config, g *globals) error {
	if err := retryCacheSettings(cfg).Validate(); err != nil {
		return fmt.Errorf("%s, %s: %w", conf.KeyRetryCacheSize, conf.KeyRetryCacheRetention, err)
	}
	switch cfg.HA {
	case conf.HANone:
		return runLocalMaster(ctx, cfg, g)
	case conf.HARaft:
		return runRaftMaster(ctx, cfg, g)
	case conf.HAZooKeeper:
		return runZooKeeperMaster(ctx, cfg, g)
	default:
		return fmt.Errorf("--ha=%s is not available in this build yet; use --ha=raft or --ha=none", cfg.HA)
	}
}

func runLocalMaster(ctx context.Context, cfg *conf.Config, g *globals) error {
	sc := serverConfig(cfg, g)
	sec, err := loadSecurity(cfg)
	if err != nil {
		return err
	}
	sec.applyTo(&sc, cfg)
	log := sc.Logger
	folder, err := localJournalFolder(cfg.JournalFolder)
	if err != nil {
		return err
	}
	j, err := journal.Open(journal.Options{Dir: folder, Logger: log.Named("journal")})
	if err != nil {
		if errors.Is(err, journal.ErrNotFormatted) {
			return fmt.Errorf("journal folder %s is not formatted; run `halo format` first", folder)
		}
		return err
	}
	f := fsm.New(fsmConfig(cfg))
	start := time.Now()
	if err := importBackup(ctx, cfg, sc, j, f); err != nil {
		j.Close()
		return err
	}
	if _, err := local.RecoverFSM(j, f, log); err != nil {
		j.Close()
		return fmt.Errorf("recover namespace from %s: %w", folder, err)
	}
	log.Info("namespace recovered", "inodes", f.InodeCount(), "applied_index", f.AppliedIndex(), "duration", time.Since(start))
	m := server.New(sc, f, func(metrics *server.Metrics) ha.Replicator {
		return local.New(local.Options{
			Journal: j, FSM: f, CheckpointPeriodEntries: cfg.CheckpointPeriodEntries, Logger: log, Metrics: metrics.Journal,
		})
	})
	return serve(ctx, m, log)
}

// serve runs m until ctx ends. The root mount is made once the master
// leads (at once for a single master; after election under Raft).
func serve(ctx context.Context, m *server.Master, log hclog.Logger) error {
	if err := m.Start(); err != nil {
		m.Stop()
		return err
	}
	go m.EnsureRootMountWhenLeading(ctx)
	go m.KeepRetryCacheSettings(ctx)
	<-ctx.Done()
	log.Info("stopping master")
	return m.Stop()
}

// importBackup restores a backup given with -i into an empty local
// journal, as Alluxio does; a journal that already holds entries is left
// alone (the backup is ignored with a warning), so a restart with the same
// command line never rolls the namespace back.
func importBackup(ctx context.Context, cfg *conf.Config, sc server.Config, j *journal.Journal, f *fsm.FSM) error {
	if cfg.InitFromBackup == "" {
		return nil
	}
	cps, err := j.Checkpoints()
	if err != nil {
		return err
	}
	if j.LastIndex() > 0 || len(cps) > 0 {
		sc.Logger.Warn("journal is not empty; ignoring the backup to start from", "backup", cfg.InitFromBackup)
		return nil
	}
	data, err := server.ReadBackupWithOptions(ctx, sc.UFS, cfg.InitFromBackup, sc.UFSOptions)
	if err != nil {
		return err
	}
	h, err := f.Restore(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("backup %s: %w", cfg.InitFromBackup, err)
	}
	f.ResetAppliedIndex(0)
	if _, err := j.WriteCheckpoint(0, func(w io.Writer) error { _, err := f.WriteCheckpoint(w); return err }); err != nil {
		return fmt.Errorf("write the imported namespace to the journal: %w", err)
	}
	sc.Logger.Info("restored namespace from backup", "backup", cfg.InitFromBackup, "inodes", h.InodeCount)
	return nil
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

func newFormatCommand(g *globals, name, short string) *cobra.Command {
	return &cobra.Command{
		Use:   name,
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			if cfg.HA == conf.HAZooKeeper {
				uri, err := formatZooKeeperJournal(cmd.Context(), cfg)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Formatted shared journal at %s\n", uri)
				return makeRootUFSFolder(cfg)
			}
			folder, err := localJournalFolder(cfg.JournalFolder)
			if err != nil {
				return err
			}
			if cfg.HA == conf.HARaft {
				// A fresh embedded journal: Raft bootstraps it at first start.
				if err := os.RemoveAll(raftDir(folder)); err != nil {
					return err
				}
				if err := os.MkdirAll(raftDir(folder), 0o755); err != nil {
					return err
				}
			} else if err := journal.Format(folder, newClusterID()); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Formatted journal at %s\n", folder)
			return makeRootUFSFolder(cfg)
		},
	}
}

// makeRootUFSFolder creates the root UFS folder when it is a local path, as
// Alluxio's format creates underFSStorage.
func makeRootUFSFolder(cfg *conf.Config) error {
	root := strings.TrimPrefix(cfg.MountTableRootUFS, "file://")
	if root == "" || strings.Contains(root, "://") {
		return nil
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return fmt.Errorf("create root UFS folder: %w", err)
	}
	return nil
}

func newClusterID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
