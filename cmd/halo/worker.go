package main

import (
	"context"
	"fmt"
	"os/signal"
	"syscall"

	"github.com/halo-fs/halo/worker"
	"github.com/spf13/cobra"
)

func newWorkerCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "worker",
		Short: "run a worker on this host: its block store, Alluxio's BlockWorker service, reports to every master",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			out, closeLog, err := openProcessLog(cfg, "worker")
			if err != nil {
				return err
			}
			defer closeLog()
			log := g.loggerTo("worker", out)
			for _, w := range cfg.Warnings {
				log.Warn("configuration", "warning", w)
			}
			wcfg, err := worker.ConfigFrom(cfg)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			w, err := worker.Open(wcfg, log)
			if err != nil {
				log.Error("worker did not start", "error", err)
				return err
			}
			select {
			case <-ctx.Done():
			case <-w.Done():
			}
			stopped := w.Err()
			if err := w.Close(); err != nil {
				log.Warn("closing the worker", "error", err)
			}
			return stopped
		},
	}
}

func newFormatWorkerCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "formatWorker",
		Short: "delete this worker's cached blocks and identity (refused while the worker runs)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			cleared, err := worker.Format(cfg)
			for _, dir := range cleared {
				fmt.Fprintf(cmd.OutOrStdout(), "Formatted worker storage %s\n", dir)
			}
			return err
		},
	}
}
