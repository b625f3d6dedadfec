package jepsen

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/halo-fs/halo/internal/testinfra/masters"
	"github.com/halo-fs/halo/jepsen/model"
	"github.com/halo-fs/halo/jepsen/nemesis"
	"github.com/halo-fs/halo/jepsen/traffic"
	ufsjournal "github.com/halo-fs/halo/journal/ufs"
	"golang.org/x/sys/unix"
)

// slowStandbyFailover names the faults of
// TestRegressionFailoverToStandbyBehindCompaction in reports; the test
// drives them itself, in an order no single nemesis.Fault expresses.
type slowStandbyFailover struct{}

func (slowStandbyFailover) Name() string { return "slow-standby-failover" }
func (slowStandbyFailover) Inject(context.Context, *masters.Cluster) (*nemesis.Injection, error) {
	return nil, errors.New("driven by TestRegressionFailoverToStandbyBehindCompaction")
}

// TestRegressionFailoverToStandbyBehindCompaction: in ZooKeeper mode every
// standby collects the shared journal after its checkpoints, so collectors
// run at once. The compacted mark was one object that each overwrote: a
// collector stalled between reading and writing it lowered it below
// batches a faster one had deleted. A standby behind that point then took
// "compacted" for "not written yet" and waited forever, and once elected
// claimed a deleted batch name and served a namespace missing batches
// (acknowledged writes lost). Here, with a checkpoint every 20 entries,
// one standby is stopped (SIGSTOP) just as it writes the mark, after it
// read it: the moment a GC pause or a slow store call would stall it. The
// other standby collects on, past where the stopped one stands; then it is
// stopped too and the leader killed, so that the slow one is elected. It
// must catch up from the newest checkpoint before it serves; the history
// must stay linearizable with nothing lost, and every master converge.
func TestRegressionFailoverToStandbyBehindCompaction(t *testing.T) {
	sc := NewScenario(masters.ModeZooKeeper, 3, slowStandbyFailover{}, 0)
	sc.Props["alluxio.master.journal.checkpoint.period.entries"] = "20"
	sc.CheckTimeout = time.Minute
	d := Deploy(t, sc.Mode, sc.Masters, sc.Props)
	clock := traffic.NewClock()
	runner := traffic.NewRunner(sc.Traffic, clock, d.RPCAddresses(), traffic.Workers(d.RPCAddresses(), sc.Pinned, sc.ClusterWide))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	err := runner.Setup(ctx)
	cancel()
	if err != nil {
		t.Fatalf("%s: %v", sc.Name, err)
	}
	logf := func(format string, args ...any) { t.Logf("%s: "+format, append([]any{sc.Name}, args...)...) }
	f := &slowStandbyDriver{t: t, d: d, clock: clock, logf: logf, journal: d.OpenSharedJournal(), journalDir: d.Journal}
	r, slow := f.drive(sc, runner)
	out := judge(t, sc, d, workload{runner: runner}, clock, r, logf)
	if !out.Summary.Passed() {
		t.Errorf("%s failed: %s (report in %s)", sc.Name, strings.Join(out.Summary.Failures, "; "), out.Summary.ReportDir)
	}
	if log := readLog(t, out.MasterLogs[slow.Name]); !strings.Contains(log, "restoring the newest checkpoint") {
		t.Errorf("the slow standby %s never found its next batch compacted; the run did not test what it is for", slow.Name)
	}
}

// slowStandbyDriver injects the test's faults, logging each window.
type slowStandbyDriver struct {
	t          *testing.T
	d          *masters.Cluster
	clock      traffic.Clock
	logf       nemesis.Logger
	journal    *ufsjournal.Journal
	journalDir string
	windows    []nemesis.Window
}

// window runs inject, and returns a heal that closes its window.
func (f *slowStandbyDriver) window(fault string, target *masters.Master, inject func() error) (heal func(func() error)) {
	if err := inject(); err != nil {
		f.t.Fatalf("%s on %s: %v", fault, target.Name, err)
	}
	w := nemesis.Window{Fault: fault, Targets: []string{target.Name}, Start: f.clock.Now()}
	f.logf("nemesis: %s on %s at %.3fs", fault, target.Name, float64(w.Start)/1e9)
	return func(undo func() error) {
		if err := undo(); err != nil {
			w.Error = nemesis.HealFailed + err.Error()
		}
		w.End = f.clock.Now()
		f.windows = append(f.windows, w)
	}
}

func (f *slowStandbyDriver) stat() ufsjournal.Stats {
	st, err := f.journal.Stat(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	return st
}

// waitCollectedPast polls until every batch up to seq is deleted.
func (f *slowStandbyDriver) waitCollectedPast(seq uint64) {
	deadline := time.Now().Add(30 * time.Second)
	for st := f.stat(); st.Batches == 0 || st.FirstSeq <= seq; st = f.stat() {
		if time.Now().After(deadline) {
			f.t.Fatalf("the journal was not collected past batch %d within 30s: %+v", seq, st)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (f *slowStandbyDriver) waitLeader(want *masters.Master) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		l, err := f.d.WaitLeader(ctx)
		if err != nil {
			f.t.Fatalf("waiting for %s to lead: %v", want.Name, err)
		}
		if l == want {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// drive runs the workload through the faults and returns what it
// recorded and the slow standby.
func (f *slowStandbyDriver) drive(sc Scenario, runner *traffic.Runner) (driven, *masters.Master) {
	ctx, stopTraffic := context.WithCancel(context.Background())
	defer stopTraffic()
	historyCh := make(chan []model.Op, 1)
	go func() {
		ops, _ := runner.Run(ctx)
		historyCh <- ops
	}()
	start := time.Now()
	time.Sleep(sc.Schedule.Warmup)
	leader, err := f.d.WaitLeader(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	standbys := f.d.Others(leader)
	slow, other := standbys[0], standbys[1]

	healSlow := f.window("stop-standby-writing-the-mark", slow, func() error { return stopWhileWritingMark(f.t, f.journalDir, slow) })
	// The slow standby reads batch last+1 next at the latest.
	f.waitCollectedPast(f.stat().LastSeq + 1)
	healOther := f.window("pause-standby", other, other.Process.Pause)
	healLeader := f.window("kill-leader", leader, func() error { leader.Kill(); return nil })
	healSlow(slow.Resume)
	f.waitLeader(slow)
	healOther(other.Resume)
	healLeader(leader.StartProcess)

	var r driven
	r.windows = f.windows
	r.recovery, r.recoveryErr = runner.Tombstone(context.Background(), sc.RecoveryWithin)
	f.logf("recovery: tombstone write after %s (err %v)", r.recovery.Round(time.Millisecond), r.recoveryErr)
	time.Sleep(sc.Cooldown)
	stopTraffic()
	r.history = <-historyCh
	r.stoppedAt = f.clock.Now()
	r.took = time.Since(start)
	return r, slow
}

func readLog(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return string(b)
}

// stopWhileWritingMark stops m (SIGSTOP) the first time it starts writing
// a compacted mark: when it opens the temporary file the local store
// writes the mark into, which it does after reading the mark.
func stopWhileWritingMark(t *testing.T, dir string, m *masters.Master) error {
	path, err := signalOnMarkWrite(dir, m.Pid(), unix.SIGSTOP)
	if err != nil {
		return fmt.Errorf("%s: %w", m.Name, err)
	}
	t.Logf("%s stopped as it opened %s", m.Name, path)
	// Marks the master paused, once all its threads are.
	return m.Process.Pause()
}

// signalOnMarkWrite sends sig to pid as it opens a temporary file for a
// compacted mark in the journal folder dir (whatever the journal's layout
// names the mark), before its open returns, so that a stop takes effect on
// the way out of that system call. A fanotify permission watch on dir and
// the mark's folder holds each open there until it is answered; every
// other open is let through at once, and the watch ends (releasing any
// open still held) when this returns.
func signalOnMarkWrite(dir string, pid int, sig unix.Signal) (string, error) {
	watched := []string{dir, filepath.Join(dir, "compactions")}
	if err := os.MkdirAll(watched[1], 0o755); err != nil {
		return "", err
	}
	fan, err := unix.FanotifyInit(unix.FAN_CLASS_CONTENT|unix.FAN_CLOEXEC, unix.O_RDONLY|unix.O_LARGEFILE)
	if err != nil {
		return "", fmt.Errorf("fanotify: %w", err)
	}
	defer unix.Close(fan)
	for _, w := range watched {
		if err := unix.FanotifyMark(fan, unix.FAN_MARK_ADD, unix.FAN_OPEN_PERM|unix.FAN_EVENT_ON_CHILD, unix.AT_FDCWD, w); err != nil {
			return "", fmt.Errorf("fanotify watch on %s: %w", w, err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	buf := make([]byte, 4096)
	for time.Now().Before(deadline) {
		ready, err := unix.Poll([]unix.PollFd{{Fd: int32(fan), Events: unix.POLLIN}}, 100)
		if err != nil && !errors.Is(err, unix.EINTR) {
			return "", err
		}
		if ready <= 0 {
			continue
		}
		n, err := unix.Read(fan, buf)
		if err != nil {
			return "", err
		}
		signalled := ""
		for off := 0; off+int(unsafe.Sizeof(unix.FanotifyEventMetadata{})) <= n; {
			ev := (*unix.FanotifyEventMetadata)(unsafe.Pointer(&buf[off]))
			off += int(ev.Event_len)
			path, _ := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", ev.Fd))
			isMark := strings.Contains(path, ".halo-tmp-") && strings.Contains(strings.TrimPrefix(path, dir), "compact")
			if signalled == "" && int(ev.Pid) == pid && isMark {
				if err := unix.Kill(pid, sig); err != nil {
					return "", err
				}
				signalled = path
			}
			allow := unix.FanotifyResponse{Fd: ev.Fd, Response: unix.FAN_ALLOW}
			if _, err := unix.Write(fan, (*[unsafe.Sizeof(allow)]byte)(unsafe.Pointer(&allow))[:]); err != nil {
				return "", err
			}
			unix.Close(int(ev.Fd))
		}
		if signalled != "" {
			return signalled, nil
		}
	}
	return "", errors.New("no compacted mark written within 30s")
}
