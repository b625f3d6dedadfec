package raft

import (
	"context"
	"testing"

	"github.com/halo-fs/halo/ha/hatest"
	"github.com/halo-fs/halo/proto/journalpb"
)

func TestRaftReplicatorContract(t *testing.T) {
	hatest.Run(t, func(t *testing.T) *hatest.Cluster {
		nodes := startRaftCluster(t, 3, nil)
		c := &hatest.Cluster{
			Exists:     func(i int, path string) bool { return hatest.Exists(nodes[i].f, path) },
			LeaderHint: true,
			StepDown: func(i int) {
				if err := nodes[i].r.StepDown(); err != nil {
					t.Fatalf("LeadershipTransfer: %v", err)
				}
			},
			// With its followers gone the leader cannot commit, and steps
			// down when its lease runs out, e still in its log.
			LoseMidCommit: func(i int, e *journalpb.Entry) error {
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
