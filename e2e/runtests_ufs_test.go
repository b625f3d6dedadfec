package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/halo-fs/halo/internal/testinfra/alluxio"
	"github.com/halo-fs/halo/internal/testinfra/hdfs"
	"github.com/halo-fs/halo/internal/testinfra/masters"
	"github.com/halo-fs/halo/internal/testinfra/minio"
	"github.com/halo-fs/halo/internal/testinfra/workers"
	"github.com/halo-fs/halo/internal/testinfra/zookeeper"
	"github.com/halo-fs/halo/master/identity"
)

// runTests in the guide's ZooKeeper deployment with the root UFS in a
// MinIO bucket: Halo's own and the real Alluxio 2.9.3 TestRunner each pass
// every combination of read and write type, the persisted ones through
// the workers' S3 reads and writes and the leader's persister.
func TestRunTestsZooKeeperModeRootOnS3(t *testing.T) {
	objects := minio.StartBucket(t, "halo")
	props := objects.Options()
	props["alluxio.master.mount.table.root.ufs"] = "s3://halo/"
	props["alluxio.security.authentication.type"] = string(identity.NoSASL)
	props["halo.security.authorization.trust.asserted.superuser"] = "true"
	c := masters.New(t, masters.Config{Mode: masters.ModeZooKeeper, Masters: 2, ZooKeeper: zookeeper.Start(t, 1), Authentication: identity.NoSASL, Props: props})
	c.StartAll()
	leader := c.Leader(60 * time.Second)
	startUfsWorkers(t, c)

	requireRunTestsPass(t, leader)
	requireRealRunTestsPass(t, c, "in ZooKeeper mode on S3")
}

// runTests with the root UFS on HDFS (a MiniDFSCluster): the name
// node's root, which exists on a fresh cluster, as the guide's
// hdfs:// root mount; Halo's own and the real TestRunner.
func TestRunTestsRootOnHDFS(t *testing.T) {
	namenode := hdfs.StartT(t)
	props := map[string]string{
		"alluxio.master.mount.table.root.ufs":                  namenode.URI + "/",
		"alluxio.security.authentication.type":                 string(identity.NoSASL),
		"halo.security.authorization.trust.asserted.superuser": "true",
	}
	c := masters.New(t, masters.Config{Mode: masters.ModeRaft, Masters: 1, Authentication: identity.NoSASL, Props: props})
	c.StartAll()
	leader := c.Leader(60 * time.Second)
	startUfsWorkers(t, c)
	requireRunTestsPass(t, leader)
	requireRealRunTestsPass(t, c, "in Raft mode on HDFS")
}

// requireRealRunTestsPass runs Alluxio 2.9.3's own TestRunner against the
// cluster (NOSASL, as the cluster is started).
func requireRealRunTestsPass(t *testing.T, c *masters.Cluster, where string) {
	t.Helper()
	conf := map[string]string{
		"alluxio.master.rpc.addresses":         strings.Join(c.RPCAddresses(), ","),
		"alluxio.security.authentication.type": string(identity.NoSASL),
	}
	r := alluxio.RunT(t, alluxio.Command{Main: alluxio.TestRunner, Conf: conf})
	if r.ExitCode != 0 || strings.Count(r.Stdout, "Passed the test!") != 24 {
		t.Errorf("real runTests %s: exit %d, want 24 passed\n%s\n%s", where, r.ExitCode, r.Stdout, r.Stderr)
	}
}

// startUfsWorkers starts two workers with room for the real client's
// whole 64 MiB blocks. They have no UFS options: the masters hand them
// the root mount's with the mount.
func startUfsWorkers(t *testing.T, c *masters.Cluster) []*workers.Worker {
	t.Helper()
	return startWorkers(t, c, 2, func(w *workers.Worker) { w.Props["alluxio.worker.tieredstore.level0.dirs.quota"] = "512MB" })
}

func requireRunTestsPass(t *testing.T, leader *masters.Master) {
	t.Helper()
	out, err := leader.Halo("runTests")
	if err != nil || strings.Count(out, "Passed the test!") != 24 {
		t.Errorf("runTests: %v, want 24 passed\n%s", err, out)
	}
}
