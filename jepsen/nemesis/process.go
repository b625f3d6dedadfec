package nemesis

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/halo-fs/halo/internal/testinfra/masters"
	"github.com/halo-fs/halo/internal/testinfra/proc"
)

// leaderWait is how long a fault aimed at the leader waits for one before
// it picks a random master instead (and says so).
const leaderWait = 5 * time.Second

func leaderOf(ctx context.Context, d *masters.Cluster) (*masters.Master, string) {
	l, ok := d.LeaderOrRandom(ctx, leaderWait)
	if !ok {
		return l, "no single leader; picked at random"
	}
	return l, "leader"
}

// killable is a master or a ZooKeeper server.
type killable interface {
	Name() string
	Kill()
	Start() error
}

// kill kills ps with SIGKILL; healing restarts them on the same folders.
func kill[P killable](ps []P, detail string) *Injection {
	targets := make([]string, len(ps))
	for i, p := range ps {
		p.Kill()
		targets[i] = p.Name()
	}
	return &Injection{Targets: targets, Detail: detail, heal: func() error {
		var errs []error
		for _, p := range ps {
			errs = append(errs, p.Start())
		}
		return errors.Join(errs...)
	}}
}

// KillLeader kill -9s the leader and restarts it when healed.
type KillLeader struct{}

func (KillLeader) Name() string { return "kill-leader" }
func (KillLeader) Inject(ctx context.Context, d *masters.Cluster) (*Injection, error) {
	l, why := leaderOf(ctx, d)
	return kill([]*proc.Process{l.Process}, "kill -9 "+why), nil
}

// KillRandom kill -9s a random master.
type KillRandom struct{}

func (KillRandom) Name() string { return "kill-random" }
func (KillRandom) Inject(ctx context.Context, d *masters.Cluster) (*Injection, error) {
	ms := d.Masters
	return kill([]*proc.Process{ms[rand.IntN(len(ms))].Process}, "kill -9 random"), nil
}

// KillMajority kill -9s a majority of the masters, the leader among
// them. In Raft mode nothing can be committed until they are back; in
// ZooKeeper mode a surviving standby is elected and serves alone.
type KillMajority struct{}

func (KillMajority) Name() string { return "kill-majority" }
func (KillMajority) Inject(ctx context.Context, d *masters.Cluster) (*Injection, error) {
	l, why := leaderOf(ctx, d)
	victims := []*proc.Process{l.Process}
	others := d.Others(l)
	rand.Shuffle(len(others), func(i, j int) { others[i], others[j] = others[j], others[i] })
	for _, m := range others[:len(d.Masters)/2] {
		victims = append(victims, m.Process)
	}
	return kill(victims, fmt.Sprintf("kill -9 a majority of %d (%s first)", len(victims), why)), nil
}

// PauseLeader stops the leader with SIGSTOP for the hold (longer than the
// election timeout), then resumes it: a GC pause or a stalled VM.
type PauseLeader struct{}

func (PauseLeader) Name() string { return "pause-leader" }
func (PauseLeader) Inject(ctx context.Context, d *masters.Cluster) (*Injection, error) {
	l, why := leaderOf(ctx, d)
	if err := l.Process.Pause(); err != nil {
		return nil, err
	}
	return &Injection{Targets: []string{l.Name}, Detail: "SIGSTOP " + why, heal: l.Resume}, nil
}
