package master

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/ha"
	"github.com/halo-fs/halo/ha/raft/rafttest"
	"github.com/halo-fs/halo/master/web"
	"github.com/halo-fs/halo/proto/journalpb"
)

// awaitIdenticalReplicas waits until every node has applied as much as the
// first and fails unless their checkpoints are byte-identical.
func awaitIdenticalReplicas(t *testing.T, nodes []*rafttest.Node, what string) {
	t.Helper()
	waitFor(t, 20*time.Second, "every replica to apply the same entries", func() bool {
		for _, node := range nodes[1:] {
			if node.F.AppliedIndex() != nodes[0].F.AppliedIndex() {
				return false
			}
		}
		return true
	})
	want := checkpointBytes(t, nodes[0].F)
	for i, node := range nodes[1:] {
		if !bytes.Equal(checkpointBytes(t, node.F), want) {
			t.Fatalf("%s: m%d's checkpoint differs from m1's", what, i+2)
		}
	}
}

// TestRetryCacheLimitsFollowTheLeader: masters configured with different
// exactly-once table limits take the limits of whoever leads, so they
// forget the same operation ids and their checkpoints stay identical.
func TestRetryCacheLimitsFollowTheLeader(t *testing.T) {
	nodes := rafttest.StartCluster(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	limits := make([]fsm.OperationTableSettings, len(nodes))
	for i, node := range nodes {
		limits[i] = fsm.OperationTableSettings{Enabled: true, MaxRecords: uint64(2 + i), Retention: time.Duration(i+1) * time.Minute}
		m := New(Config{Logger: testLogger(t, fmt.Sprintf("master%d", i+1)), RetryCache: &limits[i]}, node.F,
			func(*web.Metrics) ha.Replicator { return node.R })
		go m.KeepRetryCacheSettings(ctx)
	}
	awaitLimits := func(li int) {
		t.Helper()
		waitFor(t, 20*time.Second, fmt.Sprintf("every replica to take m%d's limits", li+1), func() bool {
			for _, node := range nodes {
				if node.F.OperationTableSettings() != limits[li] {
					return false
				}
			}
			return true
		})
	}

	li := rafttest.AwaitServingLeader(t, nodes)
	awaitLimits(li)
	for seq := uint64(1); seq <= 5; seq++ {
		e := touchEntry(fmt.Sprintf("/f%d", seq))
		e.OpId = &journalpb.OperationID{ClientLo: 7, Seq: seq}
		if res, err := nodes[li].R.Propose(ctx, e); err != nil || res.Err != nil {
			t.Fatalf("create %d: %v, %v", seq, err, res.Err)
		}
	}
	awaitIdenticalReplicas(t, nodes, "after creates under the first leader's limits")

	if err := nodes[li].R.StepDown(); err != nil {
		t.Fatalf("leadership transfer: %v", err)
	}
	next := li
	waitFor(t, 20*time.Second, "another master to lead", func() bool {
		next = rafttest.AwaitServingLeader(t, nodes)
		return next != li
	})
	awaitLimits(next)
	awaitIdenticalReplicas(t, nodes, "after the second leader set its limits")
}
