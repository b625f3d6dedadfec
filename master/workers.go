package master

import (
	"context"
	"slices"

	"github.com/halo-fs/halo/proto/journalpb"
)

// blocksCheckedPerHeartbeat bounds the registered blocks one heartbeat
// checks against the namespace: the answer's Delete list stays well
// under a worker's 4 MiB message limit, and the namespace's read lock is
// held for a few milliseconds only. A worker registering with a million
// blocks is checked over ten heartbeats.
const blocksCheckedPerHeartbeat = 100_000

// BlocksToDelete returns the blocks the worker registered with that the
// namespace does not know, and forgets their locations: the worker is to
// delete them. Only a leader that has applied every committed entry
// decides (a new leader that served before catching up would take blocks
// written meanwhile for left-overs); any other master answers none and
// keeps the blocks for its own check when it leads. Blocks of a file
// still being written are known (see fsm.BlockSequenceBits).
func (m *Master) BlocksToDelete(ctx context.Context, worker int64) []int64 {
	check := m.workers.Unverified(worker, blocksCheckedPerHeartbeat)
	if len(check.Blocks) == 0 {
		return nil
	}
	if leading, _ := m.Leading(); !leading {
		return nil
	}
	if err := m.replicator.VerifyRead(ctx); err != nil {
		m.log.Debug("worker blocks left unchecked: this master cannot serve a linearizable read", "worker", worker, "error", err)
		return nil
	}
	dropped := m.workers.Verified(worker, check, m.fsm.UnknownBlocks(check.Blocks))
	if len(dropped) > 0 {
		m.log.Info("a worker holds blocks no file has: telling it to delete them", "worker", worker, "blocks", len(dropped))
	}
	return dropped
}

// PinnedFileIDs returns, sorted, the ids of the files whose blocks workers
// keep from eviction: the pinned ones, and those written ASYNC_THROUGH
// and not yet persisted, whose only copy the workers hold. Like any read
// it is answered by the leader only, so a worker that asks every master
// keeps the leader's list.
func (m *Master) PinnedFileIDs(ctx context.Context) ([]int64, error) {
	if err := m.replicator.VerifyRead(ctx); err != nil {
		return nil, err
	}
	ids := append(m.fsm.PinnedFileIDs(), m.fsm.ToPersistIDs()...)
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

// StatusByID describes the file or directory with inode id, for workers,
// which name files by id. It checks no permission: worker services admit
// identified callers only.
func (m *Master) StatusByID(ctx context.Context, id uint64) (*journalpb.FileStatus, error) {
	if err := m.replicator.VerifyRead(ctx); err != nil {
		return nil, err
	}
	return m.fsm.StatusByID(id)
}

// MountUfsOptions are the options the master opens a mount's UFS with:
// the UFS options of its site properties under the mount's own. Workers
// are given them so that they reach the UFS as the master does; they have
// no UFS options of their own.
func (m *Master) MountUfsOptions(mount map[string]string) map[string]string {
	return m.ufsOptions(mount)
}
