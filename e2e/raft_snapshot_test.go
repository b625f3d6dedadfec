package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/internal/testinfra/masters"
	"github.com/halo-fs/halo/proto/halopb"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// raftDir is where a harness master keeps its Raft state.
func raftDir(m *masters.Master) string { return filepath.Join(m.Dir, "journal", "raft") }

// damageNewestSnapshot flips a byte in the middle of the newest Raft
// snapshot of a stopped master and returns its id; it fails the test
// unless the master has at least two snapshots.
func damageNewestSnapshot(t *testing.T, m *masters.Master) string {
	t.Helper()
	store, err := raft.NewFileSnapshotStoreWithLogger(raftDir(m), 100, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	metas, err := store.List()
	if err != nil || len(metas) < 2 {
		t.Fatalf("%s has snapshots %v (%v), want at least two", m.Name, metas, err)
	}
	path := filepath.Join(raftDir(m), "snapshots", metas[0].ID, "state.bin")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0xff
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return metas[0].ID
}

// awaitSameDigest polls until m's namespace digest equals the leader's at
// the same applied index.
func awaitSameDigest(t *testing.T, leader, m *masters.Master, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		want, werr := leader.Digest(ctx)
		got, gerr := m.Digest(ctx)
		cancel()
		if werr == nil && gerr == nil && got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s's namespace %+v (%v) never matched the leader's %+v (%v); log:\n%s", m.Name, got, gerr, want, werr, m.Log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// awaitLog polls until m's log contains text.
func awaitLog(t *testing.T, m *masters.Master, text string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(m.Log(), text) {
		if time.Now().After(deadline) {
			t.Fatalf("%s never logged %q; log:\n%s", m.Name, text, m.Log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func createN(t *testing.T, cl *client.Client, prefix string, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		if _, err := cl.CreateFile(context.Background(), fmt.Sprintf("%s/f%04d", prefix, i), client.CreateFileOptions{Recursive: true, Completed: true}); err != nil {
			t.Fatalf("create: %v", err)
		}
	}
}

// checkpointOn makes master m (leader or not) take a checkpoint now.
func checkpointOn(t *testing.T, m *masters.Master) {
	t.Helper()
	api, ctx := admin(t, m.RPCAddress())
	if _, err := api.halo.Checkpoint(ctx, &halopb.Empty{}); err != nil {
		t.Fatalf("checkpoint on %s: %v", m.Name, err)
	}
}

// writeAndCheckpoint writes 300 files with a checkpoint on each of ms
// after the first and second hundred, and waits until every running
// master applied them. With few trailing log entries, each master's log
// then starts after its older snapshot.
func writeAndCheckpoint(t *testing.T, c *masters.Cluster, leader *masters.Master, ms ...*masters.Master) {
	t.Helper()
	cl := newClient(t, c.RPCAddresses(), 20*time.Second)
	for round := 0; round < 3; round++ {
		createN(t, cl, "/snap", 100*round, 100*(round+1))
		info, err := leader.Info(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		c.WaitApplied(info.AppliedIndex, time.Minute)
		if round < 2 {
			for _, m := range ms {
				checkpointOn(t, m)
			}
		}
	}
}

// TestRaftStandbyWithDamagedSnapshotCatchesUp: a standby whose newest
// snapshot is damaged, and whose log was compacted past its older one,
// restarts, moves them aside and is rebuilt by the leader, ending with the
// leader's namespace.
func TestRaftStandbyWithDamagedSnapshotCatchesUp(t *testing.T) {
	c, leader := startRaft(t, 3, map[string]string{"halo.master.embedded.journal.trailing.logs": "10"})
	var standby *masters.Master
	for _, m := range c.Masters {
		if m != leader {
			standby = m
			break
		}
	}
	writeAndCheckpoint(t, c, leader, standby)
	standby.Stop()
	damaged := damageNewestSnapshot(t, standby)
	cl := newClient(t, c.RPCAddresses(), 20*time.Second)
	createN(t, cl, "/snap", 300, 350)
	if out, err := leader.Halo("fsadmin", "journal", "checkpoint"); err != nil {
		t.Fatalf("fsadmin journal checkpoint: %v\n%s", err, out)
	}

	standby.Start()
	standby.WaitLive(30 * time.Second)
	createN(t, cl, "/snap", 350, 360)
	awaitSameDigest(t, leader, standby, time.Minute)
	awaitLog(t, standby, "takes part in elections again", time.Minute)
	if _, err := os.Stat(filepath.Join(raftDir(standby), "quarantine")); err != nil {
		t.Errorf("nothing was moved aside: %v", err)
	}
	moved, _ := filepath.Glob(filepath.Join(raftDir(standby), "quarantine", "*", "snapshots", damaged))
	if len(moved) != 1 {
		t.Errorf("the damaged snapshot %s is not in the quarantine folder", damaged)
	}
	if !strings.Contains(standby.Log(), "moved the raft log aside") {
		t.Errorf("the standby's log was not moved aside: the test did not make a gap")
	}
	if strings.Contains(standby.Log(), "panic") {
		t.Errorf("the standby's log shows a panic:\n%s", standby.Log())
	}
}

// TestRaftLoneMasterWithDamagedSnapshotRefusesToStart: a lone Raft master
// in the same state has no one to copy the missing entries from; it stops
// with an error saying what happened and what to do, without a panic.
func TestRaftLoneMasterWithDamagedSnapshotRefusesToStart(t *testing.T) {
	c, m := startRaft(t, 1, map[string]string{"halo.master.embedded.journal.trailing.logs": "10"})
	writeAndCheckpoint(t, c, m, m)
	m.Stop()
	damageNewestSnapshot(t, m)
	m.Start()
	if !m.WaitExit(30 * time.Second) {
		t.Fatalf("a lone master with entries missing kept running; log:\n%s", m.Log())
	}
	log := m.Log()
	for _, want := range []string{"journal entries this master held are in no usable snapshot or log", "halo master -i"} {
		if !strings.Contains(log, want) {
			t.Errorf("log does not say %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, "panic") {
		t.Errorf("the master panicked:\n%s", log)
	}
}

// TestRaftNoMasterServesWhenEveryOneLostEntries: every master's newest
// snapshot is damaged and its log compacted past the older one. They start
// and try elections, but none may serve its older, truncated namespace.
func TestRaftNoMasterServesWhenEveryOneLostEntries(t *testing.T) {
	c, leader := startRaft(t, 3, map[string]string{"halo.master.embedded.journal.trailing.logs": "10"})
	writeAndCheckpoint(t, c, leader, c.Masters...)
	for _, m := range c.Masters {
		m.Stop()
		damageNewestSnapshot(t, m)
	}
	c.StartAll()
	for _, m := range c.Masters {
		awaitLog(t, m, "catching up on journal entries it lost", time.Minute)
	}
	for _, m := range c.Masters {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		info, err := m.Info(ctx)
		cancel()
		if err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
		if info.State == "PRIMARY" {
			t.Errorf("%s serves a namespace missing acknowledged entries", m.Name)
		}
	}
}
