package fsm

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/proto/journalpb"
	"google.golang.org/protobuf/proto"
)

func TestApplyIndex(t *testing.T) {
	h := newHarness(t)
	h.mustApply(mkdir("/a"), mkdir("/b"))
	if h.AppliedIndex() != 2 {
		t.Fatalf("AppliedIndex = %d, want 2", h.AppliedIndex())
	}
	// A failed entry still occupies its index.
	wantCode(t, h.apply(mkdir("/a")).Error(), fserr.AlreadyExists)
	if h.AppliedIndex() != 3 {
		t.Fatalf("AppliedIndex = %d after a failed entry, want 3", h.AppliedIndex())
	}
	before := checkpointBytes(t, h.FSM)
	for _, index := range []uint64{1, 3} {
		res := h.Apply(index, mkdir("/c"))
		wantCode(t, res.Error(), fserr.FailedPrecondition)
	}
	if !bytes.Equal(before, checkpointBytes(t, h.FSM)) || exists(t, h.FSM, "/c") {
		t.Fatal("an entry at an old index changed the state")
	}
	// Index 0 applies without a journal position.
	if res := h.Apply(0, mkdir("/c")); res.Err != nil || h.AppliedIndex() != 3 {
		t.Fatalf("Apply(0): %v, AppliedIndex %d", res.Err, h.AppliedIndex())
	}
	// Gaps are allowed: the Raft log has entries that are not for the FSM.
	if res := h.Apply(10, mkdir("/d")); res.Err != nil || h.AppliedIndex() != 10 {
		t.Fatalf("Apply(10): %v, AppliedIndex %d", res.Err, h.AppliedIndex())
	}
	if res := h.Apply(11, nil); fserr.CodeOf(res.Error()) != fserr.InvalidArgument || h.AppliedIndex() != 11 {
		t.Fatalf("Apply(nil): %v, AppliedIndex %d", res.Err, h.AppliedIndex())
	}
	roundTrip(t, h.FSM)
}

func TestResultError(t *testing.T) {
	if err := (Result{}).Error(); err != nil {
		t.Fatalf("success gives %v", err)
	}
	if err := (Result{Err: fserr.New(fserr.NotFound, "x")}).Error(); fserr.CodeOf(err) != fserr.NotFound {
		t.Fatalf("got %v", err)
	}
}

// TestExactlyOnce: the same operation id applied again is answered with its
// first result, success or failure, and changes nothing.
func TestExactlyOnce(t *testing.T) {
	setup := []*journalpb.Entry{mkdir("/d"), touch("/d/f"), create("/d/open"), mountAt("/m", "mem://m")}
	cases := []struct {
		name  string
		op    *journalpb.Entry
		want  fserr.Code
		later []*journalpb.Entry // applied between the first try and the retry
	}{
		{name: "create file", op: create("/d/new")},
		{name: "create file with parents", op: create("/x/y/z", recursive)},
		{name: "create directory", op: mkdir("/d/new")},
		{name: "rename", op: rename("/d/f", "/d/g")},
		{name: "delete", op: remove("/d/f")},
		{name: "delete recursive", op: remove("/d", recursive)},
		{name: "chmod", op: chmod("/d", 0o700)},
		{name: "complete", op: complete("/d/open", 5, []uint64{1})},
		{name: "mount", op: mountAt("/n", "mem://n")},
		{name: "unmount", op: unmount("/m")},
		{name: "load metadata", op: loadMetadata("/m", []*journalpb.UfsChild{ufsFile("a", 1)})},
		{name: "noop", op: noop()},
		{name: "first failure is kept", op: create("/p/f"), want: fserr.NotFound, later: []*journalpb.Entry{mkdir("/p")}},
		{name: "first success is kept", op: create("/p"), later: []*journalpb.Entry{remove("/p")}},
		{name: "permission failure is kept", op: mkdir("/d/q", as(alice)), want: fserr.PermissionDenied, later: []*journalpb.Entry{chmod("/d", 0o777)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.mustApply(setup...)
			op := proto.Clone(tc.op).(*journalpb.Entry)
			opID(42, 7)(op)
			first := h.apply(op)
			wantCode(t, first.Error(), tc.want)
			if first.Replayed {
				t.Fatal("first application reported as replayed")
			}
			h.mustApply(tc.later...)
			state := dump(t, h.FSM)

			// The retry may reach a new leader: retry on a restored copy too.
			for i, f := range []*FSM{h.FSM, roundTrip(t, h.FSM)} {
				retry := proto.Clone(op).(*journalpb.Entry)
				retry.TimeMs++ // a retry is stamped again by the leader
				res := f.Apply(f.AppliedIndex()+1, retry)
				if !res.Replayed || res.InodeID != first.InodeID || fserr.CodeOf(res.Error()) != tc.want ||
					(first.Err != nil && res.Err.Message != first.Err.Message) {
					t.Fatalf("retry %d = %+v, want first result %+v replayed", i, res, first)
				}
				if got := dump(t, f); got != state {
					t.Fatalf("retry %d changed the state:\n%s\nwant\n%s", i, got, state)
				}
			}
		})
	}
}

func TestOperationIDsAreDistinct(t *testing.T) {
	h := newHarness(t)
	ids := []entryOpt{opID(1, 1), opID(1, 2), opID(2, 1), opID(1<<32|1, 1)}
	for i, id := range ids {
		res := h.apply(touch(fmt.Sprintf("/f%d", i), id))
		if res.Err != nil || res.Replayed {
			t.Fatalf("op %d: %+v", i, res)
		}
	}
	if h.InodeCount() != 5 {
		t.Fatalf("InodeCount = %d, want 5", h.InodeCount())
	}
}

// TestResetAppliedIndex: a namespace imported from a backup continues at
// the start of a new, empty journal.
func TestResetAppliedIndex(t *testing.T) {
	g := roundTrip(t, smallNamespace(t).FSM)
	g.ResetAppliedIndex(0)
	if res := g.Apply(1, touch("/after-import")); res.Err != nil || g.AppliedIndex() != 1 {
		t.Fatalf("apply at 1: %v, AppliedIndex %d", res.Err, g.AppliedIndex())
	}
	if h := roundTrip(t, g); !exists(t, h, "/after-import") || !exists(t, h, "/a/b/f") {
		t.Fatal("imported namespace lost")
	}
}
