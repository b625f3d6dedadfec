package cli

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/spf13/cobra"

	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/conf"
	"github.com/halo-fs/halo/ha/state"
	"github.com/halo-fs/halo/proto/halopb"
)

// NewFSAdminCommand returns the `fsadmin` command tree.
func NewFSAdminCommand(env *Env) *cobra.Command {
	env.fillDefaults()
	admin := newGroup("fsadmin", "Administer the Halo master cluster")
	journal := newGroup("journal", "Operate on the masters' journal")
	journal.AddCommand(env.checkpointCommand(), env.quorumCommand())
	admin.AddCommand(env.reportCommand(), env.backupCommand(), env.webLoginCommand(), journal)
	return admin
}

func (e *Env) reportCommand() *cobra.Command {
	report := &cobra.Command{
		Use:   "report [summary|capacity|ufs]",
		Short: "Report the cluster's state: masters, journal, mount points",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			category := "summary"
			if len(args) == 1 {
				category = args[0]
			}
			switch category {
			case "summary":
				return e.withClient(cmd, e.reportSummary)
			case "ufs":
				return e.withClient(cmd, func(ctx context.Context, c *client.Client) error {
					mounts, err := c.GetMountTable(ctx)
					if err != nil {
						return err
					}
					fmt.Fprintln(e.Out, "Alluxio under storage system information:")
					writeMountTable(e.Out, mounts)
					return nil
				})
			case "metrics", "jobservice", "proxy":
				return fmt.Errorf("report %s is not supported by Halo; use report summary, capacity or ufs", category)
			}
			return fmt.Errorf("unknown report category %q: use summary, capacity or ufs", category)
		},
	}
	report.AddCommand(e.capacityCommand())
	return report
}

func (e *Env) reportSummary(ctx context.Context, c *client.Client) error {
	lookupCtx, cancel := context.WithTimeout(ctx, e.lookupTimeout())
	defer cancel()
	info, err := c.MasterInfo(lookupCtx)
	if err != nil {
		return err
	}
	s := clusterSummary{
		leaderAddress:      info.GetLeaderAddress(),
		info:               info,
		zookeeperEnabled:   info.GetZookeeperEnabled() || e.HAMode == conf.HAZooKeeper,
		zookeeperAddresses: info.GetZookeeperAddresses(),
	}
	if info.GetHaMode() == string(conf.HARaft) {
		s.raftAddresses = info.GetRaftAddresses()
	}
	if s.leaderAddress == "" {
		s.leaderAddress, _ = c.Leader(lookupCtx)
	}
	if len(s.zookeeperAddresses) == 0 {
		s.zookeeperAddresses = e.ZooKeeperAddresses
	}
	if len(s.raftAddresses) == 0 && (conf.HAMode(info.GetHaMode()) == conf.HARaft || e.HAMode == conf.HARaft) {
		s.raftAddresses = e.RaftAddresses
	}
	masters := e.MasterAddresses
	if len(masters) == 0 {
		masters = info.GetMasterAddresses()
	}
	s.masters = probeMasters(ctx, c, masters)
	writeSummary(e.Out, s, e.location())
	return nil
}

// probeMasters asks every master, in parallel, for its own role and
// version; one that does not answer is UNAVAILABLE.
func probeMasters(ctx context.Context, c *client.Client, addrs []string) []masterRow {
	ctx, cancel := context.WithTimeout(ctx, client.DefaultLeaderProbeTimeout)
	defer cancel()
	rows := make([]masterRow, len(addrs))
	var wg sync.WaitGroup
	for i, addr := range addrs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rows[i] = masterRow{address: addr, state: state.Unavailable.String(), version: "N/A"}
			info, err := c.MasterInfoFrom(ctx, addr)
			if err != nil {
				return
			}
			rows[i].state = info.GetState()
			if rows[i].state == "" {
				rows[i].state = "UNKNOWN"
			}
			rows[i].version = info.GetVersion()
		}()
	}
	wg.Wait()
	return rows
}

func (e *Env) checkpointCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "checkpoint",
		Short: "Make the leading master write a checkpoint of its journal now",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				if _, err := c.Checkpoint(ctx); err != nil {
					return err
				}
				// The finder caches the master that just answered.
				leader, err := c.Leader(ctx)
				if err != nil {
					return err
				}
				fmt.Fprintf(e.Out, "Successfully took a checkpoint on master %s\n", hostOf(leader))
				return nil
			})
		},
	}
}

// backupCommand is Alluxio's `fsadmin backup [directory] [--local]`.
func (e *Env) backupCommand() *cobra.Command {
	var local bool
	cmd := &cobra.Command{
		Use:   "backup [directory] [--local]",
		Short: "Back up the namespace (to alluxio.master.backup.directory on the root UFS by default)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := ""
			if len(args) == 1 {
				dir = args[0]
			}
			return e.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				resp, err := c.Backup(ctx, dir, local)
				if err != nil {
					return err
				}
				writeBackupResult(e.Out, resp)
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&local, "local", false, "write the backup to the leading master's local file system")
	return cmd
}

func writeBackupResult(w io.Writer, resp *halopb.BackupResponse) {
	fmt.Fprintf(w, "Backup Host        : %s\n", resp.GetBackupHost())
	fmt.Fprintf(w, "Backup URI         : %s\n", resp.GetBackupUri())
	fmt.Fprintf(w, "Backup Entry Count : %d\n", resp.GetEntryCount())
}
