package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/halo-fs/halo/client"
)

// NewCommand returns `bench` with its `master` subcommand:
//
//	bench master --operation CreateFile --threads 16 --duration 30s --warmup 5s [--base /path] [--json]
//
// Progress lines go to the command's stderr; the summary goes to out (nil:
// the command's stdout).
func NewCommand(dial func(ctx context.Context) (*client.Client, error), out io.Writer) *cobra.Command {
	bench := &cobra.Command{
		Use:           "bench",
		Short:         "Measure the masters' throughput and latency",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
	}
	opts := Options{
		Threads:          DefaultThreads,
		Duration:         DefaultDuration,
		Warmup:           DefaultWarmup,
		BasePath:         DefaultBasePath,
		FixedCount:       DefaultFixedCount,
		ProgressInterval: DefaultProgressInterval,
	}
	var asJSON bool
	master := &cobra.Command{
		Use:   "master --operation <op> [--threads N] [--duration 30s] [--warmup 5s] [--base path] [--json]",
		Short: "Stress the leading master with one metadata operation (like Alluxio's StressMasterBench)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			if err := opts.validate(); err != nil {
				return err
			}
			c, err := dial(ctx)
			if err != nil {
				return err
			}
			defer c.Close()
			run := opts
			run.Progress = cmd.ErrOrStderr()
			res, err := Run(ctx, c, run)
			if err != nil {
				return err
			}
			w := out
			if w == nil {
				w = cmd.OutOrStdout()
			}
			if asJSON {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(res)
			}
			writeSummary(w, res)
			return nil
		},
	}
	f := master.Flags()
	f.StringVar(&opts.Operation, "operation", "", "operation to measure: "+strings.Join(Operations, "|"))
	f.IntVar(&opts.Threads, "threads", opts.Threads, "concurrent threads")
	f.DurationVar(&opts.Duration, "duration", opts.Duration, "measured time")
	f.DurationVar(&opts.Warmup, "warmup", opts.Warmup, "unmeasured time before measuring")
	f.StringVar(&opts.BasePath, "base", opts.BasePath, "folder under which each run makes its own")
	f.IntVar(&opts.FixedCount, "fixed-count", opts.FixedCount, "files prepared per thread for GetFileStatus, ListDir, RenameFile and DeleteFile")
	f.DurationVar(&opts.ProgressInterval, "progress-interval", opts.ProgressInterval, "time between progress lines on stderr (0: none)")
	f.BoolVar(&asJSON, "json", false, "print the result as JSON")
	_ = master.MarkFlagRequired("operation")
	bench.AddCommand(master)
	return bench
}

func writeSummary(w io.Writer, r Result) {
	fmt.Fprintf(w, "Operation:   %s\n", r.Operation)
	fmt.Fprintf(w, "Threads:     %d\n", r.Threads)
	fmt.Fprintf(w, "Duration:    %s\n", r.Duration.Round(time.Millisecond))
	fmt.Fprintf(w, "Operations:  %d (errors: %d)\n", r.Ops, r.Errors)
	fmt.Fprintf(w, "Throughput:  %.1f ops/s\n", r.OpsPerSec)
	fmt.Fprintf(w, "Latency:     p50 %s, p99 %s, max %s\n", roundLatency(r.P50), roundLatency(r.P99), roundLatency(r.Max))
}

// roundLatency keeps three significant digits or so: 1.23ms, 456µs.
func roundLatency(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	case d >= time.Microsecond:
		return d.Round(time.Microsecond)
	}
	return d
}
