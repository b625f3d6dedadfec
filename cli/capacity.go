package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/proto/alluxiopb"
)

const capacityUsage = "capacity [-live|-lost|-decommissioned|-workers <host,host...>]"

// capacityCommand is `fsadmin report capacity`, Alluxio's per-worker
// table. Its filters are spelled with one dash, which pflag cannot parse,
// so the command reads its own arguments, as the quorum commands do.
func (e *Env) capacityCommand() *cobra.Command {
	return &cobra.Command{
		Use:                capacityUsage,
		Short:              "Report each worker's capacity and use, per tier",
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			filter, rest, err := parseCapacityFilter(args)
			if err != nil {
				return fmt.Errorf("report capacity: %w (usage: %s)", err, capacityUsage)
			}
			if err := cmd.Flags().Parse(rest); err != nil {
				return fmt.Errorf("report capacity: %w (usage: %s)", err, capacityUsage)
			}
			if help, _ := cmd.Flags().GetBool("help"); help {
				return cmd.Help()
			}
			if cmd.Flags().NArg() > 0 {
				return fmt.Errorf("report capacity: unexpected argument %q (usage: %s)", cmd.Flags().Arg(0), capacityUsage)
			}
			return e.withClient(cmd, func(ctx context.Context, c *client.Client) error {
				workers, err := c.WorkerReport(ctx, filter.workerRange, filter.hosts)
				if err != nil {
					return err
				}
				writeCapacityReport(e.Out, strings.ToLower(filter.workerRange.String()), workers)
				return nil
			})
		},
	}
}

// capacityFilter is which workers `report capacity` shows.
type capacityFilter struct {
	workerRange alluxiopb.WorkerRange
	hosts       []string // of WorkerRange_SPECIFIED
}

var capacityRanges = map[string]alluxiopb.WorkerRange{
	"live":           alluxiopb.WorkerRange_LIVE,
	"lost":           alluxiopb.WorkerRange_LOST,
	"decommissioned": alluxiopb.WorkerRange_DECOMMISSIONED,
}

// parseCapacityFilter takes Alluxio's one filter out of args (-live,
// -lost, -decommissioned or -workers h1,h2; one or two dashes) and returns
// the other arguments untouched. Like Alluxio, it refuses two filters.
func parseCapacityFilter(args []string) (filter capacityFilter, rest []string, err error) {
	filter.workerRange = alluxiopb.WorkerRange_ALL
	filters := 0
	for i := 0; i < len(args); i++ {
		name, value, hasValue := strings.Cut(strings.TrimLeft(args[i], "-"), "=")
		workerRange, isRange := capacityRanges[name]
		switch {
		case !strings.HasPrefix(args[i], "-"):
			rest = append(rest, args[i])
			continue
		case isRange && !hasValue:
			filter.workerRange = workerRange
		case name == "workers":
			if !hasValue {
				if i+1 == len(args) {
					return filter, nil, fmt.Errorf("-workers needs a list of worker hosts")
				}
				i++
				value = args[i]
			}
			filter.workerRange = alluxiopb.WorkerRange_SPECIFIED
			filter.hosts = strings.Split(value, ",")
		default:
			rest = append(rest, args[i])
			continue
		}
		filters++
	}
	if filters > 1 {
		return filter, nil, fmt.Errorf("too many arguments: give one of -live, -lost, -decommissioned, -workers")
	}
	return filter, rest, nil
}

// writeCapacityReport prints the workers' capacity as Alluxio 2.9's
// CapacityCommand does: totals per tier, then a capacity and a used row
// per worker, the one heard from most recently first.
func writeCapacityReport(w io.Writer, rangeName string, workers []*alluxiopb.WorkerInfo) {
	if len(workers) == 0 {
		fmt.Fprintln(w, "No workers found.")
		return
	}
	workers = slices.Clone(workers)
	slices.SortStableFunc(workers, func(a, b *alluxiopb.WorkerInfo) int {
		return int(a.GetLastContactSec()) - int(b.GetLastContactSec())
	})
	t := tallyCapacity(workers)
	writeCapacityTotals(w, rangeName, t)
	writeWorkerCapacities(w, workers, t)
}

// capacityTally is the workers' bytes summed per tier, and each worker's
// bytes on each tier as printed, by host.
type capacityTally struct {
	capacity, used               int64
	capacityOnTiers, usedOnTiers map[string]int64
	capacityByTier, usedByTier   map[string]map[string]string
}

func tallyCapacity(workers []*alluxiopb.WorkerInfo) capacityTally {
	t := capacityTally{
		capacityOnTiers: map[string]int64{}, usedOnTiers: map[string]int64{},
		capacityByTier: map[string]map[string]string{}, usedByTier: map[string]map[string]string{},
	}
	for _, wi := range workers {
		t.capacity += wi.GetCapacityBytes()
		t.used += wi.GetUsedBytes()
		host := wi.GetAddress().GetHost()
		addTiers(t.capacityOnTiers, t.capacityByTier, host, wi.GetCapacityBytesOnTiers())
		addTiers(t.usedOnTiers, t.usedByTier, host, wi.GetUsedBytesOnTiers())
	}
	return t
}

func addTiers(sums map[string]int64, byTier map[string]map[string]string, host string, onTiers map[string]int64) {
	for tier, bytes := range onTiers {
		sums[tier] += bytes
		if byTier[tier] == nil {
			byTier[tier] = map[string]string{}
		}
		byTier[tier][host] = humanSize(bytes)
	}
}

func writeCapacityTotals(w io.Writer, rangeName string, t capacityTally) {
	fmt.Fprintf(w, "Capacity information for %s workers: \n", rangeName)
	fmt.Fprintf(w, "    Total Capacity: %s\n", humanSize(t.capacity))
	for _, tier := range tierOrder(t.capacityOnTiers) {
		fmt.Fprintf(w, "        Tier: %s  Size: %s\n", tier, humanSize(t.capacityOnTiers[tier]))
	}
	fmt.Fprintf(w, "    Used Capacity: %s\n", humanSize(t.used))
	for _, tier := range tierOrder(t.usedOnTiers) {
		fmt.Fprintf(w, "        Tier: %s  Size: %s\n", tier, humanSize(t.usedOnTiers[tier]))
	}
	if t.capacity != 0 {
		percent := 100 * t.used / t.capacity
		fmt.Fprintf(w, "    Used Percentage: %d%%\n", percent)
		fmt.Fprintf(w, "    Free Percentage: %d%%\n", 100-percent)
	}
}

// writeWorkerCapacities prints the table: one column per tier when the
// workers have several (after their total), else the one tier's column
// alone. The name column grows with the longest host name.
func writeWorkerCapacities(w io.Writer, workers []*alluxiopb.WorkerInfo, t capacityTally) {
	tiers := tierOrder(t.capacityOnTiers)
	if len(tiers) == 0 {
		return
	}
	nameWidth := 16
	for _, wi := range workers {
		if n := len(wi.GetAddress().GetHost()); nameWidth <= n {
			nameWidth = n + 5
		}
	}
	row := func(name, heartbeat, storage, total, onTiers, version, revision string) {
		if len(tiers) == 1 {
			fmt.Fprintf(w, "%-*s %-16s %-13s %s %-16s %-40s\n", nameWidth, name, heartbeat, storage, fmt.Sprintf("%-16s", total), version, revision)
			return
		}
		fmt.Fprintf(w, "%-*s %-16s %-13s %-16s %s %-16s %-40s\n", nameWidth, name, heartbeat, storage, total, onTiers, version, revision)
	}
	fmt.Fprintln(w)
	header := "Total"
	if len(tiers) == 1 {
		header = tiers[0]
	}
	row("Worker Name", "Last Heartbeat", "Storage", header, tierColumns(tiers, nil, ""), "Version", "Revision")
	for _, wi := range workers {
		host := wi.GetAddress().GetHost()
		percent := ""
		if c := wi.GetCapacityBytes(); c != 0 {
			percent = fmt.Sprintf(" (%d%%)", 100*wi.GetUsedBytes()/c)
		}
		row(host, fmt.Sprint(wi.GetLastContactSec()), "capacity", humanSize(wi.GetCapacityBytes()),
			tierColumns(tiers, t.capacityByTier, host), wi.GetBuildVersion().GetVersion(), wi.GetBuildVersion().GetRevision())
		row("", "", "used", humanSize(wi.GetUsedBytes())+percent,
			tierColumns(tierOrder(t.usedOnTiers), t.usedByTier, host), "", "")
	}
}

// tierColumns is a row's tier columns: the tier names for the header
// (byTier nil), else host's figure on each tier, "-" where it has none.
func tierColumns(tiers []string, byTier map[string]map[string]string, host string) string {
	var b strings.Builder
	for _, tier := range tiers {
		cell := tier
		if byTier != nil {
			var ok bool
			if cell, ok = byTier[tier][host]; !ok {
				cell = "-"
			}
		}
		fmt.Fprintf(&b, "%-14s", cell)
	}
	return b.String()
}
