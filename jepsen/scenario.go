// Package jepsen runs Halo's failover tests, after etcd's robustness tests:
// real master processes in network namespaces (cluster), a recorded
// workload (traffic), faults (nemesis), checkers (checker: Porcupine with
// the namespace model in model, lost writes, convergence, recovery) and a
// report folder per failing run (reporting).
//
// The tests need root (namespaces, iptables, tc). `make test` runs the
// short ones; `make jepsen` runs the whole matrix.
package jepsen

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/halo-fs/halo/internal/testinfra/masters"
	"github.com/halo-fs/halo/internal/testinfra/netns"
	"github.com/halo-fs/halo/internal/testinfra/workers"
	"github.com/halo-fs/halo/internal/testinfra/zookeeper"
	"github.com/halo-fs/halo/jepsen/checker"
	"github.com/halo-fs/halo/jepsen/model"
	"github.com/halo-fs/halo/jepsen/nemesis"
	"github.com/halo-fs/halo/jepsen/reporting"
	"github.com/halo-fs/halo/jepsen/traffic"
	"github.com/halo-fs/halo/master/identity"
)

// UnsafeStaleReads is the test-only property that makes every master
// serve reads without confirming leadership: the deliberately broken build
// the checkers must catch.
const UnsafeStaleReads = "halo.test.unsafe.stale.reads"

// IgnoreSessionLoss is the test-only property that keeps a ZooKeeper-mode
// leader serving after its session ends, so that only the shared journal's
// fencing can stop it.
const IgnoreSessionLoss = "halo.test.zookeeper.ignore.session.loss"

// Scenario is one run: a deployment, one kind of fault on a schedule, and
// the workload.
type Scenario struct {
	Name    string
	Mode    masters.Mode
	Masters int
	Fault   nemesis.Fault
	// Duration is the shortest run; the run goes on (up to three times
	// as long) until MinOps calls were made.
	Duration time.Duration
	MinOps   int
	Props    map[string]string
	Traffic  traffic.Config
	// Data, when set, adds a worker beside each master (in its
	// namespace, their UFS root one folder every namespace sees) and the
	// data workload: files of known content written under the faults and
	// read back after healing.
	Data *traffic.DataConfig
	// Pinned workers talk to one master each (in turn; all to the first
	// leader with PinToLeader); ClusterWide ones to the leader they find.
	Pinned, ClusterWide int
	PinToLeader         bool
	Schedule            nemesis.Schedule
	// Cooldown is how long the traffic goes on after the final heal.
	Cooldown time.Duration
	// CheckTimeout bounds Porcupine.
	CheckTimeout time.Duration
	// RecoveryWithin is how soon after healing a write must succeed.
	RecoveryWithin time.Duration
	// ReportRoot is where a failing run's folder goes; KeepReport keeps
	// passing runs' folders too.
	ReportRoot string
	KeepReport bool
}

// NewScenario fills the defaults for mode, n masters and fault.
func NewScenario(mode masters.Mode, n int, fault nemesis.Fault, duration time.Duration) Scenario {
	sc := Scenario{
		Name:    fmt.Sprintf("%s-%d-%s", mode, n, fault.Name()),
		Mode:    mode,
		Masters: n,
		Fault:   fault,
		// Frequent checkpoints with few trailing entries, so that a master
		// that was down or cut off for a while catches up by snapshot.
		Props: map[string]string{
			"alluxio.master.journal.checkpoint.period.entries": "2000",
			"halo.master.embedded.journal.trailing.logs":       "1000",
		},
		Duration:       duration,
		Traffic:        traffic.DefaultConfig(),
		Pinned:         6,
		ClusterWide:    2,
		Schedule:       nemesis.DefaultSchedule(),
		Cooldown:       3 * time.Second,
		CheckTimeout:   5 * time.Minute,
		RecoveryWithin: 10 * time.Second,
		ReportRoot:     DefaultReportRoot(),
	}
	if mode == masters.ModeZooKeeper {
		// Hold every fault well past the ZooKeeper session timeout, so
		// that a standby is elected and writes while the fault lasts.
		sc.Schedule.Hold = 2 * masters.ZooKeeperSessionTimeout
		sc.Schedule.Rest = 5 * time.Second
	}
	if p, ok := fault.(nemesis.Pacer); ok {
		sc.Schedule = p.Pace(sc.Schedule)
	}
	return sc
}

// Deploy starts n masters in mode, each in a network namespace of its own
// (in ZooKeeper mode with an ensemble of three servers in namespaces of
// their own), with props, and waits until every master serves and one
// leads. Its masters run SIMPLE authentication, which the workload
// (namespace calls by the masters' user, the owner of /) needs no more
// than.
func Deploy(t testing.TB, mode masters.Mode, n int, props map[string]string) *masters.Cluster {
	t.Helper()
	dir := t.TempDir()
	zookeepers := 0
	if mode == masters.ModeZooKeeper {
		zookeepers = 3
	}
	nw := netns.Start(t, n, zookeepers)
	var ensemble *zookeeper.Ensemble
	if zookeepers > 0 {
		ensemble = zookeeper.StartIn(t, dir, nw.ZooKeepers())
	}
	d := masters.New(t, masters.Config{
		Mode: mode, Masters: n, Props: props, ZooKeeper: ensemble, Network: nw, Authentication: identity.Simple, Dir: dir,
	})
	d.StartAll()
	d.WaitLive(time.Minute)
	d.Leader(time.Minute)
	return d
}

// DefaultReportRoot is jepsen/report in the checkout (ignored by git), or
// $HALO_JEPSEN_REPORT_DIR.
func DefaultReportRoot() string {
	if d := os.Getenv("HALO_JEPSEN_REPORT_DIR"); d != "" {
		return d
	}
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "report")
}

// Outcome is what a run found, with the verdicts the tests assert on.
type Outcome struct {
	Summary          reporting.Summary
	Linearizability  checker.Linearizability
	Writes           checker.Writes
	Data             checker.Data
	DataWrites       []model.DataWrite
	DataReads        []model.DataRead
	Convergence      checker.Convergence
	History          []model.Op
	Faults           []nemesis.Window
	EarliestIllegal  time.Duration // end of the shortest illegal prefix, after the first injection
	FirstInjectionAt int64
	// MasterLogs are the paths of the masters' logs by name, for tests
	// that look for what a master did (they last until the test ends).
	MasterLogs map[string]string
}

// Run runs the scenario and checks it. It fails the test only when the
// harness itself breaks; the verdicts are in the outcome, for the caller
// to assert on.
func Run(t testing.TB, sc Scenario) Outcome {
	t.Helper()
	if sc.Data != nil {
		sc.Props = maps.Clone(sc.Props)
		sc.Props[rootUFS] = sharedUFS(t)
	}
	d := Deploy(t, sc.Mode, sc.Masters, sc.Props)
	var ws []*workers.Worker
	if sc.Data != nil {
		ws = startWorkers(t, d)
	}
	clock := traffic.NewClock()
	addrs := d.RPCAddresses()
	pinTo := addrs
	if sc.PinToLeader {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		l, err := d.WaitLeader(ctx)
		cancel()
		if err != nil {
			t.Fatalf("%s: %v", sc.Name, err)
		}
		pinTo = []string{l.RPCAddress()}
	}
	runner := traffic.NewRunner(sc.Traffic, clock, addrs, traffic.Workers(pinTo, sc.Pinned, sc.ClusterWide))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	err := runner.Setup(ctx)
	cancel()
	if err != nil {
		t.Fatalf("%s: %v", sc.Name, err)
	}
	wl := workload{runner: runner, workers: ws}
	if sc.Data != nil {
		wl.data = traffic.NewDataRunner(*sc.Data, runner)
	}
	logf := func(format string, args ...any) { t.Logf("%s: "+format, append([]any{sc.Name}, args...)...) }
	r := drive(t, sc, d, wl, clock, logf)
	return judge(t, sc, d, wl, clock, r, logf)
}

// workload is what runs against a deployment: the namespace workload and,
// with the data workload, its runner and the workers it stores on.
type workload struct {
	runner  *traffic.Runner
	data    *traffic.DataRunner
	workers []*workers.Worker
}

// rootUFS is the property naming the root mount's UFS folder.
const rootUFS = "alluxio.master.mount.table.root.ufs"

// sharedUFS is the data workload's UFS root: one folder on the machine's
// file system, which every namespace sees, as ZooKeeper mode's journal.
func sharedUFS(t testing.TB) string {
	dir := filepath.Join(t.TempDir(), "ufs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// startWorkers starts a worker in each master's namespace and waits until
// each is registered with every master.
func startWorkers(t testing.TB, d *masters.Cluster) []*workers.Worker {
	t.Helper()
	var ws []*workers.Worker
	for i, m := range d.Masters {
		w := workers.NewIn(t, d, fmt.Sprintf("w%d", i+1), m.Netns, nil)
		w.Start()
		ws = append(ws, w)
	}
	for _, w := range ws {
		w.WaitRegistered(d.RPCAddresses(), time.Minute)
	}
	return ws
}

// driven is what drive recorded.
type driven struct {
	history     []model.Op
	windows     []nemesis.Window
	recovery    time.Duration // heal -> tombstone write acknowledged
	recoveryErr error
	took        time.Duration
	stoppedAt   int64 // when the traffic stopped, on the history's clock
}

// drive runs the workload while the nemesis injects faults, heals, checks
// that a write goes through soon after, lets the workload run on for the
// cooldown and stops it.
func drive(t testing.TB, sc Scenario, d *masters.Cluster, wl workload, clock traffic.Clock, logf nemesis.Logger) driven {
	runner := wl.runner
	ctx, stopTraffic := context.WithCancel(context.Background())
	defer stopTraffic()
	historyCh := make(chan []model.Op, 1)
	go func() {
		ops, _ := runner.Run(ctx)
		historyCh <- ops
	}()
	dataDone := make(chan error, 1)
	go func() {
		if wl.data == nil {
			dataDone <- nil
			return
		}
		dataDone <- wl.data.Run(ctx)
	}()
	start := time.Now()
	hardEnd := start.Add(3 * sc.Duration)
	enough := func() bool {
		return time.Since(start) >= sc.Duration && runner.Started() >= int64(sc.MinOps) || time.Now().After(hardEnd)
	}
	more := func(next time.Duration) bool {
		// Leave room for the next fault and the cooldown in the duration.
		return !enough() && (time.Until(start.Add(sc.Duration-sc.Cooldown)) > next || runner.Started() < int64(sc.MinOps))
	}
	var r driven
	r.windows = nemesis.Run(context.Background(), d, sc.Fault, sc.Schedule, clock, more, logf)
	if err := nemesis.HealAll(d); err != nil {
		t.Errorf("%s: heal: %v", sc.Name, err)
	}
	healAt := time.Now()
	r.recovery, r.recoveryErr = runner.Tombstone(context.Background(), sc.RecoveryWithin)
	logf("recovery: tombstone write after %s (err %v)", r.recovery.Round(time.Millisecond), r.recoveryErr)
	for !enough() {
		time.Sleep(100 * time.Millisecond)
	}
	if rest := sc.Cooldown - time.Since(healAt); rest > 0 {
		time.Sleep(rest)
	}
	stopTraffic()
	r.history = <-historyCh
	if err := <-dataDone; err != nil {
		t.Errorf("%s: data workload: %v", sc.Name, err)
	}
	r.stoppedAt = clock.Now()
	r.took = time.Since(start)
	return r
}

// judge reads the final state and runs every checker over what drive
// recorded; a failing run's folder is kept.
func judge(t testing.TB, sc Scenario, d *masters.Cluster, wl workload, clock traffic.Clock, r driven, logf nemesis.Logger) Outcome {
	runner := wl.runner
	out := Outcome{History: r.history, Faults: r.windows, MasterLogs: map[string]string{}}
	for _, m := range d.Masters {
		out.MasterLogs[m.Name] = m.LogPath()
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	final, finalErr := runner.ReadFinal(ctx)
	cancel()
	out.Convergence = checker.CheckConvergence(context.Background(), d.Masters, 30*time.Second)

	s := reporting.Summary{Name: sc.Name, Mode: string(sc.Mode), Masters: sc.Masters, Fault: sc.Fault.Name(), Duration: r.took}
	s.Count(r.history)
	s.Injections = len(r.windows)
	s.Recovery, s.RecoveryOK = r.recovery, r.recoveryErr == nil && r.recovery <= sc.RecoveryWithin
	s.Converged = out.Convergence.Converged
	var (
		injections []int64
		spans      [][2]int64
	)
	for _, w := range r.windows {
		healFailed := strings.HasPrefix(w.Error, nemesis.HealFailed)
		if healFailed {
			s.Failures = append(s.Failures, fmt.Sprintf("%s at %.3fs: %s", w.Fault, float64(w.End)/1e9, w.Error))
		}
		// A window whose heal failed was injected all the same.
		if w.Error == "" || healFailed {
			injections = append(injections, w.Start)
			spans = append(spans, [2]int64{w.Start, w.End})
		}
	}
	if len(injections) > 0 {
		out.FirstInjectionAt = injections[0]
		s.PreFaultQPS = qpsBefore(r.history, injections[0])
	}
	unavail := checker.Unavailability(r.history, injections, r.stoppedAt)
	s.UnavailP50, s.UnavailP99 = checker.Percentile(unavail, 50), checker.Percentile(unavail, 99)
	s.MaxWriteGap = checker.Percentile(checker.WriteGaps(r.history, spans, r.stoppedAt), 100)

	if finalErr != nil {
		s.Failures = append(s.Failures, "final read: "+finalErr.Error())
	} else {
		out.History = append(out.History, final.Ops...)
		out.Writes = checker.CheckWrites(out.History, final.Groups, final.Ledger)
		s.LostWrites, s.Phantoms, s.Acknowledged = len(out.Writes.Lost), len(out.Writes.Phantoms), out.Writes.Acknowledged
	}
	if wl.data != nil {
		s.Failures = append(s.Failures, judgeData(&out, wl.data, logf)...)
		s.Data = fmt.Sprintf("%d / %d, %d", out.Data.Verified, out.Data.Acknowledged, len(out.Data.Violations))
	}
	out.Linearizability = checker.CheckLinearizability(out.History, sc.CheckTimeout)
	s.Linearizable, s.CheckTook = string(out.Linearizability.Result), out.Linearizability.Took
	logf("%d ops (%d ok, %d failed, %d unknown), %d injections; porcupine %s in %s over %d ops (%d pending, %d narrowed)",
		s.Ops, s.OK, s.Failed, s.Unknown, s.Injections, s.Linearizable, s.CheckTook.Round(time.Millisecond),
		out.Linearizability.Ops, out.Linearizability.Pending, out.Linearizability.Narrowed)

	switch out.Linearizability.Result {
	case porcupine.Illegal:
		s.Failures = append(s.Failures, "not linearizable")
		if culprit, ok := checker.FirstIllegal(out.History, sc.CheckTimeout); ok {
			out.EarliestIllegal = time.Duration(culprit.Return - out.FirstInjectionAt)
			logf("first illegal operation: %s, returned at %.3fs", model.Describe(culprit.Input, culprit.Output), float64(culprit.Return)/1e9)
		}
	case porcupine.Unknown:
		s.Failures = append(s.Failures, "linearizability check timed out")
	}
	if s.LostWrites > 0 {
		s.Failures = append(s.Failures, fmt.Sprintf("%d lost writes", s.LostWrites))
	}
	if s.Phantoms > 0 {
		s.Failures = append(s.Failures, fmt.Sprintf("%d phantom writes", s.Phantoms))
	}
	if !s.Converged {
		s.Failures = append(s.Failures, "masters did not converge: "+out.Convergence.String())
	}
	if !s.RecoveryOK {
		s.Failures = append(s.Failures, fmt.Sprintf("no write within %s of healing (took %s, err %v)", sc.RecoveryWithin, r.recovery.Round(time.Millisecond), r.recoveryErr))
	}
	if s.Ops < sc.MinOps {
		s.Failures = append(s.Failures, fmt.Sprintf("only %d ops, want %d", s.Ops, sc.MinOps))
	}
	if !s.Passed() || sc.KeepReport {
		s.ReportDir = writeReport(t, sc, d, wl.workers, out, s)
		logf("report: %s", s.ReportDir)
	}
	out.Summary = s
	return out
}

// judgeData reads every file of the data workload back and checks it;
// the harness's faults never kill a worker.
func judgeData(out *Outcome, data *traffic.DataRunner, logf nemesis.Logger) []string {
	writes, reads, err := data.ReadBack(time.Minute)
	if err != nil {
		return []string{"data read back: " + err.Error()}
	}
	out.DataWrites, out.DataReads = writes, reads
	out.Data = checker.CheckData(writes, reads, false)
	logf("data: %s", out.Data)
	var failures []string
	for i, v := range out.Data.Violations {
		if i == 5 {
			failures = append(failures, fmt.Sprintf("data: %d more violations", len(out.Data.Violations)-i))
			break
		}
		failures = append(failures, fmt.Sprintf("data: %s (%s, %s): %s", v.Path, v.WriteType, v.Outcome, v.Problem))
	}
	return failures
}

func qpsBefore(ops []model.Op, at int64) float64 {
	n := 0
	for _, op := range ops {
		if op.Return <= at && op.Output.Outcome == model.OK {
			n++
		}
	}
	if at <= 0 {
		return 0
	}
	return float64(n) / (float64(at) / 1e9)
}

// writeReport keeps the run's folder: history, faults, verdicts,
// Porcupine's view and every master's folder.
func writeReport(t testing.TB, sc Scenario, d *masters.Cluster, ws []*workers.Worker, out Outcome, s reporting.Summary) string {
	dir := filepath.Join(sc.ReportRoot, time.Now().Format("20060102-150405")+"-"+sanitize(sc.Name))
	run := reporting.Run{
		Summary: s, History: out.History, Faults: out.Faults,
		Extra: map[string]any{"writes": out.Writes, "convergence": out.Convergence},
	}
	if sc.Data != nil {
		run.Extra["data"] = out.Data
		run.Extra["data-history"] = map[string]any{"writes": out.DataWrites, "reads": out.DataReads}
	}
	run.Summary.ReportDir = dir
	if err := reporting.Write(dir, run); err != nil {
		t.Errorf("write report %s: %v", dir, err)
		return dir
	}
	var notes []porcupine.Annotation
	for _, w := range out.Faults {
		notes = append(notes, porcupine.Annotation{
			Tag: "nemesis", Start: w.Start, End: w.End,
			Description: w.Fault + " " + strings.Join(w.Targets, ","), Details: w.Detail,
			BackgroundColor: "#f4c7c3",
		})
	}
	if err := checker.Visualize(out.Linearizability, notes, filepath.Join(dir, "history.html")); err != nil {
		t.Logf("porcupine visualization: %v", err)
	}
	folders := d.Folders()
	for _, w := range ws {
		folders[filepath.Join("workers", w.Name)] = w.Dir
	}
	for name, src := range folders {
		if err := reporting.CopyTree(src, filepath.Join(dir, name)); err != nil {
			t.Logf("copy %s: %v", src, err)
		}
	}
	return dir
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == ' ' {
			return '_'
		}
		return r
	}, s)
}
