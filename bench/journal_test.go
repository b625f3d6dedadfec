package bench

import (
	"context"
	"os/user"
	"testing"
	"time"

	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/internal/testinfra/masters"
)

// TestCreateFileOnlyJournalsOneEntryPerOp: CreateFileOnly is one request
// and one journal entry per operation, the unit a ZooKeeper create or an
// etcd put is; CreateFile (create, then complete) is two.
func TestCreateFileOnlyJournalsOneEntryPerOp(t *testing.T) {
	cluster := masters.NewRaftInProcess(t, 1, nil)
	cluster.StartAll()
	leader := cluster.Leader(60 * time.Second)
	c := newMasterClient(t, leader.RPCAddress())
	const minOps, slack = 20, 10
	for _, tc := range []struct {
		op           string
		entriesPerOp int64
	}{
		{OpCreateFileOnly, 1},
		{OpCreateFile, 2},
	} {
		before := appliedIndex(t, leader)
		res, err := Run(context.Background(), c, Options{Operation: tc.op, Threads: 1, Duration: 500 * time.Millisecond, Warmup: 0})
		if err != nil {
			t.Fatalf("%s: %v", tc.op, err)
		}
		if res.Errors != 0 || res.Ops < minOps {
			t.Fatalf("%s: %d ops, %d errors; want at least %d ops and no errors", tc.op, res.Ops, res.Errors, minOps)
		}
		// The run's folders and its clean-up add a few entries of their own.
		entries := int64(appliedIndex(t, leader) - before)
		if want := tc.entriesPerOp * res.Ops; entries < want || entries > want+slack {
			t.Errorf("%s: %d ops journaled %d entries, want %d per op (plus at most %d for the run's folders)", tc.op, res.Ops, entries, tc.entriesPerOp, slack)
		}
	}
}

func appliedIndex(t *testing.T, m *masters.Master) uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	info, err := m.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return info.AppliedIndex
}

func newMasterClient(t *testing.T, addr string) *client.Client {
	t.Helper()
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(client.Options{
		Addresses:      []string{addr},
		User:           u.Username,
		Authentication: client.AuthSecret,
		Secret:         masters.Secret(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}
