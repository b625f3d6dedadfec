// Package zktest starts ZooKeeper-mode replicators inside the test process,
// over a shared journal folder and a real ZooKeeper, for the mode's own
// tests and for the master's tests that run on every mode.
package zktest

import (
	"context"
	"testing"
	"time"

	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/ha/zookeeper"
	ufsjournal "github.com/halo-fs/halo/journal/ufs"
	"github.com/halo-fs/halo/ufs"
	"github.com/halo-fs/halo/ufs/local"
	"github.com/hashicorp/go-hclog"
)

// Master is one in-process ZooKeeper-mode replicator and its namespace.
type Master struct {
	Addr string
	Rep  *zookeeper.Replicator
	FSM  *fsm.FSM
}

// Start starts a replicator whose journal is the local folder.
func Start(t *testing.T, servers []string, folder, addr string) *Master {
	t.Helper()
	return StartOn(t, servers, MustLocal(t, folder), addr)
}

// StartOn starts a replicator whose journal is store.
func StartOn(t *testing.T, servers []string, store ufs.Store, addr string) *Master {
	t.Helper()
	return StartElected(t, servers, store, addr, zookeeper.ElectorConfig{})
}

// StartElected is StartOn with the election's znodes taken from paths
// (empty: the defaults).
func StartElected(t *testing.T, servers []string, store ufs.Store, addr string, paths zookeeper.ElectorConfig) *Master {
	t.Helper()
	ctx := context.Background()
	log := hclog.New(&hclog.LoggerOptions{Name: addr, Level: hclog.Warn})
	j, err := ufsjournal.Open(ctx, store, log)
	if err != nil {
		t.Fatal(err)
	}
	f := fsm.New(fsm.DefaultConfig())
	rec, err := zookeeper.RecoverUFSJournal(ctx, j, f, log)
	if err != nil {
		t.Fatal(err)
	}
	el, err := zookeeper.NewElector(zookeeper.ElectorConfig{Servers: servers, SessionTimeout: 2 * time.Second, ID: addr, Logger: log,
		ElectionPath: paths.ElectionPath, LeaderPath: paths.LeaderPath})
	if err != nil {
		t.Fatal(err)
	}
	rep := zookeeper.New(zookeeper.Options{
		Journal: j, Elector: el, FSM: f, Recovered: rec, Address: addr,
		CheckpointPeriodEntries: 1000, TailerSleep: 10 * time.Millisecond, Logger: log,
	})
	t.Cleanup(func() { rep.Close() })
	return &Master{Addr: addr, Rep: rep, FSM: f}
}

// MustLocal is the local folder as a store.
func MustLocal(t *testing.T, folder string) ufs.Store {
	t.Helper()
	s, err := local.New(folder)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// FormattedFolder is a new folder (removed when the test ends) holding a
// freshly formatted shared journal of cluster "test".
func FormattedFolder(t *testing.T) string {
	t.Helper()
	folder := t.TempDir()
	if err := ufsjournal.Format(context.Background(), MustLocal(t, folder), "test"); err != nil {
		t.Fatal(err)
	}
	return folder
}
