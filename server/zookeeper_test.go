package server_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/halo-fs/halo/compat/election"
	"github.com/halo-fs/halo/compat/ufsjournal"
	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/internal/testcluster"
	"github.com/halo-fs/halo/proto/halopb"
	"github.com/halo-fs/halo/server"
	"github.com/halo-fs/halo/ufs"
	"github.com/halo-fs/halo/ufs/local"
	"github.com/hashicorp/go-hclog"
)

// zkMaster is one in-process ZooKeeper-mode replicator.
type zkMaster struct {
	addr string
	rep  *server.ZooKeeperReplicator
	fsm  *fsm.FSM
}

func startZKReplicator(t *testing.T, servers []string, folder, addr string) *zkMaster {
	t.Helper()
	ctx := context.Background()
	store, err := local.New(folder)
	if err != nil {
		t.Fatal(err)
	}
	log := hclog.New(&hclog.LoggerOptions{Name: addr, Level: hclog.Warn})
	j, err := ufsjournal.Open(ctx, store, log)
	if err != nil {
		t.Fatal(err)
	}
	f := fsm.New(fsm.DefaultConfig())
	rec, err := server.RecoverUFSJournal(ctx, j, f, log)
	if err != nil {
		t.Fatal(err)
	}
	el, err := election.New(election.Config{Servers: servers, SessionTimeout: 2 * time.Second, ID: addr, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	rep := server.NewZooKeeperReplicator(server.ZooKeeperOptions{
		Journal: j, Elector: el, FSM: f, Recovered: rec, Address: addr,
		CheckpointPeriodEntries: 1000, TailerSleep: 10 * time.Millisecond, Logger: log,
	})
	t.Cleanup(func() { rep.Close() })
	return &zkMaster{addr: addr, rep: rep, fsm: f}
}

func mkdir(path string) *halopb.Entry {
	return &halopb.Entry{TimeMs: 1000, Caller: &halopb.Caller{User: "root", Superuser: true}, Payload: &halopb.Entry_CreateDirectory{
		CreateDirectory: &halopb.CreateDirectoryEntry{Path: path, Mode: 0o755, Recursive: true},
	}}
}

func pollUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 30s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func leaderOf(t *testing.T, ms ...*zkMaster) (leader *zkMaster, standbys []*zkMaster) {
	t.Helper()
	pollUntil(t, "one leader", func() bool {
		leader, standbys = nil, nil
		n := 0
		for _, m := range ms {
			if m.rep.Status().Leader {
				leader = m
				n++
			} else {
				standbys = append(standbys, m)
			}
		}
		return n == 1
	})
	return leader, standbys
}

// TestZooKeeperReplicatorFailover runs two replicators in one process on a
// real ZooKeeper and a shared local folder: the leader commits, the standby
// tails and refuses with the leader's address, checkpoints are written by
// the standby, and when the leader closes the standby takes over with
// everything; a third master recovers the same namespace from the folder.
func TestZooKeeperReplicatorFailover(t *testing.T) {
	zk := testcluster.StartZooKeeper(t, 1)
	folder := t.TempDir()
	store, err := local.New(folder)
	if err != nil {
		t.Fatal(err)
	}
	if err := ufsjournal.Format(context.Background(), store, "test"); err != nil {
		t.Fatal(err)
	}
	a := startZKReplicator(t, zk.Servers(), folder, "127.0.0.1:1")
	b := startZKReplicator(t, zk.Servers(), folder, "127.0.0.2:1")
	leader, standbys := leaderOf(t, a, b)
	standby := standbys[0]
	ctx := context.Background()

	// Concurrent proposals share batches; each is applied once durable.
	errs := make(chan error, 200)
	for i := 0; i < 200; i++ {
		go func(i int) {
			res, err := leader.rep.Propose(ctx, mkdir(fmt.Sprintf("/d/%03d", i)))
			if err == nil {
				err = res.Error()
			}
			errs <- err
		}(i)
	}
	for i := 0; i < 200; i++ {
		if err := <-errs; err != nil {
			t.Fatalf("propose: %v", err)
		}
	}
	if err := leader.rep.VerifyRead(ctx); err != nil {
		t.Fatalf("leader VerifyRead: %v", err)
	}
	pollUntil(t, "standby caught up", func() bool { return standby.fsm.AppliedIndex() == leader.fsm.AppliedIndex() })
	pollUntil(t, "standby names the leader", func() bool { return standby.rep.Status().LeaderRPCAddress == leader.addr })
	_, err = standby.rep.Propose(ctx, mkdir("/nope"))
	if fserr.CodeOf(err) != fserr.NotLeader || fserr.LeaderHintOf(err) != leader.addr {
		t.Fatalf("standby Propose: %v; want NotLeader naming %s", err, leader.addr)
	}
	if err := standby.rep.VerifyRead(ctx); fserr.CodeOf(err) != fserr.NotLeader {
		t.Fatalf("standby VerifyRead: %v; want NotLeader", err)
	}
	if st := leader.rep.Status(); st.JournalType != "UFS" || st.ClusterID != "test" {
		t.Fatalf("leader status %+v", st)
	}

	info, err := standby.rep.Checkpoint(ctx)
	if err != nil || info.Index != leader.fsm.AppliedIndex() {
		t.Fatalf("standby checkpoint: %+v, %v; want index %d", info, err, leader.fsm.AppliedIndex())
	}

	inodes := leader.fsm.InodeCount()
	leader.rep.Close()
	next, _ := leaderOf(t, standby)
	if err := next.rep.VerifyRead(ctx); err != nil {
		t.Fatalf("new leader VerifyRead: %v", err)
	}
	if next.fsm.InodeCount() != inodes {
		t.Fatalf("new leader holds %d inodes, the old one %d", next.fsm.InodeCount(), inodes)
	}
	res, err := next.rep.Propose(ctx, mkdir("/after"))
	if err != nil || res.Error() != nil {
		t.Fatalf("propose on the new leader: %v %v", err, res.Error())
	}

	third := startZKReplicator(t, zk.Servers(), folder, "127.0.0.3:1")
	pollUntil(t, "a new master recovers the namespace", func() bool { return third.fsm.InodeCount() == inodes+1 })
	if third.rep.Status().Leader {
		t.Fatal("a master that joined later leads beside the current leader")
	}
}

// TestZooKeeperReplicatorStopsOnCorruptJournal: a damaged batch where the
// leader would write next fences it (its outcome is unknown), and, tailing
// as a standby, it stops for good rather than apply around the damage; a
// master starting on the folder refuses it too.
func TestZooKeeperReplicatorStopsOnCorruptJournal(t *testing.T) {
	zk := testcluster.StartZooKeeper(t, 1)
	folder := t.TempDir()
	store, err := local.New(folder)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := ufsjournal.Format(ctx, store, "test"); err != nil {
		t.Fatal(err)
	}
	a := startZKReplicator(t, zk.Servers(), folder, "127.0.0.1:1")
	leaderOf(t, a)
	if _, err := a.rep.Propose(ctx, mkdir("/ok")); err != nil {
		t.Fatal(err)
	}
	// Batches 1 (marker) and 2 (/ok) exist; damage batch 3.
	if err := ufs.WriteFile(ctx, store, "logs/0000000000000003", []byte("HLB1 not really a batch"), ufs.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err = a.rep.Propose(ctx, mkdir("/fenced"))
	if fserr.CodeOf(err) != fserr.OutcomeUnknown {
		t.Fatalf("propose onto a taken sequence number: %v, want OutcomeUnknown", err)
	}
	select {
	case err := <-a.rep.Failed():
		if !errors.Is(err, ufsjournal.ErrCorrupt) {
			t.Fatalf("failure %v does not wrap ErrCorrupt", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the replicator kept going over a corrupt batch")
	}
	if _, err := server.RecoverUFSJournal(ctx, mustOpen(t, folder), fsm.New(fsm.DefaultConfig()), hclog.NewNullLogger()); !errors.Is(err, ufsjournal.ErrCorrupt) {
		t.Fatalf("recovery over a corrupt batch: %v, want ErrCorrupt", err)
	}
}

func mustOpen(t *testing.T, folder string) *ufsjournal.Journal {
	t.Helper()
	store, err := local.New(folder)
	if err != nil {
		t.Fatal(err)
	}
	j, err := ufsjournal.Open(context.Background(), store, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}
