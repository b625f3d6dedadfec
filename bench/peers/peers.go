// Package peers measures Halo beside the systems it replaces or is
// compared with — ZooKeeper, etcd and a real Alluxio 2.9.3 cluster — with
// the same two workloads: create-if-absent of a new path and a
// linearizable read of an existing one. Each point runs a fixed number of
// threads for a fixed time; the report is one table with every system's
// throughput, latency percentiles and ratio to the best peer.
//
// The run itself is TestPeers (build tag "peers", `make bench-peers`): it
// starts every system with internal/testinfra's harnesses, which take a
// testing.TB, and it must stay out of `make test`.
package peers

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/halo-fs/halo/bench"
)

// The workloads every system runs.
const (
	Create = "create"
	Read   = "read"
)

// Op is one operation of a workload by thread, seq counting that
// thread's calls from 0.
type Op func(ctx context.Context, thread int, seq int64) error

// Point is one measured run: a system's workload at a thread count.
type Point struct {
	System   string
	Workload string
	// Client and Operation say what was called, for the table.
	Client    string
	Operation string
	Peer      bool
	Threads   int
	Ops       int64
	Errors    int64
	OpsPerSec float64
	P50       time.Duration
	P99       time.Duration
	// FirstError is one failed call's error, for the report.
	FirstError string
}

// Measure runs op on threads goroutines for warmup and then duration,
// counting only the calls that start and end inside the measured time.
func Measure(ctx context.Context, op Op, threads int, warmup, duration time.Duration) Point {
	start := time.Now()
	from, end := start.Add(warmup), start.Add(warmup+duration)
	type tally struct {
		h        bench.Histogram
		ops, err int64
		first    error
	}
	tallies := make([]tally, threads)
	var wg sync.WaitGroup
	for i := range threads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := &tallies[i]
			for seq := int64(0); ctx.Err() == nil; seq++ {
				began := time.Now()
				if !began.Before(end) {
					return
				}
				err := op(ctx, i, seq)
				done := time.Now()
				if began.Before(from) || done.After(end) {
					continue
				}
				t.h.Record(done.Sub(began))
				t.ops++
				if err != nil {
					t.err++
					if t.first == nil {
						t.first = err
					}
				}
			}
		}()
	}
	wg.Wait()
	var all bench.Histogram
	p := Point{Threads: threads}
	for i := range tallies {
		all.Merge(&tallies[i].h)
		p.Ops += tallies[i].ops
		p.Errors += tallies[i].err
		if p.FirstError == "" && tallies[i].first != nil {
			p.FirstError = tallies[i].first.Error()
		}
	}
	p.OpsPerSec = float64(p.Ops-p.Errors) / duration.Seconds()
	p.P50, p.P99 = all.Quantile(0.50), all.Quantile(0.99)
	return p
}

// bestPeer is the highest peer throughput of each workload and thread
// count.
func bestPeer(points []Point) map[string]float64 {
	best := map[string]float64{}
	for _, p := range points {
		if k := pointKey(p); p.Peer && p.OpsPerSec > best[k] {
			best[k] = p.OpsPerSec
		}
	}
	return best
}

func pointKey(p Point) string { return fmt.Sprintf("%s/%d", p.Workload, p.Threads) }

// WriteTable writes points as one Markdown table, creates first, each
// row's throughput also as a ratio to the best peer's at the same
// workload and thread count ("-" where no peer was measured).
func WriteTable(w io.Writer, points []Point) {
	sorted := slices.Clone(points)
	order := map[string]int{Create: 0, Read: 1}
	slices.SortStableFunc(sorted, func(a, b Point) int {
		if d := order[a.Workload] - order[b.Workload]; d != 0 {
			return d
		}
		return a.Threads - b.Threads
	})
	best := bestPeer(points)
	fmt.Fprintln(w, "| workload | threads | system | client: operation | ops/s | p50 ms | p99 ms | × best peer | ops/errors |")
	fmt.Fprintln(w, "|---|---:|---|---|---:|---:|---:|---:|---:|")
	for _, p := range sorted {
		ratio := "-"
		if b := best[pointKey(p)]; b > 0 {
			ratio = fmt.Sprintf("%.2f", p.OpsPerSec/b)
		}
		system := p.System
		if !p.Peer {
			system = "**" + system + "**"
		}
		fmt.Fprintf(w, "| %s | %d | %s | %s: %s | %.0f | %s | %s | %s | %d/%d |\n", p.Workload, p.Threads, system,
			p.Client, p.Operation, p.OpsPerSec, millis(p.P50), millis(p.P99), ratio, p.Ops, p.Errors)
	}
}

func millis(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/1e6) }

// Percentiles gives the p50 and p99 of samples (nearest rank), zero for
// none.
func Percentiles(samples []time.Duration) (p50, p99 time.Duration) {
	if len(samples) == 0 {
		return 0, 0
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	rank := func(q float64) time.Duration {
		i := int(q*float64(len(s)) + 0.999999)
		return s[max(0, min(len(s)-1, i-1))]
	}
	return rank(0.50), rank(0.99)
}

// Successes is a writer that keeps creating files, as seen by a failover
// measurement.
type Successes interface {
	// FirstSuccessAfter is the end of the first create that succeeded
	// after t, waiting up to timeout for one.
	FirstSuccessAfter(t time.Time, timeout time.Duration) (time.Time, error)
}

// Failover runs trials against a running writer w: once a create has
// succeeded, kill -9 of the leader (kill returns when the SIGKILL was
// sent, and the restart), then the time from the SIGKILL to the first
// create that succeeds after kill has returned, when the process is gone:
// a create that succeeds in between was the dead leader's last answer.
// The killed master restarts before the next trial.
func Failover(w Successes, trials int, timeout time.Duration, kill func() (killedAt time.Time, restart func()), progress func(int, time.Duration)) ([]time.Duration, error) {
	var out []time.Duration
	since := time.Now()
	for i := range trials {
		if _, err := w.FirstSuccessAfter(since, timeout); err != nil {
			return out, fmt.Errorf("trial %d, before the kill: %w", i, err)
		}
		killedAt, restart := kill()
		back, err := w.FirstSuccessAfter(time.Now(), timeout)
		if err != nil {
			return out, fmt.Errorf("trial %d, after the kill: %w", i, err)
		}
		out = append(out, back.Sub(killedAt))
		progress(i, back.Sub(killedAt))
		restart()
		since = time.Now()
	}
	return out, nil
}

// ParseThreads reads a comma-separated list of thread counts.
func ParseThreads(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		var n int
		if _, err := fmt.Sscanf(strings.TrimSpace(f), "%d", &n); err != nil || n < 1 {
			return nil, fmt.Errorf("thread count %q is not a positive number", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// LongestGap is the longest time between two successive successes in
// successes (in order), counted from the last one at or before signalledAt;
// zero when none came before it.
func LongestGap(successes []time.Time, signalledAt time.Time) time.Duration {
	first := -1
	for i, s := range successes {
		if s.After(signalledAt) {
			break
		}
		first = i
	}
	if first < 0 {
		return 0
	}
	var longest time.Duration
	for i := first + 1; i < len(successes); i++ {
		longest = max(longest, successes[i].Sub(successes[i-1]))
	}
	return longest
}

// SuccessTimes is a writer whose every success can be read back.
type SuccessTimes interface {
	Successes
	// SuccessesBetween are the end times of the creates that succeeded
	// in [from, to], in order.
	SuccessesBetween(from, to time.Time) []time.Time
}

// GracefulStop runs trials against a running writer w: once a create has
// succeeded, a clean stop (SIGTERM) of the leader (stop returns when the
// signal was sent, a channel closed when the process has exited, and the
// restart), then the longest gap between two successive creates from the
// last one before the signal to the first one after the process exited.
// The stopped leader keeps answering until it has handed over, so the gap,
// not the time to the first success, is the unavailability.
func GracefulStop(w SuccessTimes, trials int, timeout time.Duration, stop func() (signalledAt time.Time, exited <-chan struct{}, restart func()), progress func(int, time.Duration)) ([]time.Duration, error) {
	var out []time.Duration
	since := time.Now()
	for i := range trials {
		if _, err := w.FirstSuccessAfter(since, timeout); err != nil {
			return out, fmt.Errorf("trial %d, before the stop: %w", i, err)
		}
		signalledAt, exited, restart := stop()
		<-exited
		back, err := w.FirstSuccessAfter(time.Now(), timeout)
		if err != nil {
			return out, fmt.Errorf("trial %d, after the stop: %w", i, err)
		}
		gap := LongestGap(w.SuccessesBetween(since, back), signalledAt)
		out = append(out, gap)
		progress(i, gap)
		restart()
		since = time.Now()
	}
	return out, nil
}
