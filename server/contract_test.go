package server

import (
	"context"
	"testing"
	"time"

	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/ha"
	"github.com/halo-fs/halo/ha/hatest"
	"github.com/halo-fs/halo/proto/halopb"
)

func existsIn(f *fsm.FSM, path string) bool {
	_, err := f.GetStatus(&halopb.Caller{User: "root", Superuser: true}, path)
	return err == nil
}

func TestLocalReplicatorContract(t *testing.T) {
	hatest.Run(t, func(t *testing.T) *hatest.Cluster {
		lm, _ := openLocal(t, formatJournal(t), LocalOptions{})
		return &hatest.Cluster{
			Members: []ha.Replicator{lm.r},
			Exists:  func(_ int, path string) bool { return existsIn(lm.f, path) },
			// A single master has no leadership to lose: the caller that
			// stops waiting once its entry is durable, but before it is
			// applied, cannot know whether it was.
			LoseMidCommit: func(_ int, e *halopb.Entry) error {
				before := lm.j.LastIndex()
				release := blockApplies(t, lm.f)
				defer release()
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				errs := make(chan error, 1)
				go func() {
					_, err := lm.r.Propose(ctx, e)
					errs <- err
				}()
				waitFor(t, 30*time.Second, "the entry to be journaled", func() bool { return lm.j.LastIndex() > before })
				cancel()
				return <-errs
			},
		}
	})
}

func TestRaftReplicatorContract(t *testing.T) {
	hatest.Run(t, func(t *testing.T) *hatest.Cluster {
		nodes := startRaftCluster(t, 3, nil)
		c := &hatest.Cluster{
			Exists:     func(i int, path string) bool { return existsIn(nodes[i].f, path) },
			LeaderHint: true,
			StepDown: func(i int) {
				if err := nodes[i].r.raft.LeadershipTransfer().Error(); err != nil {
					t.Fatalf("LeadershipTransfer: %v", err)
				}
			},
			// With its followers gone the leader cannot commit, and steps
			// down when its lease runs out, e still in its log.
			LoseMidCommit: func(i int, e *halopb.Entry) error {
				for j, n := range nodes {
					if j != i {
						n.r.Close()
					}
				}
				_, err := nodes[i].r.Propose(context.Background(), e)
				return err
			},
		}
		for _, n := range nodes {
			c.Members = append(c.Members, n.r)
		}
		awaitServingLeader(t, nodes)
		return c
	})
}
