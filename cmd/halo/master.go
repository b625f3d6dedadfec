package main

import (
	"context"
	"fmt"
	"os/signal"
	"syscall"

	"github.com/halo-fs/halo/conf"
	"github.com/halo-fs/halo/master"
	"github.com/halo-fs/halo/master/boot"
	"github.com/spf13/cobra"
)

func versionString() string { return "Halo " + master.Version }

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
			return serveMaster(g, cfg)
		},
	}
	cmd.Flags().StringVarP(&backup, "init-from-backup", "i", "", "start a new (empty) journal from this backup (alluxio.master.journal.init.from.backup)")
	return cmd
}

// serveMaster runs a master until SIGINT or SIGTERM. A failure is also
// written to the master's log, which is a file when the start scripts ran it.
func serveMaster(g *globals, cfg *conf.Config) error {
	out, closeLog, err := openProcessLog(cfg, "master")
	if err != nil {
		return err
	}
	defer closeLog()
	log := g.loggerTo("master", out)
	for _, w := range cfg.Warnings {
		log.Warn("configuration", "warning", w)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	m, err := boot.Open(ctx, cfg, log)
	if err == nil {
		err = m.Wait(ctx)
	}
	if err != nil {
		log.Error("master stopped", "error", err)
	}
	return err
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
			formatted, err := boot.FormatJournal(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			if formatted.Shared {
				fmt.Fprintf(cmd.OutOrStdout(), "Formatted shared journal at %s\n", formatted.Location)
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "Formatted journal at %s\n", formatted.Location)
			}
			return boot.MakeRootUFSFolder(cfg)
		},
	}
}
