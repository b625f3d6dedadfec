package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/halo-fs/halo/internal/poll"
	"github.com/halo-fs/halo/internal/testinfra/compose"
)

// TestDockerRaftFailover brings deploy/docker's Raft cluster up and does
// what its README section shows: docker kill of the leader, a restart that
// rejoins, and a leader cut off its network.
func TestDockerRaftFailover(t *testing.T) {
	testDockerFailover(t, "docker-compose.raft.yml", 30*time.Second)
}

// TestDockerZooKeeperFailover is the same with the ZooKeeper ensemble and
// the shared journal on MinIO; failover waits out the 5 s session.
func TestDockerZooKeeperFailover(t *testing.T) {
	testDockerFailover(t, "docker-compose.zookeeper.yml", 60*time.Second)
}

// testDockerFailover checks that files made before each fault are still
// there after it, that a new leader serves within bound, and that the
// workers (when the image has them) are healthy and counted live at the
// end.
func testDockerFailover(t *testing.T, file string, bound time.Duration) {
	c := compose.Up(t, file)
	all := c.Masters()
	leader := c.AwaitLeader(all[0], "", bound)
	c.MustHalo(leader, "fs", "mkdir", "/docker")
	want := touchAll(t, c, leader, "before-kill", 5)
	sum := writeData(t, c, leader)

	c.Kill(leader)
	survivor := other(all, leader)
	next := c.AwaitLeader(survivor, leader, bound)
	checkListed(t, c, survivor, want)
	want = append(want, touchAll(t, c, survivor, "after-kill", 1)...)
	c.Restart(leader)
	c.AwaitHealthy(leader)
	checkListed(t, c, leader, want)

	c.Disconnect(next)
	majority := other(all, next)
	elected := c.AwaitLeader(majority, next, bound)
	want = append(want, touchAll(t, c, majority, "after-cut", 1)...)
	c.Connect(next)
	c.AwaitHealthy(next)
	poll.Until(t, bound, next+" to follow "+elected+" again", func() bool {
		got, err := c.Halo(next, "fs", "leader")
		return err == nil && strings.TrimSpace(got) == elected
	})
	checkListed(t, c, next, want)
	checkWorkersLive(t, c, elected, bound)
	checkData(t, c, next, sum)
}

// dataPath is the file with data each Docker test writes before the faults
// and reads after them.
const dataPath = "/docker/data"

// writeData copies 8 MB of random bytes into Halo through container, with
// the deployment's default write type, and returns their SHA-256.
func writeData(t *testing.T, c *compose.Cluster, container string) string {
	t.Helper()
	sum := c.Shell(container, "head -c 8000000 /dev/urandom >/tmp/data && sha256sum </tmp/data")
	c.MustHalo(container, "fs", "copyFromLocal", "/tmp/data", dataPath)
	return firstField(sum)
}

// checkData fails the test unless the file writeData wrote reads back,
// through container, with the same SHA-256.
func checkData(t *testing.T, c *compose.Cluster, container, want string) {
	t.Helper()
	got := firstField(c.Shell(container, "halo fs cat "+dataPath+" | sha256sum"))
	if got != want {
		t.Errorf("%s read through %s after the faults has SHA-256 %q, want %s", dataPath, container, got, want)
	}
}

func firstField(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return ""
}

// checkWorkersLive waits until the leader counts every worker of the
// cluster live and none lost, and their containers are healthy.
func checkWorkersLive(t *testing.T, c *compose.Cluster, leader string, bound time.Duration) {
	t.Helper()
	workers := c.Workers()
	if len(workers) == 0 {
		return
	}
	c.AwaitHealthy(workers...)
	live := fmt.Sprintf("Live Workers: %d\n", len(workers))
	poll.Until(t, bound, "the leader to count every worker live", func() bool {
		report, _ := c.Halo(leader, "fsadmin", "report")
		return strings.Contains(report, live) && strings.Contains(report, "Lost Workers: 0\n")
	})
}

// touchAll creates n files named /docker/<prefix>-<i> through container.
func touchAll(t *testing.T, c *compose.Cluster, container, prefix string, n int) []string {
	t.Helper()
	var paths []string
	for i := range n {
		p := fmt.Sprintf("/docker/%s-%d", prefix, i)
		c.MustHalo(container, "fs", "touch", p)
		paths = append(paths, p)
	}
	return paths
}

// checkListed fails the test unless `halo fs ls -R /docker`, run in
// container, lists every path in want.
func checkListed(t *testing.T, c *compose.Cluster, container string, want []string) {
	t.Helper()
	listing := c.MustHalo(container, "fs", "ls", "-R", "/docker")
	for _, p := range want {
		if !strings.Contains(listing, " "+p+"\n") {
			t.Errorf("%s lost after failover; listing from %s:\n%s", p, container, listing)
		}
	}
}

// other is the first name in names that is not not.
func other(names []string, not string) string {
	for _, n := range names {
		if n != not {
			return n
		}
	}
	return ""
}
