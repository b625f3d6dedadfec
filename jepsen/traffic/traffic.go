// Package traffic generates the failover tests' workload and records its
// history: concurrent workers, some pinned to one master and some using the
// whole cluster, run create, mkdir, rename, delete, stat and list on a small
// set of paths, and a ledger of files that are never removed. Every call is
// recorded with its invocation and completion times and its outcome (ok,
// failed, unknown) for the checkers.
package traffic

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/jepsen/model"
	"github.com/halo-fs/halo/proto/halopb"
)

// Root is the folder the workload owns.
const Root = "/jepsen"

// LedgerDir holds the ledger files.
const LedgerDir = Root + "/ledger"

// User is the user every worker calls as: the masters' own user, so that
// permissions never get in the way of what is being tested.
const User = "root"

// Config shapes the workload.
type Config struct {
	// Groups is how many groups of names the workers share; fewer means
	// more contention.
	Groups int
	// QPS is the rate all workers together aim at.
	QPS float64
	// MaxOps bounds the run's operation count, whatever its duration.
	MaxOps int64
	// RetryBudget is how long the client retries one call
	// (RetryMaxDuration); AttemptTimeout bounds one attempt.
	RetryBudget    time.Duration
	AttemptTimeout time.Duration
	// Mix weighs the operation kinds.
	Mix map[model.OpKind]int
}

// DefaultConfig is 10 groups at 250 ops/s with a 4 s retry budget.
func DefaultConfig() Config {
	return Config{
		Groups:         10,
		QPS:            250,
		MaxOps:         200000,
		RetryBudget:    4 * time.Second,
		AttemptTimeout: time.Second,
		Mix: map[model.OpKind]int{
			model.Create: 18, model.Mkdir: 6, model.Delete: 18, model.Rename: 12,
			model.Stat: 24, model.List: 12, model.Ledger: 10,
		},
	}
}

// Worker says where one worker sends its calls.
type Worker struct {
	// Pinned is the one master the worker talks to; empty means the
	// whole cluster (the client's own leader discovery).
	Pinned string
}

// Clock measures time since the run began, on the monotonic clock, so
// that the history and the fault log share one time line.
type Clock struct{ base time.Time }

// NewClock starts a clock now.
func NewClock() Clock { return Clock{base: time.Now()} }

// Now is nanoseconds since the clock started.
func (c Clock) Now() int64 { return time.Since(c.base).Nanoseconds() }

// Base is when the clock started.
func (c Clock) Base() time.Time { return c.base }

// Runner runs the workers against one deployment.
type Runner struct {
	cfg     Config
	clock   Clock
	all     []string
	workers []Worker

	streams atomic.Int64 // next Porcupine client id
	values  atomic.Int64 // next unique value
	ops     atomic.Int64
}

// NewRunner prepares workers against the masters at addrs.
func NewRunner(cfg Config, clock Clock, addrs []string, workers []Worker) *Runner {
	r := &Runner{cfg: cfg, clock: clock, all: addrs, workers: workers}
	r.values.Store(1 << 20)
	return r
}

// Workers builds the usual mix: pinned workers spread over the masters in
// turn, then cluster-wide ones.
func Workers(addrs []string, pinned, clusterWide int) []Worker {
	var out []Worker
	for i := 0; i < pinned; i++ {
		out = append(out, Worker{Pinned: addrs[i%len(addrs)]})
	}
	for i := 0; i < clusterWide; i++ {
		out = append(out, Worker{})
	}
	return out
}

// NewClient returns a client with the workload's retry settings; pinned
// clients send every call to one master first (following a NotLeader hint
// for that call only), as a client of that master alone would.
func (r *Runner) NewClient(pinned string, budget time.Duration) (*client.Client, error) {
	opts := client.Options{
		Addresses:          r.all,
		User:               User,
		RetryBaseSleep:     20 * time.Millisecond,
		RetryMaxSleep:      250 * time.Millisecond,
		RetryMaxDuration:   budget,
		AttemptTimeout:     r.cfg.AttemptTimeout,
		LeaderProbeTimeout: 500 * time.Millisecond,
	}
	if pinned != "" {
		opts.Addresses = []string{pinned}
		opts.Finder = pinnedFinder(pinned)
	}
	return client.New(opts)
}

// pinnedFinder always names its one master.
type pinnedFinder string

func (f pinnedFinder) Leader(context.Context) (string, error) { return string(f), nil }
func (f pinnedFinder) Report(string, error)                   {}

// GroupPath is /jepsen/gNN.
func GroupPath(g int) string { return fmt.Sprintf("%s/g%02d", Root, g) }

// Path is the path of name index n in group g.
func Path(g, n int) string { return GroupPath(g) + "/" + model.Names[n] }

// Setup makes the workload's folders through the whole cluster.
func (r *Runner) Setup(ctx context.Context) error {
	c, err := r.NewClient("", 30*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	dirs := []string{LedgerDir}
	for g := 0; g < r.cfg.Groups; g++ {
		dirs = append(dirs, GroupPath(g))
	}
	for _, d := range dirs {
		if _, err := c.CreateDirectory(ctx, d, client.CreateDirectoryOptions{Recursive: true, AllowExists: true}); err != nil {
			return fmt.Errorf("setup %s: %w", d, err)
		}
	}
	return nil
}

// Run runs every worker until ctx ends or MaxOps calls were made, and
// returns the history sorted by invocation time.
func (r *Runner) Run(ctx context.Context) ([]model.Op, error) {
	histories := make([][]model.Op, len(r.workers))
	var wg sync.WaitGroup
	for i, w := range r.workers {
		c, err := r.NewClient(w.Pinned, r.cfg.RetryBudget)
		if err != nil {
			return nil, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			histories[i] = r.work(ctx, i, w, c)
		}()
	}
	wg.Wait()
	var all []model.Op
	for _, h := range histories {
		all = append(all, h...)
	}
	SortByCall(all)
	return all, nil
}

// SortByCall orders a history by invocation time.
func SortByCall(ops []model.Op) {
	sort.SliceStable(ops, func(i, j int) bool { return ops[i].Call < ops[j].Call })
}

func (r *Runner) work(ctx context.Context, id int, w Worker, c *client.Client) []model.Op {
	rng := rand.New(rand.NewPCG(uint64(id), uint64(time.Now().UnixNano())))
	interval := time.Duration(float64(time.Second) * float64(len(r.workers)) / r.cfg.QPS)
	next := time.Now().Add(time.Duration(rng.Int64N(int64(interval) + 1)))
	stream := int(r.streams.Add(1) - 1)
	var ledgerSeq int
	var out []model.Op
	for ctx.Err() == nil && r.ops.Add(1) <= r.cfg.MaxOps {
		if d := time.Until(next); d > 0 {
			select {
			case <-ctx.Done():
				return out
			case <-time.After(d):
			}
		}
		next = next.Add(interval)
		if time.Until(next) < -time.Second {
			next = time.Now() // behind by more than a second: do not burst
		}
		in := r.generate(rng, id, &ledgerSeq)
		op := model.Op{Client: id, Stream: stream, Master: w.Pinned, Input: in}
		op.Call = r.clock.Now()
		op.Output = r.execute(c, in)
		op.Return = r.clock.Now()
		out = append(out, op)
		if op.Output.Outcome == model.Unknown {
			stream = int(r.streams.Add(1) - 1)
		}
	}
	return out
}

func (r *Runner) generate(rng *rand.Rand, worker int, ledgerSeq *int) model.Input {
	total := 0
	for _, w := range r.cfg.Mix {
		total += w
	}
	pick := rng.IntN(total)
	kind := model.Stat
	// Iterate in a fixed order so that one seed gives one sequence.
	for _, k := range []model.OpKind{model.Create, model.Mkdir, model.Delete, model.Rename, model.Stat, model.List, model.Ledger} {
		if pick < r.cfg.Mix[k] {
			kind = k
			break
		}
		pick -= r.cfg.Mix[k]
	}
	in := model.Input{Kind: kind, Group: rng.IntN(r.cfg.Groups), Name: rng.IntN(model.NameCount)}
	switch kind {
	case model.Create:
		in.Value = r.values.Add(1)
	case model.Rename:
		in.Dst = (in.Name + 1 + rng.IntN(model.NameCount-1)) % model.NameCount
	case model.Ledger:
		*ledgerSeq++
		in.Group, in.Name = -1, 0
		in.Value = r.values.Add(1)
		in.Path = fmt.Sprintf("%s/w%d-%06d", LedgerDir, worker, *ledgerSeq)
	}
	return in
}

// execute makes one call and classifies its answer.
func (r *Runner) execute(c *client.Client, in model.Input) model.Output {
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.RetryBudget+2*time.Second)
	defer cancel()
	return Execute(ctx, c, in)
}

// Execute makes the call in describes with c and classifies the answer.
func Execute(ctx context.Context, c *client.Client, in model.Input) model.Output {
	var (
		info *halopb.FileInfo
		err  error
	)
	path := ""
	if in.Group >= 0 {
		path = Path(in.Group, in.Name)
	}
	switch in.Kind {
	case model.Create:
		// One operation, Alluxio's CreateFile: the model is about names
		// and inodes, and a create completed by a second operation could
		// fail after the file exists.
		info, err = c.CreateFile(ctx, path, client.CreateFileOptions{BlockSizeBytes: in.Value})
	case model.Ledger:
		info, err = c.CreateFile(ctx, in.Path, client.CreateFileOptions{BlockSizeBytes: in.Value})
	case model.Mkdir:
		var id uint64
		if id, err = c.CreateDirectory(ctx, path, client.CreateDirectoryOptions{}); err == nil {
			info = &halopb.FileInfo{Id: id, IsDirectory: true}
		}
	case model.Delete:
		err = c.Delete(ctx, path, false)
	case model.Rename:
		err = c.Rename(ctx, path, Path(in.Group, in.Dst))
	case model.Stat:
		info, err = c.GetStatus(ctx, path)
	case model.List:
		var infos []*halopb.FileInfo
		infos, err = c.ListStatus(ctx, GroupPath(in.Group), false)
		if err == nil {
			return listing(infos)
		}
	}
	if err != nil {
		return classify(in.Kind, err)
	}
	out := model.Output{Outcome: model.OK}
	if info != nil {
		s := SlotOf(info)
		out.Node = &s
	}
	return out
}

// SlotOf is the model's view of an inode: a file's block size, a
// directory's id.
func SlotOf(info *halopb.FileInfo) model.Slot {
	if info.IsDirectory {
		return model.Slot{Kind: model.Dir, Value: int64(info.Id)}
	}
	return model.Slot{Kind: model.File, Value: info.BlockSizeBytes}
}

func listing(infos []*halopb.FileInfo) model.Output {
	var l [model.NameCount]model.Slot
	var extra []string
	for _, fi := range infos {
		idx := -1
		for i, n := range model.Names {
			if fi.Name == n {
				idx = i
			}
		}
		if idx < 0 {
			extra = append(extra, fi.Name)
			continue
		}
		l[idx] = SlotOf(fi)
	}
	return model.Output{Outcome: model.OK, Listing: &l, Extra: extra}
}

// classify maps an error to an outcome: answers about the namespace and
// refusals are definite; OutcomeUnknown, and anything the client could not
// type, may have taken effect.
func classify(kind model.OpKind, err error) model.Output {
	code := fserr.CodeOf(err)
	out := model.Output{Code: code.String(), Error: err.Error()}
	switch code {
	case fserr.NotFound, fserr.AlreadyExists, fserr.InvalidPath, fserr.DirectoryNotEmpty,
		fserr.FailedPrecondition, fserr.PermissionDenied, fserr.InvalidArgument,
		fserr.Unavailable, fserr.NotLeader, fserr.ResourceExhausted:
		out.Outcome = model.Failed
	default:
		if kind.IsMutation() {
			out.Outcome = model.Unknown
		} else {
			out.Outcome = model.Failed
		}
	}
	return out
}

// Started counts the calls the workers have started so far.
func (r *Runner) Started() int64 { return min(r.ops.Load(), r.cfg.MaxOps) }
