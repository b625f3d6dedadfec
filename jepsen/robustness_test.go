package jepsen

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/halo-fs/halo/internal/testinfra/masters"
	"github.com/halo-fs/halo/internal/testinfra/netns"
	"github.com/halo-fs/halo/jepsen/nemesis"
	"github.com/halo-fs/halo/jepsen/reporting"
	"github.com/halo-fs/halo/jepsen/traffic"
)

// TestMain fails the package if a test left a namespace, a link or a
// FORWARD rule behind.
func TestMain(m *testing.M) {
	code := m.Run()
	if left := netns.CheckLeftovers(); left != "" {
		fmt.Fprintf(os.Stderr, "network state of the failover tests was left behind (now removed):\n%s\n", left)
		code = 1
	}
	os.Exit(code)
}

// shortRuns is what `make test` runs: in Raft mode a crash and two
// partition shapes, in ZooKeeper mode a pause past the session timeout, the
// leader cut off from ZooKeeper alone and ZooKeeper losing its quorum;
// about 20 s each. The Raft crash also runs the data workload.
var shortRuns = []struct {
	mode    masters.Mode
	masters int
	fault   nemesis.Fault
	data    bool
}{
	{masters.ModeRaft, 3, nemesis.KillLeader{}, true},
	{masters.ModeRaft, 3, nemesis.OneWayLeader{}, false},
	{masters.ModeRaft, 5, nemesis.PartitionHalves{}, false},
	{masters.ModeZooKeeper, 3, nemesis.PauseLeader{}, false},
	{masters.ModeZooKeeper, 3, nemesis.PartitionLeaderZooKeeper{}, false},
	{masters.ModeZooKeeper, 3, nemesis.ZooKeeperLoseQuorum{}, false},
}

// TestRobustness is the short failover suite.
func TestRobustness(t *testing.T) {
	var rows []reporting.Summary
	for _, r := range shortRuns {
		sc := NewScenario(r.mode, r.masters, r.fault, 15*time.Second)
		sc.CheckTimeout = time.Minute
		if r.data {
			data := traffic.DefaultDataConfig()
			sc.Data = &data
		}
		t.Run(sc.Name, func(t *testing.T) {
			out := Run(t, sc)
			rows = append(rows, out.Summary)
			if !out.Summary.Passed() {
				t.Errorf("%s failed: %s (report in %s)", sc.Name, strings.Join(out.Summary.Failures, "; "), out.Summary.ReportDir)
			}
		})
	}
	t.Logf("\n%s", reporting.Table(rows))
}

// TestCheckerCatchesStaleReads shows that the checkers can fail: with the
// test-only switch that serves reads without confirming leadership, an
// old leader cut off from what elects it (the other masters; ZooKeeper)
// keeps answering its pinned readers from a namespace that no longer is,
// and Porcupine must say so. The pinned workers all use the first leader,
// so that before the cut every read they make is served by the real
// leader and is fresh: the violation must come from the fault.
func TestCheckerCatchesStaleReads(t *testing.T) {
	cases := []struct {
		mode  masters.Mode
		fault nemesis.Fault
		props map[string]string
	}{
		{masters.ModeRaft, nemesis.PartitionLeader{}, nil},
		// A deposed ZooKeeper-mode leader tails the journal as a standby;
		// a slow tailer leaves what it answers behind for longer.
		{masters.ModeZooKeeper, nemesis.PartitionLeaderZooKeeper{}, map[string]string{"alluxio.master.journal.tailer.sleep.time": "1s"}},
	}
	for _, c := range cases {
		sc := NewScenario(c.mode, 3, c.fault, 15*time.Second)
		sc.Name += "-stale-reads"
		t.Run(sc.Name, func(t *testing.T) {
			sc.Props[UnsafeStaleReads] = "true"
			for k, v := range c.props {
				sc.Props[k] = v
			}
			sc.PinToLeader = true
			sc.Schedule.Hold = max(sc.Schedule.Hold, 6*time.Second)
			sc.CheckTimeout = time.Minute
			if os.Getenv("HALO_JEPSEN_KEEP") == "" {
				sc.ReportRoot = t.TempDir() // an expected failure needs no report kept
			}
			// The cut makes a stale read likely, not certain: a pinned
			// reader must read a path that a writer on the new leader
			// changed during the cut (a clean-clone CI run once saw none).
			// So a few whole runs, each on a fresh deployment, and one of
			// them must be caught.
			const attempts = 3
			var out Outcome
			for attempt := 1; attempt <= attempts; attempt++ {
				t.Run(fmt.Sprintf("attempt-%d", attempt), func(t *testing.T) { out = Run(t, sc) })
				if out.Linearizability.Result == porcupine.Illegal {
					break
				}
				t.Logf("attempt %d: Porcupine says %s; no stale read happened during the cut", attempt, out.Linearizability.Result)
			}
			if out.Linearizability.Result != porcupine.Illegal {
				t.Fatalf("with %s=true and the leader cut off (%s), Porcupine says %s in %d runs; want Illegal", UnsafeStaleReads, c.fault.Name(), out.Linearizability.Result, attempts)
			}
			if out.EarliestIllegal <= 0 {
				// Leadership moved on its own before the fault and the
				// pinned readers were left on a standby: still a stale
				// read, caught.
				t.Logf("the history is already illegal %s before the fault", -out.EarliestIllegal)
			}
			t.Logf("caught by the linearizability checker (Porcupine) in %s over %d ops; the shortest illegal prefix ends %s after the fault began; lost writes %d, converged %v",
				out.Linearizability.Took.Round(time.Millisecond), out.Linearizability.Ops, out.EarliestIllegal.Round(time.Millisecond),
				out.Summary.LostWrites, out.Summary.Converged)
		})
	}
}

// TestJournalFencesLeaderThatIgnoresSessionLoss: with the test-only switch
// that makes a ZooKeeper-mode leader ignore the loss of its session, a
// leader cut off from ZooKeeper (and paused past its session) goes on
// believing it leads, with the shared journal still in reach. Only the
// journal's fencing can stop it: its next batch finds the new leader's
// epoch marker in its place and fails, and a read's probe finds the same.
// The history must stay linearizable with nothing lost.
func TestJournalFencesLeaderThatIgnoresSessionLoss(t *testing.T) {
	for _, fault := range []nemesis.Fault{nemesis.PartitionLeaderZooKeeper{}, nemesis.PauseLeader{}} {
		sc := NewScenario(masters.ModeZooKeeper, 3, fault, 15*time.Second)
		sc.Name += "-session-loss-ignored"
		sc.Props[IgnoreSessionLoss] = "true"
		sc.CheckTimeout = time.Minute
		t.Run(sc.Name, func(t *testing.T) {
			out := Run(t, sc)
			if !out.Summary.Passed() {
				t.Errorf("%s failed: %s (report in %s)", sc.Name, strings.Join(out.Summary.Failures, "; "), out.Summary.ReportDir)
			}
			// The journal, not ZooKeeper, must have stopped the old
			// leader: its log says it found a newer leader's batch.
			var fenced []string
			for name, path := range out.MasterLogs {
				b, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				log := string(b)
				if n := strings.Count(log, "a newer leader has written to the journal") + strings.Count(log, "found a newer leader's batch"); n > 0 {
					fenced = append(fenced, fmt.Sprintf("%s (%d)", name, n))
				}
			}
			if len(fenced) == 0 {
				t.Errorf("no master logged being fenced by the journal; the fault did not exercise the fencing")
			}
			t.Logf("fenced by the journal: %s", strings.Join(fenced, ", "))
		})
	}
}

// TestRobustnessMatrix runs every fault against 3 and 5 masters, each run
// at least 60 s and 10,000 operations, and writes the summary table. It
// runs only when asked (`make jepsen`); these variables shape it:
//
//	HALO_JEPSEN_MATRIX=1           run it
//	HALO_JEPSEN_MODES=raft,zookeeper  HA modes
//	HALO_JEPSEN_MASTERS=3,5        cluster sizes
//	HALO_JEPSEN_FAULTS=all         or a list: kill-leader,partition-ring,...
//	                               (a ZooKeeper-only fault is skipped in Raft mode)
//	HALO_JEPSEN_DURATION=60s       shortest run
//	HALO_JEPSEN_MIN_OPS=10000      fewest operations per run
//	HALO_JEPSEN_QPS=250            target rate of all workers together
//	HALO_JEPSEN_TABLE=path         where the Markdown table goes
//	HALO_JEPSEN_DATA=1             with the data workload (workers beside the masters); 0: without
//	HALO_JEPSEN_KEEP=1             keep every run's report, not only failures
//	HALO_JEPSEN_REPORT_DIR=dir     where reports go (default jepsen/report)
func TestRobustnessMatrix(t *testing.T) {
	if os.Getenv("HALO_JEPSEN_MATRIX") == "" {
		t.Skip("the full matrix runs with `make jepsen` (HALO_JEPSEN_MATRIX=1)")
	}
	duration := envDuration(t, "HALO_JEPSEN_DURATION", 60*time.Second)
	minOps := envInt(t, "HALO_JEPSEN_MIN_OPS", 10000)
	qps := envInt(t, "HALO_JEPSEN_QPS", 250)
	withData := envInt(t, "HALO_JEPSEN_DATA", 1) != 0
	var faults []nemesis.Fault // nil: every fault of each mode
	if list := os.Getenv("HALO_JEPSEN_FAULTS"); list != "" && list != "all" {
		faults = nil
		for _, name := range strings.Split(list, ",") {
			f, err := nemesis.ByName(strings.TrimSpace(name))
			if err != nil {
				t.Fatal(err)
			}
			faults = append(faults, f)
		}
	}
	var sizes []int
	for _, s := range strings.Split(envString("HALO_JEPSEN_MASTERS", "3,5"), ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			t.Fatalf("HALO_JEPSEN_MASTERS: %v", err)
		}
		sizes = append(sizes, n)
	}
	var rows []reporting.Summary
	for _, name := range strings.Split(envString("HALO_JEPSEN_MODES", "raft,zookeeper"), ",") {
		mode := masters.Mode(strings.TrimSpace(name))
		if mode != masters.ModeRaft && mode != masters.ModeZooKeeper {
			t.Fatalf("HALO_JEPSEN_MODES: unknown mode %q (raft, zookeeper)", name)
		}
		modeFaults := nemesis.For(mode)
		if faults != nil {
			modeFaults = nil
			for _, f := range faults {
				if nemesis.Applies(f, mode) {
					modeFaults = append(modeFaults, f)
				}
			}
		}
		for _, n := range sizes {
			for _, f := range modeFaults {
				sc := NewScenario(mode, n, f, duration)
				sc.MinOps = minOps
				sc.Traffic.QPS = float64(qps)
				if withData {
					data := traffic.DefaultDataConfig()
					sc.Data = &data
				}
				sc.KeepReport = os.Getenv("HALO_JEPSEN_KEEP") != ""
				t.Run(sc.Name, func(t *testing.T) {
					out := Run(t, sc)
					rows = append(rows, out.Summary)
					if !out.Summary.Passed() {
						t.Errorf("%s failed: %s (report in %s)", sc.Name, strings.Join(out.Summary.Failures, "; "), out.Summary.ReportDir)
					}
				})
				writeTable(t, rows, duration, minOps, qps)
			}
		}
	}
}

func writeTable(t *testing.T, rows []reporting.Summary, duration time.Duration, minOps, qps int) {
	path := envString("HALO_JEPSEN_TABLE", filepath.Join(DefaultReportRoot(), "matrix.md"))
	header := fmt.Sprintf("Halo failover matrix, %s: each run at least %s and %d operations at up to %d ops/s; "+
		"8 workers (6 pinned to one master each, 2 cluster-wide); unavailability is fault -> first acknowledged write invoked after it.\n\n",
		time.Now().Format(time.RFC3339), duration, minOps, qps)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Error(err)
		return
	}
	if err := os.WriteFile(path, []byte(header+reporting.Table(rows)), 0o644); err != nil {
		t.Error(err)
	}
}

func envString(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func envInt(t *testing.T, key string, def int) int {
	v := os.Getenv(key)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		t.Fatalf("%s=%q: %v", key, v, err)
	}
	return n
}

func envDuration(t *testing.T, key string, def time.Duration) time.Duration {
	v := os.Getenv(key)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		t.Fatalf("%s=%q: %v", key, v, err)
	}
	return d
}
