package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/internal/testinfra/masters"
	"github.com/halo-fs/halo/internal/testinfra/zookeeper"
	"github.com/halo-fs/halo/proto/halopb"
)

func createFiles(t *testing.T, c *client.Client, prefix string, n int) []string {
	t.Helper()
	var paths []string
	for i := 0; i < n; i++ {
		p := fmt.Sprintf("%s/d%d/f%03d", prefix, i%5, i)
		if _, err := c.CreateFile(context.Background(), p, client.CreateFileOptions{Recursive: true, Completed: true}); err != nil {
			t.Fatalf("create %s: %v", p, err)
		}
		paths = append(paths, p)
	}
	return paths
}

func requireFiles(t *testing.T, c *client.Client, paths []string) {
	t.Helper()
	for _, p := range paths {
		if _, err := c.GetStatus(context.Background(), p); err != nil {
			t.Fatalf("%s after restore: %v", p, err)
		}
	}
}

func backup(t *testing.T, c *client.Client) string {
	t.Helper()
	dir := t.TempDir()
	resp, err := c.Backup(context.Background(), dir, true)
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	if resp.EntryCount == 0 || filepath.Dir(resp.BackupUri) != dir {
		t.Fatalf("backup response %v does not describe a backup in %s", resp, dir)
	}
	return resp.BackupUri
}

// TestBackupMovesANamespaceBetweenModes backs up a single master, starts a
// new Raft cluster from the backup with -i, backs that up after more
// writes, and starts a new single master from the second backup.
func TestBackupMovesANamespaceBetweenModes(t *testing.T) {
	single := masters.NewMaster(t, "single", "127.0.0.1")
	single.Format()
	single.Start()
	single.WaitReady(30 * time.Second)
	sc := newClient(t, []string{single.RPCAddress()}, 10*time.Second)
	first := createFiles(t, sc, "/from-single", 40)
	b1 := backup(t, sc)
	single.Stop()

	cluster := masters.NewRaft(t, 3, nil)
	for _, m := range cluster.Masters {
		m.Args = []string{"-i", b1}
	}
	cluster.StartAll()
	cluster.Leader(30 * time.Second)
	rc := newClient(t, cluster.RPCAddresses(), 20*time.Second)
	requireFiles(t, rc, first)
	second := createFiles(t, rc, "/from-raft", 40)
	b2 := backup(t, rc)

	again := masters.NewMaster(t, "again", "127.0.0.1")
	again.Args = []string{"-i", b2}
	again.Format()
	again.Start()
	again.WaitReady(30 * time.Second)
	ac := newClient(t, []string{again.RPCAddress()}, 10*time.Second)
	requireFiles(t, ac, append(first, second...))
	if _, err := ac.CreateFile(context.Background(), "/after-import", client.CreateFileOptions{Completed: true}); err != nil {
		t.Fatalf("write after import: %v", err)
	}
	// A restart with the same -i must not roll the namespace back.
	again.Stop()
	again.Start()
	again.WaitReady(30 * time.Second)
	requireFiles(t, ac, []string{"/after-import"})
}

// TestNewRaftClusterStartsFromArchivedCheckpoint: a cluster archives its
// checkpoints on the shared UFS; a new cluster with empty disks pointed at
// the same archive starts from the newest one.
func TestNewRaftClusterStartsFromArchivedCheckpoint(t *testing.T) {
	old := masters.NewRaft(t, 3, nil)
	old.StartAll()
	leader := old.Leader(30 * time.Second)
	oc := newClient(t, old.RPCAddresses(), 20*time.Second)
	paths := createFiles(t, oc, "/archived", 50)
	api, ctx := admin(t, leader.RPCAddress())
	if _, err := api.halo.Checkpoint(ctx, &halopb.Empty{}); err != nil {
		t.Fatalf("checkpoint: %v", err)
	}
	for _, m := range old.Masters {
		m.Kill()
	}
	fresh := masters.NewRaft(t, 3, map[string]string{"halo.master.checkpoint.archive.folder": old.Archive})
	fresh.StartAll()
	fresh.Leader(30 * time.Second)
	fc := newClient(t, fresh.RPCAddresses(), 20*time.Second)
	requireFiles(t, fc, paths)
}

// TestBackupMovesANamespaceBetweenZooKeeperAndRaft is the guide's migration
// path: back up a ZooKeeper-mode cluster, start a Raft cluster from the
// backup with -i, then back that up and start a new ZooKeeper-mode cluster
// from it.
func TestBackupMovesANamespaceBetweenZooKeeperAndRaft(t *testing.T) {
	zk := zookeeper.Start(t, 1)
	zkc := masters.NewZooKeeper(t, 3, zk, nil)
	zkc.StartAll()
	zkc.Leader(60 * time.Second)
	zc := newClient(t, zkc.RPCAddresses(), 20*time.Second)
	first := createFiles(t, zc, "/from-zookeeper", 40)
	b1 := backup(t, zc)
	for _, m := range zkc.Masters {
		m.Stop()
	}

	raft := masters.NewRaft(t, 3, nil)
	for _, m := range raft.Masters {
		m.Args = []string{"-i", b1}
	}
	raft.StartAll()
	raft.Leader(30 * time.Second)
	rc := newClient(t, raft.RPCAddresses(), 20*time.Second)
	requireFiles(t, rc, first)
	second := createFiles(t, rc, "/from-raft", 40)
	b2 := backup(t, rc)
	for _, m := range raft.Masters {
		m.Stop()
	}

	back := masters.NewZooKeeper(t, 3, zookeeper.Start(t, 1), nil)
	for _, m := range back.Masters {
		m.Args = []string{"-i", b2}
	}
	back.StartAll()
	back.Leader(60 * time.Second)
	bc := newClient(t, back.RPCAddresses(), 20*time.Second)
	requireFiles(t, bc, append(first, second...))
	if _, err := bc.CreateFile(context.Background(), "/after-return", client.CreateFileOptions{Completed: true}); err != nil {
		t.Fatalf("write after returning to ZooKeeper mode: %v", err)
	}
}
