package nemesis

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/halo-fs/halo/internal/testinfra/masters"
	"github.com/halo-fs/halo/internal/testinfra/netns"
	"github.com/halo-fs/halo/internal/testinfra/zookeeper"
)

// PartitionLeaderZooKeeper cuts the leading master off from every
// ZooKeeper server and from nothing else: clients, the other masters and
// the shared journal still reach it. Its session expires, a standby is
// elected and writes its epoch marker, and the old leader must stop
// answering before the new one acknowledges anything.
type PartitionLeaderZooKeeper struct{}

func (PartitionLeaderZooKeeper) Name() string { return "partition-leader-zookeeper" }
func (PartitionLeaderZooKeeper) Inject(ctx context.Context, d *masters.Cluster) (*Injection, error) {
	ens, err := ensembleOf(d)
	if err != nil {
		return nil, err
	}
	var zkHosts []*netns.Host
	for _, z := range ens.Members {
		zkHosts = append(zkHosts, z.Netns)
	}
	return cutLeader(ctx, d, "cut off from ZooKeeper", zkHosts)
}

// ZooKeeperLoseQuorum kill -9s a majority of the ZooKeeper servers, the
// ZooKeeper leader first, and restarts them when healed. No session can be
// renewed and no election held meanwhile: the leading master must stop
// serving what it cannot confirm, and the cluster must come back once the
// quorum does.
type ZooKeeperLoseQuorum struct{}

func (ZooKeeperLoseQuorum) Name() string { return "zookeeper-lose-quorum" }

// Pace rests 12 s between injections: restarted servers take seconds to
// start their JVMs and elect a ZooKeeper leader before the masters can
// renew their sessions, and the run should see service between outages.
func (ZooKeeperLoseQuorum) Pace(s Schedule) Schedule {
	s.Rest = max(s.Rest, 12*time.Second)
	return s
}
func (ZooKeeperLoseQuorum) Inject(ctx context.Context, d *masters.Cluster) (*Injection, error) {
	ens, err := ensembleOf(d)
	if err != nil {
		return nil, err
	}
	zks := ens.Members
	order := slices.Clone(zks)
	rand.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	why := "ZooKeeper leader first"
	if zl := ens.Leader(ctx); zl != nil {
		i := slices.Index(order, zl)
		order[0], order[i] = order[i], order[0]
	} else {
		why = "no ZooKeeper leader found; picked at random"
	}
	victims := order[:len(zks)/2+1]
	inj := kill(victims, fmt.Sprintf("kill -9 %d of %d ZooKeeper servers (%s)", len(victims), len(zks), why))
	// The heal ends when the ensemble serves again: until the restarted
	// JVMs are up and have elected a ZooKeeper leader the quorum is still
	// lost, and the recovery clock is for Halo, not for ZooKeeper's start.
	restart := inj.heal
	inj.heal = func() error {
		if err := restart(); err != nil {
			return err
		}
		wctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		return zookeeper.Await(wctx, zks)
	}
	return inj, nil
}

// ensembleOf returns d's ZooKeeper ensemble, or an error in Raft mode.
func ensembleOf(d *masters.Cluster) (*zookeeper.Ensemble, error) {
	if d.ZooKeeper == nil {
		return nil, fmt.Errorf("%s mode has no ZooKeeper ensemble", d.Mode)
	}
	return d.ZooKeeper, nil
}
