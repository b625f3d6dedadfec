package conf

import (
	"fmt"
	"sort"
)

// inertKeys are keys Halo accepts, so that a site file written for Alluxio
// loads unchanged, but does not act on. Each says why. A deployment that
// sets one gets a warning naming it, because a setting that silently does
// nothing is worse than one refused. TestInertKeysAreExactlyTheUnusedOnes
// keeps this list honest: a key read by the code must leave it, a key no
// code reads must join it.
var inertKeys = map[string]string{
	"alluxio.conf.dir":                                                   "the conf folder is the one --conf or ALLUXIO_CONF_DIR names",
	"alluxio.job.master.embedded.journal.port":                           "Halo has no job master",
	"alluxio.master.journal.log.size.bytes.max":                          "the shared UFS journal writes one object per group commit and never rotates logs",
	"alluxio.master.journal.tailer.shutdown.quiet.wait.time":             "a ZooKeeper-mode standby takes over once it has read to the fenced end of the journal, not after a quiet period",
	"alluxio.master.journal.gc.period":                                   "the shared UFS journal is collected after each checkpoint, keeping one checkpoint period of batches",
	"alluxio.master.journal.gc.threshold":                                "the shared UFS journal is collected after each checkpoint, keeping one checkpoint period of batches",
	"alluxio.master.embedded.journal.max.election.timeout":               "Raft picks each election timeout between the minimum and twice the minimum",
	"alluxio.master.embedded.journal.transport.request.timeout.ms":       "the Raft transport's timeouts follow the election timeout",
	"alluxio.master.embedded.journal.transport.max.inbound.message.size": "the Raft transport streams messages without a size cap",
	"alluxio.master.embedded.journal.flush.size.max":                     "Raft batches entries by count (group commit), not by bytes",
	"alluxio.master.embedded.journal.write.timeout":                      "a write waits for the quorum as long as the caller's deadline allows",
	"alluxio.master.embedded.journal.catchup.retry.wait":                 "a new leader catches up with one Raft barrier, not a retry loop",
	"alluxio.master.embedded.journal.snapshot.replication.chunk.size":    "Raft streams a snapshot to a follower as one transfer",
	"alluxio.master.embedded.journal.retry.cache.expiry.time":            "retried operations are answered by the namespace's exactly-once table",
	"alluxio.master.embedded.journal.unsafe.flush.enabled":               "every entry is fsynced before it is acknowledged; Halo has no unsafe mode",
	"alluxio.zookeeper.leader.inquiry.retry":                             "clients retry the leader znode for as long as their RPC retry budget lasts",
	"alluxio.zookeeper.auth.enabled":                                     "Halo connects to ZooKeeper without authentication",
	"alluxio.master.backup.delegation.enabled":                           "the leader writes every backup itself, from its in-memory namespace",
	"alluxio.master.serving.thread.timeout":                              "a master that steps down fails its in-flight calls at once with outcome unknown",
	"alluxio.master.worker.connect.wait.time":                            "this build runs no workers yet, so a new leader has no safe mode",
	"alluxio.master.standby.heartbeat.interval":                          "standbys follow the journal; they do not heartbeat the leader",
	"alluxio.standby.master.web.enabled":                                 "every master serves its web port, standbys included",
	"alluxio.master.worker.register.lease.enabled":                       "this build runs no workers yet",
	"alluxio.master.tieredstore.global.levels":                           "this build runs no workers yet",
}

// inertKeyWarnings names each inert key the deployment set itself; one
// left at its default changes nothing and says nothing.
func inertKeyWarnings(settings map[string]setting) []string {
	var warnings []string
	for key, s := range settings {
		why, inert := inertKeys[key]
		if !inert {
			continue
		}
		warnings = append(warnings, fmt.Sprintf("%s=%s (from %s) is accepted for compatibility but has no effect: %s",
			key, s.value, s.origin, why))
	}
	sort.Strings(warnings)
	return warnings
}
