package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/ha/state"
	"github.com/halo-fs/halo/proto/halopb"
)

// journalDomain is the only journal Halo has; Alluxio also has JOB_MASTER.
const journalDomain = "MASTER"

// quorumCommand is `fsadmin journal quorum info|add|remove|elect`. Alluxio
// spells its options with one dash (-domain MASTER -address h:19200), which
// pflag cannot parse, so these commands read their own arguments.
func (e *Env) quorumCommand() *cobra.Command {
	quorum := newGroup("quorum", "Manage the embedded journal (Raft) quorum")
	quorum.AddCommand(
		e.quorumLeaf("info", "info -domain MASTER", "Show the quorum's members and leader", []string{"domain"}, nil,
			func(ctx context.Context, c *client.Client, _ map[string]string) error {
				info, err := c.GetQuorumInfo(ctx)
				if err != nil {
					return err
				}
				writeQuorumInfo(e.Out, info)
				return nil
			}),
		e.quorumLeaf("add", "add -domain MASTER -address <host:port>", "Add a master to the quorum (a Halo extension)",
			[]string{"domain", "address"}, []string{"address"},
			func(ctx context.Context, c *client.Client, opts map[string]string) error {
				if err := c.AddQuorumMember(ctx, opts["address"]); err != nil {
					return err
				}
				fmt.Fprintf(e.Out, "Added server at: %s to quorum: %s\n", opts["address"], journalDomain)
				return nil
			}),
		e.quorumLeaf("remove", "remove -domain MASTER -address <host:port>", "Remove a master from the quorum",
			[]string{"domain", "address"}, []string{"domain", "address"},
			func(ctx context.Context, c *client.Client, opts map[string]string) error {
				if err := c.RemoveQuorumMember(ctx, opts["address"]); err != nil {
					return err
				}
				fmt.Fprintf(e.Out, "Removed server at: %s from quorum: %s\n", opts["address"], journalDomain)
				return nil
			}),
		e.quorumLeaf("elect", "elect -address <host:port>", "Transfer leadership to a quorum member; returns once it serves",
			[]string{"address"}, []string{"address"},
			func(ctx context.Context, c *client.Client, opts map[string]string) error {
				addr := opts["address"]
				err := c.TransferLeadership(ctx, addr)
				if err != nil && !leads(ctx, c, addr) {
					return fmt.Errorf("failed to elect %s as the new leader: %s", addr, err.Error())
				}
				fmt.Fprintf(e.Out, "Successfully elected %s as the new leader\n", addr)
				return nil
			}),
	)
	return quorum
}

// leads reports whether the quorum member at addr leads now: a transfer
// whose answer was lost, then retried, fails with "already leads".
func leads(ctx context.Context, c *client.Client, addr string) bool {
	info, err := c.GetQuorumInfo(ctx)
	if err != nil {
		return false
	}
	for _, m := range info.GetMembers() {
		if m.GetLeader() && m.GetAddress() == addr {
			return true
		}
	}
	return false
}

func (e *Env) quorumLeaf(name, usage, short string, allowed, required []string,
	run func(ctx context.Context, c *client.Client, opts map[string]string) error) *cobra.Command {
	return &cobra.Command{
		Use:   usage,
		Short: short,
		// Cobra would split -domain into -d -o -m...; the command takes
		// its own options out and hands the rest (--conf and the other
		// inherited flags) back to the flag set.
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, rest, err := splitDashOptions(args, allowed)
			if err != nil {
				return fmt.Errorf("%s: %w (usage: %s)", name, err, usage)
			}
			if err := cmd.Flags().Parse(rest); err != nil {
				return fmt.Errorf("%s: %w (usage: %s)", name, err, usage)
			}
			if help, _ := cmd.Flags().GetBool("help"); help {
				return cmd.Help()
			}
			if cmd.Flags().NArg() > 0 {
				return fmt.Errorf("%s: unexpected argument %q (usage: %s)", name, cmd.Flags().Arg(0), usage)
			}
			for _, r := range required {
				if opts[r] == "" {
					return fmt.Errorf("%s: missing -%s (usage: %s)", name, r, usage)
				}
			}
			if d, ok := opts["domain"]; ok && d != journalDomain {
				return fmt.Errorf("%s: invalid -domain %s: Halo has one journal domain, %s", name, d, journalDomain)
			}
			return e.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				return run(ctx, c, opts)
			})
		},
	}
}

// splitDashOptions takes the allowed options out of args, spelled
// "-name value", "--name value", "-name=value" or "--name=value", and
// returns the other arguments untouched.
func splitDashOptions(args []string, allowed []string) (opts map[string]string, rest []string, err error) {
	opts = map[string]string{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			rest = append(rest, a)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !slices.Contains(allowed, name) {
			rest = append(rest, a)
			continue
		}
		if !hasValue {
			if i+1 == len(args) {
				return nil, nil, fmt.Errorf("option %s needs a value", a)
			}
			i++
			value = args[i]
		}
		opts[name] = value
	}
	return opts, rest, nil
}

// writeQuorumInfo prints `quorum info` verbatim as Alluxio 2.9 does, so
// scripts that parse it keep working, followed by Halo's Raft figures:
// term, commit and applied index, and each member's role, applied index
// and lag behind the leader. Halo has no member priorities; they show as 0.
func writeQuorumInfo(w io.Writer, info *halopb.QuorumInfo) {
	leader := "UNKNOWN"
	for _, m := range info.GetMembers() {
		if m.GetLeader() {
			leader = m.GetAddress()
		}
	}
	domain := info.GetDomain()
	if domain == "" {
		domain = journalDomain
	}
	fmt.Fprintf(w, "Journal domain\t: %s\n", domain)
	fmt.Fprintf(w, "Quorum size\t: %d\n", len(info.GetMembers()))
	fmt.Fprintf(w, "Quorum leader\t: %s\n\n", leader)
	fmt.Fprintf(w, "%-11s | %-8s | %s\n", "STATE", "PRIORITY", "SERVER ADDRESS")
	for _, m := range info.GetMembers() {
		fmt.Fprintf(w, "%-11s | %-8s | %s\n", m.GetState(), "0", m.GetAddress())
	}
	// Halo's Raft figures follow what Alluxio prints, which stays verbatim.
	fmt.Fprintf(w, "\nTerm\t\t: %d\n", info.GetTerm())
	fmt.Fprintf(w, "Commit index\t: %d\n", info.GetCommitIndex())
	fmt.Fprintf(w, "Applied index\t: %d\n\n", info.GetAppliedIndex())
	const row = "%-21s | %-8s | %-13s | %s\n"
	fmt.Fprintf(w, row, "SERVER ADDRESS", "ROLE", "APPLIED INDEX", "LAG")
	for _, m := range info.GetMembers() {
		role := "FOLLOWER"
		switch {
		case m.GetLeader():
			role = "LEADER"
		case !m.GetVoter():
			role = "LEARNER"
		}
		applied, lag := fmt.Sprint(m.GetAppliedIndex()), fmt.Sprint(m.GetLag())
		if state.MemberOf(m) != state.MemberAvailable {
			applied, lag = "-", "-"
		}
		fmt.Fprintf(w, row, m.GetAddress(), role, applied, lag)
	}
}
