package main

import (
	"context"
	"fmt"
	"os/signal"
	"syscall"

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
			log := g.logger("master")
			for _, w := range cfg.Warnings {
				log.Warn("configuration", "warning", w)
			}
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			m, err := boot.Open(ctx, cfg, log)
			if err != nil {
				return err
			}
			return m.Wait(ctx)
		},
	}
	cmd.Flags().StringVarP(&backup, "init-from-backup", "i", "", "start a new (empty) journal from this backup (alluxio.master.journal.init.from.backup)")
	return cmd
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
