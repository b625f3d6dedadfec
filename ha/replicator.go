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
