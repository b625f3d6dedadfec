package ha

import (
	"context"
	"time"

	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/proto/journalpb"
)

// Replicator makes mutations durable and applies them to the namespace, in
// the way of one HA mode: a local journal, an embedded Raft log, or a shared
// UFS journal under ZooKeeper election. The RPC service sees only this.
type Replicator interface {
	// Propose journals e, waits until it is committed (durable as the mode
	// defines it) and applied, and returns the result of applying it. It
	// fails with NotLeader on a master that does not lead, and with
	// OutcomeUnknown when leadership was lost after e may have been written.
	Propose(ctx context.Context, e *journalpb.Entry) (fsm.Result, error)
	// VerifyRead returns once a read served now is linearizable: this master
	// leads and has applied everything committed before the call.
	VerifyRead(ctx context.Context) error
	// Checkpoint writes a checkpoint now.
	Checkpoint(ctx context.Context) (CheckpointInfo, error)
	// Status describes the journal and this master's role.
	Status() Status
	// Close stops the replicator; in-flight proposals fail.
	Close() error
}

// LeaderAwaiter is implemented by replicators whose standbys can tell that
// the leader they know has fallen silent (the embedded journal). Asked who
// leads, such a standby first waits for the election that follows rather
// than name a leader that may be dead: a client sent there would fail and
// back off, and the backoff, not the election, would set the failover
// time.
type LeaderAwaiter interface {
	// AwaitLiveLeader returns once this master serves, or it has heard
	// from the leader it knows lately, or an election had time to end, or
	// ctx ends (it keeps half of ctx's time for the caller).
	AwaitLiveLeader(ctx context.Context)
}

// CheckpointInfo says where a checkpoint was written and what it covers.
type CheckpointInfo struct {
	Location string
	Index    uint64
}

// Status is what operators see of a replicator.
type Status struct {
	JournalType            string // LOCAL, EMBEDDED, UFS
	Leader                 bool
	LeaderRPCAddress       string // "" when unknown
	AppliedIndex           uint64
	EntriesSinceCheckpoint uint64
	LastCheckpointTime     time.Time
	ClusterID              string
}
