package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/conf"
)

// Dialer connects a new client to the cluster.
type Dialer func(ctx context.Context) (*client.Client, error)

// NewCommand returns `bench` with its `master` and `data` subcommands:
//
//	bench master --operation CreateFile --threads 16 --duration 30s --warmup 5s [--base /path] [--json]
//	bench data --operation read --clients 16 --size 64MiB [--cold] [--no-short-circuit] [--json]
//
// ufsOptions gives the site properties that open the UFS for the cold
// reads' baseline. Progress lines go to the command's stderr; the summary
// goes to out (nil: the command's stdout).
func NewCommand(dial Dialer, ufsOptions func() map[string]string, out io.Writer) *cobra.Command {
	bench := &cobra.Command{
		Use:           "bench",
		Short:         "Measure the cluster's metadata and data throughput",
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
			ctx := commandContext(cmd)
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
			return writeResult(out, cmd, asJSON, res, writeSummary)
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
	bench.AddCommand(master, newDataCommand(dial, ufsOptions, out))
	return bench
}

// commandContext is the context cmd runs in; a command run outside
// cobra's Execute has none.
func commandContext(cmd *cobra.Command) context.Context {
	if ctx := cmd.Context(); ctx != nil {
		return ctx
	}
	return context.Background()
}

// dataFlags are the data command's flags as given, before parsing.
type dataFlags struct {
	opts                           DataOptions
	size, bufferSize               string
	writeType, readType            string
	shortCircuitOff, asJSON, noRaw bool
}

func newDataCommand(dial Dialer, ufsOptions func() map[string]string, out io.Writer) *cobra.Command {
	var fl dataFlags
	data := &cobra.Command{
		Use:   "data --operation write|read [--clients N] [--size 1GB] [--write-type T] [--read-type T] [--no-short-circuit] [--cold] [--json]",
		Short: "Measure write or read throughput of N clients, each with a file of its own, against the raw medium",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := commandContext(cmd)
			opts, err := fl.parse()
			if err != nil {
				return err
			}
			clients, err := dialClients(ctx, dial, opts.Clients)
			defer closeClients(clients)
			if err != nil {
				return err
			}
			if ufsOptions != nil {
				opts.UFSOptions = ufsOptions()
			}
			opts.Progress = cmd.ErrOrStderr()
			res, err := RunData(ctx, clients, opts)
			if err != nil {
				return err
			}
			return writeResult(out, cmd, fl.asJSON, res, writeDataSummary)
		},
	}
	fl.register(data.Flags())
	_ = data.MarkFlagRequired("operation")
	return data
}

// register adds the data command's flags to f.
func (fl *dataFlags) register(f *pflag.FlagSet) {
	f.StringVar(&fl.opts.Operation, "operation", "", "operation to measure: "+strings.Join(DataOperations, "|"))
	f.IntVar(&fl.opts.Clients, "clients", DefaultDataClients, "parallel clients, each with a connection and a file of its own")
	f.StringVar(&fl.size, "size", "1GB", "length of each client's file (a run moves clients × size)")
	f.StringVar(&fl.writeType, "write-type", "", "write type of the files (default MUST_CACHE; CACHE_THROUGH with --cold)")
	f.StringVar(&fl.readType, "read-type", string(client.Cache), "read type of the reads")
	f.BoolVar(&fl.shortCircuitOff, "no-short-circuit", false, "send every byte through the worker's stream, even to a worker on this host")
	f.BoolVar(&fl.opts.Cold, "cold", false, "free the files' blocks before reading, so that the workers read them from the UFS")
	f.StringVar(&fl.opts.BasePath, "base", DefaultDataBasePath, "folder under which each run makes its own")
	f.StringVar(&fl.opts.RawDir, "raw-dir", DefaultRawDir, "folder of the raw baseline (the MEM tier's medium, tmpfs), best of 3 runs")
	f.BoolVar(&fl.noRaw, "no-raw", false, "skip the raw baseline")
	f.StringVar(&fl.bufferSize, "buffer-size", "1MB", "bytes each Write or Read call moves")
	f.BoolVar(&fl.asJSON, "json", false, "print the result as JSON")
}

// parse checks the flags and turns them into options.
func (fl dataFlags) parse() (DataOptions, error) {
	o := fl.opts
	var err error
	if o.Size, err = parseBytes("size", fl.size); err != nil {
		return o, err
	}
	buffer, err := parseBytes("buffer size", fl.bufferSize)
	if err != nil {
		return o, err
	}
	if buffer > 1<<30 {
		return o, fmt.Errorf("buffer size %s is over 1GiB", fl.bufferSize)
	}
	o.BufferSize = int(buffer)
	if fl.writeType != "" {
		if o.WriteType, err = client.ParseWriteType(fl.writeType); err != nil {
			return o, err
		}
	}
	if o.ReadType, err = client.ParseReadType(fl.readType); err != nil {
		return o, err
	}
	o.NoShortCircuit = fl.shortCircuitOff
	if fl.noRaw {
		o.RawDir = ""
	}
	// Validated before the defaults fill in, which would turn --clients 0
	// into one client.
	if err := o.validate(); err != nil {
		return o, err
	}
	return o.withDefaults(), nil
}

// parseBytes reads a size such as 64MiB, 1GB or 4096: binary units either
// way, as Alluxio's sizes are.
func parseBytes(what, s string) (int64, error) {
	n, err := conf.ParseSize(strings.Replace(strings.ToLower(s), "ib", "b", 1))
	if err != nil || n < 1 || n > math.MaxInt64 {
		return 0, fmt.Errorf("bad %s %q: give a positive number of bytes such as 65536, 64MiB or 1GB", what, s)
	}
	return int64(n), nil
}

// dialClients connects n clients; the ones made are returned even on an
// error, for closing.
func dialClients(ctx context.Context, dial Dialer, n int) (DataClients, error) {
	clients := make(DataClients, 0, n)
	for range n {
		c, err := dial(ctx)
		if err != nil {
			return clients, err
		}
		clients = append(clients, c)
	}
	return clients, nil
}

func closeClients(clients DataClients) {
	for _, c := range clients {
		c.Close()
	}
}

// writeResult prints res as JSON or through summary, to out or else the
// command's stdout.
func writeResult[R any](out io.Writer, cmd *cobra.Command, asJSON bool, res R, summary func(io.Writer, R)) error {
	if out == nil {
		out = cmd.OutOrStdout()
	}
	if asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	summary(out, res)
	return nil
}

func writeDataSummary(w io.Writer, r DataResult) {
	mode := "short-circuit"
	if !r.ShortCircuit {
		mode = "through the worker's stream"
	}
	if r.Operation == DataRead {
		warmth := "warm"
		if r.Cold {
			warmth = "cold (from the UFS)"
		}
		mode += ", " + warmth + ", read type " + r.ReadType
	}
	fmt.Fprintf(w, "Operation:   %s (%s, write type %s)\n", r.Operation, mode, r.WriteType)
	fmt.Fprintf(w, "Clients:     %d × %s = %s\n", r.Clients, formatBytes(r.SizePerClient), formatBytes(r.TotalBytes))
	fmt.Fprintf(w, "Time:        %.2fs\n", r.Seconds)
	fmt.Fprintf(w, "Throughput:  %.0f MB/s\n", r.MBps)
	if r.RawMBps > 0 {
		fmt.Fprintf(w, "Raw medium:  %.0f MB/s (Halo at %.0f%%)\n", r.RawMBps, 100*r.RawRatio)
	}
	if r.UFSMBps > 0 {
		fmt.Fprintf(w, "UFS alone:   %.0f MB/s (Halo at %.0f%%)\n", r.UFSMBps, 100*r.UFSRatio)
	}
}

// formatBytes prints n in the largest binary unit that divides it, else
// in bytes.
func formatBytes(n int64) string {
	for _, u := range []struct {
		name  string
		shift uint
	}{{"GiB", 30}, {"MiB", 20}, {"KiB", 10}} {
		if n >= 1<<u.shift && n%(1<<u.shift) == 0 {
			return fmt.Sprintf("%d%s", n>>u.shift, u.name)
		}
	}
	return fmt.Sprintf("%dB", n)
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
