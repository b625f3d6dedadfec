package raft

import (
	"io"
	"runtime"
	"testing"

	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/internal/benchns"
)

// A Raft snapshot holds the serialised namespace without growing one
// slice by doubling: that copied it again and again and allocated about
// twice its size in fresh memory, whose clearing was most of a snapshot's
// time at ten million inodes. Beyond what serialising allocates anyway,
// a snapshot may allocate its own size and the unused end of its last
// chunk, no more.
func TestSnapshotAllocatesAboutItsSize(t *testing.T) {
	f := fsm.New(benchns.Config())
	benchns.Build(t, f, benchns.DataLake(150_000))
	serialiseAlone := allocatedBy(t, func() {
		if _, err := f.WriteCheckpoint(io.Discard); err != nil {
			t.Fatal(err)
		}
	})
	var snap *fsmSnapshot
	snapshotting := allocatedBy(t, func() {
		s, err := (&raftFSM{r: &Replicator{fsm: f}}).Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		snap = s.(*fsmSnapshot)
	})
	size := uint64(snap.size())
	if extra, limit := snapshotting-min(snapshotting, serialiseAlone), size+snapshotChunkBytes; extra > limit {
		t.Errorf("a snapshot of %d bytes allocated %d bytes beyond serialising (%d), want at most %d", size, extra, serialiseAlone, limit)
	}
}

// allocatedBy is how many bytes the process allocated while fn ran.
func allocatedBy(t *testing.T, fn func()) uint64 {
	t.Helper()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
