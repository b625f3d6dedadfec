package zookeeper_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/halo-fs/halo/ha/hatest"
	"github.com/halo-fs/halo/ha/zookeeper"
	"github.com/halo-fs/halo/ha/zookeeper/zktest"
	zkinfra "github.com/halo-fs/halo/internal/testinfra/zookeeper"
	ufsjournal "github.com/halo-fs/halo/journal/ufs"
	"github.com/halo-fs/halo/proto/journalpb"
)

// TestZooKeeperReplicatorContract runs the contract on two masters over a
// shared folder; each case elects under its own znodes of one ZooKeeper.
func TestZooKeeperReplicatorContract(t *testing.T) {
	zk := zkinfra.Start(t, 1)
	cases := 0
	hatest.Run(t, func(t *testing.T) *hatest.Cluster {
		cases++
		paths := zookeeper.ElectorConfig{
			ElectionPath: fmt.Sprintf("/contract/%d/election", cases),
			LeaderPath:   fmt.Sprintf("/contract/%d/leader", cases),
		}
		folder := zktest.FormattedFolder(t)
		ms := []*zkMaster{
			startZKReplicatorElected(t, zk.Servers(), mustLocal(t, folder), "127.0.0.1:1", paths),
			startZKReplicatorElected(t, zk.Servers(), mustLocal(t, folder), "127.0.0.2:1", paths),
		}
		c := &hatest.Cluster{
			Exists:     func(i int, path string) bool { return hatest.Exists(ms[i].FSM, path) },
			LeaderHint: true,
			// A newer writer's batch fences the leader; its next read
			// probe finds it.
			StepDown: func(i int) {
				fenceJournal(t, folder)
				_ = ms[i].Rep.VerifyRead(context.Background())
			},
			LoseMidCommit: func(i int, e *journalpb.Entry) error {
				fenceJournal(t, folder)
				_, err := ms[i].Rep.Propose(context.Background(), e)
				return err
			},
		}
		for _, m := range ms {
			c.Members = append(c.Members, m.Rep)
		}
		return c
	})
}

// fenceJournal writes an epoch marker after the journal's last batch, as a
// newer leader would, so that the current leader's next write or read
// probe finds its sequence number taken.
func fenceJournal(t *testing.T, folder string) {
	t.Helper()
	ctx := context.Background()
	j := mustOpen(t, folder)
	defer j.Close()
	for attempt := 0; attempt < 10; attempt++ {
		cur := ufsjournal.Start()
		for {
			_, err := j.Next(ctx, &cur)
			if errors.Is(err, ufsjournal.ErrNoBatch) {
				break
			}
			if err != nil {
				t.Fatalf("read the journal to its end: %v", err)
			}
		}
		_, err := j.Claim(ctx, cur, cur.Epoch+1, "127.0.0.9:1")
		if err == nil {
			return
		}
		if !errors.Is(err, ufsjournal.ErrFenced) {
			t.Fatalf("claim the journal: %v", err)
		}
	}
	t.Fatal("could not claim the journal in 10 attempts")
}
