package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/halo-fs/halo/conf"
	"github.com/hashicorp/go-hclog"
	"github.com/spf13/cobra"
)

// globals are the flags every command shares.
type globals struct {
	confDir   string
	defines   []string
	ha        string
	logLevel  string
	logFormat string
}

func (g *globals) load() (*conf.Config, error) {
	overrides := map[string]string{}
	for _, d := range g.defines {
		k, v, err := conf.ParseOverride(d)
		if err != nil {
			return nil, err
		}
		overrides[k] = v
	}
	cfg, err := conf.Load(conf.LoadOptions{ConfDir: g.confDir, Overrides: overrides, HA: g.ha})
	if err != nil {
		return nil, err
	}
	return cfg, nil
}

func (g *globals) logger(name string) hclog.Logger { return g.loggerTo(name, os.Stderr) }

func (g *globals) loggerTo(name string, out io.Writer) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{
		Name:       name,
		Level:      hclog.LevelFromString(g.logLevel),
		Output:     out,
		JSONFormat: g.logFormat == "json",
	})
}

func newRootCommand() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:           "halo",
		Short:         "Halo: a highly available file system master, deployed the Alluxio way",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.confDir, "conf", "", "configuration folder (default $ALLUXIO_CONF_DIR, else the conf/ of the release bin/halo runs from, else ./conf)")
	pf.StringArrayVarP(&g.defines, "define", "D", nil, "set a property, key=value (repeatable)")
	pf.StringVar(&g.ha, "ha", "", "HA mode shortcut: none, raft or zookeeper")
	pf.StringVar(&g.logLevel, "log-level", envOr("HALO_LOG_LEVEL", "info"), "log level: trace, debug, info, warn, error")
	pf.StringVar(&g.logFormat, "log-format", "text", "log format: text or json")
	root.AddCommand(
		newMasterCommand(g),
		newFormatCommand(g, "format", "format the journal of this master (wipes it)"),
		newFormatCommand(g, "formatJournal", "format the journal of this master (wipes it)"),
		newWorkerCommand(g),
		newFormatWorkerCommand(g),
		newFSCommand(g),
		newFSAdminCommand(g),
		newRunTestsCommand(g),
		newBenchCommand(g),
		newGetConfCommand(g),
		&cobra.Command{
			Use:   "version",
			Short: "print the version",
			Run:   func(cmd *cobra.Command, _ []string) { fmt.Fprintln(cmd.OutOrStdout(), versionString()) },
		},
	)
	return root
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func newGetConfCommand(g *globals) *cobra.Command {
	var source bool
	cmd := &cobra.Command{
		Use:   "getConf [key]",
		Short: "print the resolved configuration, or one key's value",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if len(args) == 1 {
				v, ok := cfg.Properties[args[0]]
				if !ok {
					return fmt.Errorf("%s is not set and has no default", args[0])
				}
				fmt.Fprintln(out, v)
				return nil
			}
			for _, kv := range cfg.Describe() {
				if source {
					fmt.Fprintf(out, "%s=%s (%s)\n", kv.Key, kv.Value, kv.Source)
				} else {
					fmt.Fprintf(out, "%s=%s\n", kv.Key, kv.Value)
				}
			}
			for _, w := range cfg.Warnings {
				fmt.Fprintln(cmd.ErrOrStderr(), "warning:", strings.TrimSpace(w))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&source, "source", false, "show where each value comes from")
	return cmd
}
