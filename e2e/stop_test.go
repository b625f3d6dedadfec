package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/halo-fs/halo/internal/testinfra/masters"
)

// A Raft leader stopped by SIGTERM (alluxio-stop.sh, systemd) hands its
// role to another master before it exits, so clients wait for no election
// timeout. The timeouts are scaled to 12 s here: without the hand-over the
// followers cannot start an election until 12 s after the leader's last
// heartbeat (sent at most 1.2 s before it was told to stop), so a leader
// seen within 9 s of the signal can only be one it handed over to.
func TestSIGTERMedRaftLeaderHandsOverLeadership(t *testing.T) {
	const heartbeatTimeout = 12 * time.Second
	c := masters.NewRaft(t, 3, map[string]string{"halo.master.embedded.journal.timeout.multiplier": "60"})
	c.StartAll()
	// The first election itself waits one to two heartbeat timeouts.
	old := c.Leader(3 * heartbeatTimeout)

	signalled := time.Now()
	old.Stop()
	ctx, cancel := context.WithDeadline(context.Background(), signalled.Add(heartbeatTimeout*3/4))
	defer cancel()
	successor, err := c.WaitLeader(ctx)
	if err != nil {
		t.Fatalf("no new leader within %s of SIGTERM to the old one (%s): it did not hand leadership over: %v\n%s",
			heartbeatTimeout*3/4, old.Name, err, old.LogTail(20))
	}
	if successor == old {
		t.Fatalf("%s still leads after SIGTERM", old.Name)
	}
}
