package worker

import (
	"slices"
	"testing"

	"github.com/halo-fs/halo/worker/blockstore"
)

// A registration is cut into register-stream messages of at most batch
// ids each, the first naming the tiers, and carries every block once.
func TestRegistrationMessagesCarryEveryBlockInBatches(t *testing.T) {
	r := registrationOf(blockstore.Report{Tiers: []blockstore.TierReport{
		{Alias: "MEM", Capacity: 10, Used: 3, Blocks: map[string][]int64{"MEM": {1, 2, 3, 4, 5}}},
		{Alias: "SSD", Capacity: 20, Used: 2, Blocks: map[string][]int64{"SSD": {6, 7}}},
	}})
	msgs := r.messages(42, 3)
	if len(msgs) != 3 || !slices.Equal(msgs[0].GetStorageTiers(), []string{"MEM", "SSD"}) || msgs[0].GetTotalBytesOnTiers()["SSD"] != 20 {
		t.Fatalf("%d messages, the first %v; want 3, the first naming MEM and SSD with their space", len(msgs), msgs[0])
	}
	var all []int64
	for i, m := range msgs {
		n := 0
		for _, e := range m.GetCurrentBlocks() {
			n += len(e.GetValue().GetBlockId())
			all = append(all, e.GetValue().GetBlockId()...)
		}
		if n > 3 || m.GetWorkerId() != 42 || i > 0 && len(m.GetStorageTiers()) > 0 {
			t.Errorf("message %d: %v", i, m)
		}
	}
	slices.Sort(all)
	if !slices.Equal(all, []int64{1, 2, 3, 4, 5, 6, 7}) {
		t.Errorf("blocks registered: %v, want 1-7 once each", all)
	}
}

// Changes a failed heartbeat carried go back under those recorded since:
// a block removed after it was added is reported removed, not added.
func TestUndeliveredChangesYieldToNewerOnes(t *testing.T) {
	mem := blockstore.BlockLocation{Tier: "MEM", Medium: "MEM"}
	sent := blockChanges{}
	sent.add(blockstore.Changes{Added: map[blockstore.BlockLocation][]int64{mem: {1, 2}}, Removed: []int64{3}})
	pending := blockChanges{}
	pending.add(blockstore.Changes{Removed: []int64{2}})
	pending.restore(sent)
	added, removed := pending.split()
	slices.Sort(removed)
	if !slices.Equal(added["MEM"], []int64{1}) || !slices.Equal(removed, []int64{2, 3}) {
		t.Errorf("after a failed heartbeat: added %v, removed %v; want MEM [1], removed [2 3]", added, removed)
	}
}

// A block the store dropped and then cached again within one interval (a
// free's drop, then a load) comes in one Changes as both removed and
// added: it is reported added, as the store holds it.
func TestBlockRemovedThenAddedAgainIsReportedAdded(t *testing.T) {
	mem := blockstore.BlockLocation{Tier: "MEM", Medium: "MEM"}
	pending := blockChanges{}
	pending.add(blockstore.Changes{Added: map[blockstore.BlockLocation][]int64{mem: {7}}, Removed: []int64{7}})
	added, removed := pending.split()
	if !slices.Equal(added["MEM"], []int64{7}) || len(removed) != 0 {
		t.Errorf("a block dropped and cached again: added %v, removed %v; want MEM [7], nothing removed", added, removed)
	}
}
