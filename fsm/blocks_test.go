package fsm

import (
	"slices"
	"testing"
)

// The namespace tells a worker's block it knows (a completed file lists
// it, or it belongs to a file still being written) from one it does not
// (its file was deleted, or nothing ever named it), so that the leader
// deletes only the latter from workers; a restored checkpoint knows the
// same blocks.
func TestUnknownBlocks(t *testing.T) {
	h := newHarness(t)
	writingID := uint64(0)
	h.mustApply(mkdir("/d"), create("/d/done"), complete("/d/done", 10, []uint64{100, 101}),
		create("/d/gone"), complete("/d/gone", 5, []uint64{200}), remove("/d/gone"))
	res := h.apply(create("/d/writing"))
	writingID = res.InodeID
	inWriting := writingID<<BlockSequenceBits | 3
	ofNothing := (writingID+100)<<BlockSequenceBits | 1
	reported := []int64{100, 101, 200, int64(inWriting), int64(ofNothing), 999}
	want := []int64{200, int64(ofNothing), 999}
	if got := h.UnknownBlocks(reported); !slices.Equal(got, want) {
		t.Errorf("UnknownBlocks(%v) = %v, want %v", reported, got, want)
	}
	if got := roundTrip(t, h.FSM).UnknownBlocks(reported); !slices.Equal(got, want) {
		t.Errorf("after a checkpoint round trip: UnknownBlocks(%v) = %v, want %v", reported, got, want)
	}
	h.mustApply(complete("/d/writing", 1, []uint64{inWriting}), remove("/d", recursive))
	if got := h.UnknownBlocks(reported); !slices.Equal(got, reported) {
		t.Errorf("after deleting every file: UnknownBlocks(%v) = %v, want all of them", reported, got)
	}
}
