// Package nemesis injects the failover tests' faults into a running
// deployment: kill -9 and restart, SIGSTOP/SIGCONT, iptables partitions of
// several shapes inside the servers' namespaces, lossy links (iptables'
// statistic match) and slow links (tc tbf). Every injection is logged with
// its window on the history's clock.
package nemesis

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/halo-fs/halo/internal/testinfra/masters"
	"github.com/halo-fs/halo/internal/testinfra/proc"
)

// Fault is one kind of fault.
type Fault interface {
	// Name is the fault's name in reports and test names.
	Name() string
	// Inject applies the fault to d and says how to undo it.
	Inject(ctx context.Context, d *masters.Cluster) (*Injection, error)
}

// Injection is one applied fault.
type Injection struct {
	Targets []string // the hosts it hit: masters, ZooKeeper servers
	Detail  string
	heal    func() error
}

// Window is one injection on the history's clock (nanoseconds since the
// run began), as the report and the visualization show it.
type Window struct {
	Fault   string   `json:"fault"`
	Targets []string `json:"targets"`
	Detail  string   `json:"detail,omitempty"`
	Start   int64    `json:"start"`
	End     int64    `json:"end"`
	Error   string   `json:"error,omitempty"`
}

// Schedule says when faults are injected: after Warmup, each fault is held
// for Hold, then healed, then the cluster gets Rest before the next one,
// at most MaxInjections times.
type Schedule struct {
	Warmup, Hold, Rest time.Duration
	MaxInjections      int
}

// HealFailed begins the error of a window whose fault could not be undone.
const HealFailed = "heal: "

// Pacer is a fault that needs a schedule of its own: one whose service
// takes longer than the usual rest to come back after healing, so that
// without a longer rest the run would be one outage after another.
type Pacer interface {
	Pace(Schedule) Schedule
}

// DefaultSchedule injects a 4 s fault every 8 s.
func DefaultSchedule() Schedule {
	return Schedule{Warmup: 3 * time.Second, Hold: 4 * time.Second, Rest: 4 * time.Second, MaxInjections: 100}
}

// Clock is the history's clock.
type Clock interface{ Now() int64 }

// Logger receives a line per injection and heal.
type Logger func(format string, args ...any)

// Run injects fault on the schedule while more reports true (and ctx
// lasts), and returns the windows. It always heals what it injected. more
// is asked before the first injection and right after each heal whether
// there is room for another injection that would be over in next (the
// hold, after a rest but for the first): when there is not, Run returns at
// once, so that what the caller does next (the recovery check) starts at
// the last heal.
func Run(ctx context.Context, d *masters.Cluster, fault Fault, s Schedule, clock Clock, more func(next time.Duration) bool, log Logger) []Window {
	var windows []Window
	if !sleep(ctx, s.Warmup) {
		return windows
	}
	for i := 0; i < s.MaxInjections; i++ {
		next := s.Hold
		if i > 0 {
			next += s.Rest
		}
		if !more(next) {
			break
		}
		if i > 0 && !sleep(ctx, s.Rest) {
			break
		}
		// The window opens once the fault is in place: finding the leader
		// and waiting for a killed process to be gone are not part of it.
		w := Window{Fault: fault.Name()}
		inj, err := fault.Inject(ctx, d)
		w.Start = clock.Now()
		if err != nil {
			w.Error = err.Error()
			w.End = clock.Now()
			log("nemesis: %s failed to inject: %v", fault.Name(), err)
			windows = append(windows, w)
			HealAll(d)
			continue
		}
		w.Targets, w.Detail = inj.Targets, inj.Detail
		log("nemesis: %s on %s (%s) at %.3fs", fault.Name(), strings.Join(inj.Targets, ","), inj.Detail, float64(w.Start)/1e9)
		sleep(ctx, s.Hold)
		if err := inj.heal(); err != nil {
			w.Error = HealFailed + err.Error()
			log("nemesis: healing %s: %v", fault.Name(), err)
		}
		w.End = clock.Now()
		log("nemesis: healed %s at %.3fs", fault.Name(), float64(w.End)/1e9)
		windows = append(windows, w)
	}
	return windows
}

// HealAll undoes every fault: rules and rate limits removed, paused
// processes resumed, dead ones restarted (ZooKeeper servers before
// masters).
func HealAll(d *masters.Cluster) error {
	errs := []error{healHosts(d)}
	var procs []*proc.Process
	if d.ZooKeeper != nil {
		procs = d.ZooKeeper.Processes()
	}
	for _, m := range d.Masters {
		procs = append(procs, m.Process)
	}
	for _, p := range procs {
		if p.Paused() {
			if err := p.Resume(); err != nil {
				errs = append(errs, err)
			}
		}
		if !p.Running() {
			if err := p.Start(); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// ByName returns the fault called name.
func ByName(name string) (Fault, error) {
	for _, f := range All() {
		if f.Name() == name {
			return f, nil
		}
	}
	return nil, fmt.Errorf("no fault called %q", name)
}

// All is every fault kind, in the order the matrix runs them.
func All() []Fault {
	return append(Common(), ZooKeeperOnly()...)
}

// Common are the faults that apply to every HA mode.
func Common() []Fault {
	return []Fault{
		KillLeader{}, KillRandom{}, KillMajority{},
		PauseLeader{},
		PartitionLeader{}, PartitionHalves{}, PartitionRing{}, PartitionBridge{}, OneWayLeader{},
		LossyLinks{Probability: 0.3}, SlowLeader{Rate: "256kbit"},
	}
}

// ZooKeeperOnly are the faults of ZooKeeper mode's ensemble.
func ZooKeeperOnly() []Fault {
	return []Fault{PartitionLeaderZooKeeper{}, ZooKeeperLoseQuorum{}}
}

// For is every fault that applies to mode, in matrix order.
func For(mode masters.Mode) []Fault {
	if mode == masters.ModeZooKeeper {
		return All()
	}
	return Common()
}

// Applies reports whether f means anything in mode.
func Applies(f Fault, mode masters.Mode) bool {
	for _, g := range For(mode) {
		if g.Name() == f.Name() {
			return true
		}
	}
	return false
}
