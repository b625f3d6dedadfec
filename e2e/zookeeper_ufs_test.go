package e2e

import (
	"github.com/halo-fs/halo/internal/testinfra/masters"
	"maps"
	"testing"
	"time"

	"github.com/halo-fs/halo/internal/testinfra/hdfs"
	"github.com/halo-fs/halo/internal/testinfra/minio"
	"github.com/halo-fs/halo/internal/testinfra/zookeeper"
)

// TestZooKeeperJournalOnS3: the guide's ZooKeeper deployment with the
// shared journal in a MinIO bucket: kill -9 of the leader under load loses
// no acknowledged create.
func TestZooKeeperJournalOnS3(t *testing.T) {
	objects := minio.StartBucket(t, "halo")
	testZooKeeperJournalOn(t, "s3://halo/journal", objects.Options())
}

// TestZooKeeperJournalOnHDFS is the same with the journal on a
// MiniDFSCluster, as in the guide (alluxio.master.journal.folder=hdfs://…).
func TestZooKeeperJournalOnHDFS(t *testing.T) {
	namenode := hdfs.StartT(t)
	testZooKeeperJournalOn(t, namenode.URI+"/alluxio/journal", nil)
}

func testZooKeeperJournalOn(t *testing.T, folder string, options map[string]string) {
	props := maps.Clone(options)
	if props == nil {
		props = map[string]string{}
	}
	props["alluxio.master.journal.folder"] = folder
	zk := zookeeper.Start(t, 1)
	c := masters.NewZooKeeper(t, 3, zk, props)
	// One `halo format` initialises the shared folder for every master.
	if out, err := c.Masters[0].Halo("format"); err != nil {
		t.Fatalf("halo format of %s: %v\n%s", folder, err, out)
	}
	c.StartAll()
	leader := c.Leader(60 * time.Second)

	w := startWriters(t, c.RPCAddresses(), 8, "/zk-ufs")
	w.waitFor(t, 200, 2*time.Minute)
	leader.Kill()
	before := w.count.Load()
	if next := c.Leader(60 * time.Second); next == leader {
		t.Fatal("the killed master is still reported as leader")
	}
	w.waitFor(t, before+200, 2*time.Minute)
	w.halt(t)
	w.checkPresent(t, c.RPCAddresses(), "/zk-ufs")
}
