// Package bench is `halo bench master`: a load generator for the master's
// metadata operations in the manner of Alluxio's StressMasterBench. Each
// thread repeats one operation for a fixed time after a warmup, recording
// latencies into its own histogram; the report gives throughput and
// percentiles.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/fserr"
)

// The operations a run can measure.
const (
	// OpCreateFile creates then completes a file: two requests, two
	// journal entries, as Alluxio's StressMasterBench does.
	OpCreateFile = "CreateFile"
	// OpCreateFileOnly is one CreateFile request, left incomplete: one
	// journal entry, the unit of a ZooKeeper create or an etcd put.
	OpCreateFileOnly = "CreateFileOnly"
	OpCreateDir      = "CreateDir"
	OpGetFileStatus  = "GetFileStatus"
	OpListDir        = "ListDir"
	OpRenameFile     = "RenameFile"
	OpDeleteFile     = "DeleteFile"
)

// Operations lists every supported operation.
var Operations = []string{OpCreateFile, OpCreateFileOnly, OpCreateDir, OpGetFileStatus, OpListDir, OpRenameFile, OpDeleteFile}

// Defaults for Options.
const (
	DefaultThreads          = 16
	DefaultDuration         = 30 * time.Second
	DefaultWarmup           = 5 * time.Second
	DefaultBasePath         = "/stress-master-bench"
	DefaultFixedCount       = 256
	DefaultProgressInterval = 5 * time.Second
)

// Options configures a run. Zero values take the defaults above, except
// Operation, which is required, and Warmup, where zero means none when
// set through NewCommand.
type Options struct {
	Operation string
	Threads   int
	// Duration is the measured time; Warmup runs before it, unmeasured.
	Duration, Warmup time.Duration
	// BasePath is where each run makes its own timestamped folder.
	BasePath string
	// FixedCount is how many files each thread prepares for the read,
	// rename and delete operations.
	FixedCount int
	// Progress receives a line every ProgressInterval; nil for none.
	Progress         io.Writer
	ProgressInterval time.Duration
}

func (o Options) withDefaults() Options {
	if o.Threads == 0 {
		o.Threads = DefaultThreads
	}
	if o.Duration == 0 {
		o.Duration = DefaultDuration
	}
	if o.BasePath == "" {
		o.BasePath = DefaultBasePath
	}
	if o.FixedCount == 0 {
		o.FixedCount = DefaultFixedCount
	}
	if o.ProgressInterval == 0 {
		o.ProgressInterval = DefaultProgressInterval
	}
	return o
}

func (o Options) validate() error {
	known := false
	for _, op := range Operations {
		known = known || op == o.Operation
	}
	switch {
	case !known:
		return fmt.Errorf("unknown operation %q: use one of %s", o.Operation, strings.Join(Operations, ", "))
	case o.Threads < 1:
		return fmt.Errorf("threads must be at least 1, not %d", o.Threads)
	case o.Duration <= 0:
		return fmt.Errorf("duration must be positive, not %s", o.Duration)
	case o.Warmup < 0:
		return fmt.Errorf("warmup must not be negative, not %s", o.Warmup)
	case o.FixedCount < 1:
		return fmt.Errorf("fixed count must be at least 1, not %d", o.FixedCount)
	case !strings.HasPrefix(o.BasePath, "/"):
		return fmt.Errorf("base path must be absolute, not %q", o.BasePath)
	case o.ProgressInterval < 0:
		return fmt.Errorf("progress interval must not be negative, not %s", o.ProgressInterval)
	}
	return nil
}

// Result is what a run measured. Latencies are of successful and failed
// operations alike; Errors counts the failed ones.
type Result struct {
	Operation string        `json:"operation"`
	Threads   int           `json:"threads"`
	Ops       int64         `json:"ops"`
	Errors    int64         `json:"errors"`
	Duration  time.Duration `json:"duration_ns"`
	OpsPerSec float64       `json:"ops_per_sec"`
	P50       time.Duration `json:"p50_ns"`
	P99       time.Duration `json:"p99_ns"`
	Max       time.Duration `json:"max_ns"`
}

// Run measures opts.Operation against the master c talks to. It works in a
// fresh folder under opts.BasePath and deletes it afterwards (best effort).
func Run(ctx context.Context, c *client.Client, opts Options) (Result, error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return Result{}, err
	}
	runDir := path.Join(opts.BasePath, fmt.Sprintf("%s-%s", time.Now().UTC().Format("20060102-150405.000"), c.ClientID()[:8]))
	if _, err := c.CreateDirectory(ctx, runDir, client.CreateDirectoryOptions{Recursive: true}); err != nil {
		return Result{}, fmt.Errorf("creating the run folder %s: %w", runDir, err)
	}
	defer cleanUp(c, runDir)

	workers := make([]*worker, opts.Threads)
	for i := range workers {
		workers[i] = &worker{c: c, op: opts.Operation, dir: path.Join(runDir, fmt.Sprintf("t%d", i)), fixedCount: opts.FixedCount}
	}
	if err := forEach(workers, func(w *worker) error { return w.prepare(ctx) }); err != nil {
		return Result{}, fmt.Errorf("preparing %s: %w", opts.Operation, err)
	}

	start := time.Now()
	window := timeWindow{measureFrom: start.Add(opts.Warmup), end: start.Add(opts.Warmup + opts.Duration)}
	stopProgress := reportProgress(opts, workers, start, window)
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.run(ctx, window)
		}()
	}
	wg.Wait()
	stopProgress()

	res := summarize(opts, workers, window)
	return res, ctx.Err()
}

// timeWindow is a run's timeline: warmup until measureFrom, then measured
// until end.
type timeWindow struct {
	measureFrom, end time.Time
}

func summarize(opts Options, workers []*worker, window timeWindow) Result {
	res := Result{Operation: opts.Operation, Threads: opts.Threads}
	var all Histogram
	for _, w := range workers {
		all.Merge(&w.latency)
		res.Ops += w.ops
		res.Errors += w.errors
		elapsed := max(w.finished.Sub(window.measureFrom), 0)
		res.Duration = max(res.Duration, elapsed)
		// Throughput adds up each thread's rate over the time it was
		// measuring, which excludes DeleteFile's unmeasured refills.
		if active := elapsed - w.paused; active > 0 {
			res.OpsPerSec += float64(w.ops) / active.Seconds()
		}
	}
	res.P50, res.P99, res.Max = all.Quantile(0.50), all.Quantile(0.99), all.Max()
	return res
}

// forEach runs fn for every worker in parallel and returns the first error.
func forEach(workers []*worker, fn func(*worker) error) error {
	errs := make([]error, len(workers))
	var wg sync.WaitGroup
	for i, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn(w)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// cleanUp deletes the run folder with its own deadline, so that it also
// runs after the caller's context was cancelled.
func cleanUp(c *client.Client, runDir string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_ = c.Delete(ctx, runDir, true)
}

// reportProgress prints a line every interval with the operations so far
// and the rate since the previous line; the returned func stops it.
func reportProgress(opts Options, workers []*worker, start time.Time, window timeWindow) (stop func()) {
	if opts.Progress == nil || opts.ProgressInterval <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		ticker := time.NewTicker(opts.ProgressInterval)
		defer ticker.Stop()
		var lastOps int64
		lastTime := start
		for {
			select {
			case <-done:
				return
			case now := <-ticker.C:
				var ops int64
				for _, w := range workers {
					ops += w.completed.Load()
				}
				phase := "measure"
				if now.Before(window.measureFrom) {
					phase = "warmup"
				}
				rate := float64(ops-lastOps) / now.Sub(lastTime).Seconds()
				fmt.Fprintf(opts.Progress, "[%s] %s %6.1fs: %d ops, %.0f ops/s\n",
					opts.Operation, phase, now.Sub(start).Seconds(), ops, rate)
				lastOps, lastTime = ops, now
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// worker is one benchmark thread. It owns its folder and its histogram.
type worker struct {
	c          *client.Client
	op         string
	dir        string
	fixedCount int

	seq     int64    // operations issued, warmup included
	renamed []bool   // one per prepared file; RenameFile: whether it is at its "r" name
	pool    []string // DeleteFile: files still to delete
	pooled  int64    // DeleteFile: files ever created, for unique names

	completed atomic.Int64 // for progress lines only
	latency   Histogram
	ops       int64
	errors    int64
	paused    time.Duration // unmeasured refill time inside the measured window
	finished  time.Time
}

func (w *worker) fixedDir() string { return path.Join(w.dir, "fixed") }

func (w *worker) prepare(ctx context.Context) error {
	if _, err := w.c.CreateDirectory(ctx, w.dir, client.CreateDirectoryOptions{}); err != nil {
		return err
	}
	switch w.op {
	case OpGetFileStatus, OpListDir, OpRenameFile:
		if _, err := w.c.CreateDirectory(ctx, w.fixedDir(), client.CreateDirectoryOptions{}); err != nil {
			return err
		}
		w.renamed = make([]bool, w.fixedCount)
		for i := range w.renamed {
			if _, err := w.c.CreateFile(ctx, w.fixedPath(i), client.CreateFileOptions{Completed: true}); err != nil {
				return err
			}
		}
	case OpDeleteFile:
		if _, err := w.c.CreateDirectory(ctx, w.fixedDir(), client.CreateDirectoryOptions{}); err != nil {
			return err
		}
		return w.refill(ctx)
	}
	return nil
}

// fixedPath is where fixed file i is now: RenameFile moves each file
// between an "f" and an "r" name, so that every rename has a source.
func (w *worker) fixedPath(i int) string {
	prefix := "f"
	if w.renamed[i] {
		prefix = "r"
	}
	return path.Join(w.fixedDir(), fmt.Sprintf("%s%d", prefix, i))
}

// refill creates another fixedCount files for DeleteFile to consume.
func (w *worker) refill(ctx context.Context) error {
	for range w.fixedCount {
		w.pooled++
		p := path.Join(w.fixedDir(), fmt.Sprintf("p%d", w.pooled))
		if _, err := w.c.CreateFile(ctx, p, client.CreateFileOptions{Completed: true}); err != nil {
			return err
		}
		w.pool = append(w.pool, p)
	}
	return nil
}

func (w *worker) run(ctx context.Context, window timeWindow) {
	for ctx.Err() == nil && time.Now().Before(window.end) {
		if w.op == OpDeleteFile && len(w.pool) == 0 {
			refillStart := time.Now()
			err := w.refill(ctx)
			if refillStart.After(window.measureFrom) {
				w.paused += time.Since(refillStart)
			}
			if len(w.pool) == 0 {
				// Nothing to delete: the master refused every create.
				if err != nil && refillStart.After(window.measureFrom) {
					w.errors++
				}
				continue
			}
		}
		begin := time.Now()
		if !begin.Before(window.end) {
			break
		}
		err := w.once(ctx)
		took := time.Since(begin)
		w.completed.Add(1)
		if begin.Before(window.measureFrom) {
			continue
		}
		w.latency.Record(took)
		if err != nil {
			w.errors++
		} else {
			w.ops++
		}
	}
	w.finished = time.Now()
}

// once performs the measured operation one time.
func (w *worker) once(ctx context.Context) error {
	n := w.seq
	w.seq++
	switch w.op {
	case OpCreateFile:
		_, err := w.c.CreateFile(ctx, path.Join(w.dir, fmt.Sprintf("c%d", n)), client.CreateFileOptions{Completed: true})
		return err
	case OpCreateFileOnly:
		_, err := w.c.CreateFile(ctx, path.Join(w.dir, fmt.Sprintf("c%d", n)), client.CreateFileOptions{})
		return err
	case OpCreateDir:
		_, err := w.c.CreateDirectory(ctx, path.Join(w.dir, fmt.Sprintf("d%d", n)), client.CreateDirectoryOptions{})
		return err
	case OpGetFileStatus:
		_, err := w.c.GetStatus(ctx, w.fixedPath(int(n%int64(len(w.renamed)))))
		return err
	case OpListDir:
		_, err := w.c.ListStatus(ctx, w.fixedDir(), false)
		return err
	case OpRenameFile:
		i := int(n % int64(len(w.renamed)))
		src := w.fixedPath(i)
		w.renamed[i] = !w.renamed[i]
		err := w.c.Rename(ctx, src, w.fixedPath(i))
		if err != nil && fserr.CodeOf(err) != fserr.NotFound {
			// Not moved (or not known to have moved): keep the old name.
			// NotFound means an earlier, unknown-outcome rename did move it.
			w.renamed[i] = !w.renamed[i]
		}
		return err
	case OpDeleteFile:
		p := w.pool[len(w.pool)-1]
		w.pool = w.pool[:len(w.pool)-1]
		return w.c.Delete(ctx, p, false)
	}
	return fmt.Errorf("unknown operation %q", w.op)
}
