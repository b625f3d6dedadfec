package fsm

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/proto/journalpb"
)

// tableLimits is the entry a leader proposes to set the table's limits.
func tableLimits(enabled bool, maxRecords uint64, retention time.Duration, opts ...entryOpt) *journalpb.Entry {
	s := OperationTableSettings{Enabled: enabled, MaxRecords: maxRecords, Retention: retention}
	e := &journalpb.Entry{TimeMs: testTime, Payload: &journalpb.Entry_OperationTableConfig{OperationTableConfig: s.ConfigEntry()}}
	for _, o := range opts {
		o(e)
	}
	return e
}

// Outcomes of a retry, as retryOutcome reports them.
const (
	replayed = "replayed"
	unknown  = "outcome unknown"
	applied  = "applied again"
)

// retryOutcome says what f does with a retry of touch path under
// operation id (client, seq) at entry time ms. It probes a restored copy,
// so that f does not change.
func retryOutcome(t *testing.T, f *FSM, path string, client, seq uint64, ms int64) string {
	t.Helper()
	g := roundTrip(t, f)
	before := dump(t, g)
	res := g.Apply(0, touch(path, opID(client, seq), at(ms)))
	switch {
	case res.Replayed:
		return replayed
	case fserr.CodeOf(res.Error()) == fserr.OutcomeUnknown:
		if after := dump(t, g); after != before {
			t.Fatalf("a retry answered outcome unknown changed the namespace:\n%s\nbecame\n%s", before, after)
		}
		if !res.Err.Final {
			t.Fatalf("outcome unknown for a forgotten id is not marked final, so clients would retry it: %v", res.Err)
		}
		return unknown
	}
	return applied
}

// retryCase is a retry of operation id (client, seq) and what it should get.
type retryCase struct {
	name        string
	client, seq uint64
	want        string
}

// checkRetries probes each retry of touch path at entry time ms.
func checkRetries(t *testing.T, f *FSM, path string, ms int64, cases []retryCase) {
	t.Helper()
	for _, tc := range cases {
		if got := retryOutcome(t, f, path, tc.client, tc.seq, ms); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

// TestOperationTableLimitsAreReplicated: the limits are set by an entry,
// so replicas that apply the same entries forget the same ids, and the
// limits travel in checkpoints.
func TestOperationTableLimitsAreReplicated(t *testing.T) {
	a, b := newHarness(t), newHarness(t)
	entries := []*journalpb.Entry{tableLimits(true, 2, time.Minute)}
	for seq := uint64(1); seq <= 5; seq++ {
		entries = append(entries, touch(fmt.Sprintf("/f%d", seq), opID(1, seq)))
	}
	a.mustApply(entries...)
	b.mustApply(entries...)
	if !bytes.Equal(checkpointBytes(t, a.FSM), checkpointBytes(t, b.FSM)) {
		t.Fatal("replicas diverged on the same entries")
	}
	want := OperationTableSettings{Enabled: true, MaxRecords: 2, Retention: time.Minute}
	if got := roundTrip(t, a.FSM).OperationTableSettings(); got != want {
		t.Fatalf("restored limits %+v, want %+v", got, want)
	}
	if got := retryOutcome(t, a.FSM, "/f3", 1, 3, testTime); got != unknown {
		t.Errorf("retry of an id beyond the size set by the entry: %s, want %s", got, unknown)
	}
}

// TestRetryWithinRetentionAnsweredFromTable: more operations than the old
// count-only table held (100,000, about 15 s of creates) do not push out
// an id whose client may still retry.
func TestRetryWithinRetentionAnsweredFromTable(t *testing.T) {
	h := newHarness(t)
	h.mustApply(touch("/first", opID(1, 1), at(testTime)))
	for seq := uint64(2); seq <= 100_001; seq++ {
		h.mustApply(noop(opID(2, seq), at(testTime+1_000)))
	}
	res := h.apply(touch("/first", opID(1, 1), at(testTime+2_000)))
	if !res.Replayed || res.Err != nil {
		t.Fatalf("retry 2 s later: replayed %t, error %v; want the first result", res.Replayed, res.Err)
	}
}

// TestForgottenRetryIsOutcomeUnknown: a retry whose record was forgotten —
// by the memory cap within its retention, or after the retention — is
// answered "outcome unknown" and changes nothing, while new operations of
// every client are still applied.
func TestForgottenRetryIsOutcomeUnknown(t *testing.T) {
	const retention = 10 * time.Second
	h := newHarness(t)
	h.mustApply(tableLimits(true, 3, retention),
		touch("/x", opID(1, 1)), remove("/x", opID(2, 1)),
		noop(opID(1, 2)), noop(opID(1, 3)), noop(opID(3, 1)))
	// The cap forgot (1,1) and (2,1) within their retention; client 2 has
	// no record left, only its mark.
	checkRetries(t, h.FSM, "/x", testTime, []retryCase{
		{"client with records, id forgotten by the cap", 1, 1, unknown},
		{"client with no record left, id forgotten by the cap", 2, 1, unknown},
		{"remembered id", 1, 3, replayed},
		{"new id of a client with a mark", 2, 2, applied},
		{"new client", 4, 1, applied},
	})

	// Past the retention: the records of time testTime are forgotten, and
	// so is client 2's mark; client 1 keeps a mark while it has records.
	// Client 3 has none left: its retry is beyond any the retention
	// allows for, and is taken for a new operation.
	h.mustApply(tableLimits(true, 100, retention, at(testTime+5_000)), noop(opID(1, 4), at(testTime+5_000)))
	later := testTime + retention.Milliseconds() + 1
	h.mustApply(noop(opID(5, 1), at(later)))
	checkRetries(t, h.FSM, "/y", later, []retryCase{
		{"late retry of a client with records", 1, 2, unknown},
		{"late retry of a client with no record left", 3, 1, applied},
		{"new id of a client whose mark expired", 2, 2, applied},
	})
}

// TestOperationTableEvictsOldestFirst: the cap forgets in apply order, and
// goes on in the same order after a restore.
func TestOperationTableEvictsOldestFirst(t *testing.T) {
	h := newHarness(t)
	h.mustApply(tableLimits(true, 3, time.Minute))
	for seq := uint64(1); seq <= 4; seq++ {
		h.mustApply(touch(fmt.Sprintf("/f%d", seq), opID(9, seq)))
	}
	for seq, want := range map[uint64]string{1: unknown, 2: replayed, 3: replayed, 4: replayed} {
		if got := retryOutcome(t, h.FSM, fmt.Sprintf("/f%d", seq), 9, seq, testTime); got != want {
			t.Errorf("op %d: %s, want %s", seq, got, want)
		}
	}
	g := roundTrip(t, h.FSM)
	for _, f := range []*FSM{h.FSM, g} {
		f.Apply(f.AppliedIndex()+1, touch("/f5", opID(9, 5)))
	}
	if !bytes.Equal(checkpointBytes(t, h.FSM), checkpointBytes(t, g)) {
		t.Fatal("the original and the restored copy diverged")
	}
	for seq, want := range map[uint64]string{1: unknown, 2: unknown, 3: replayed, 4: replayed, 5: replayed} {
		if got := retryOutcome(t, g, fmt.Sprintf("/f%d", seq), 9, seq, testTime); got != want {
			t.Errorf("after restore: op %d: %s, want %s", seq, got, want)
		}
	}
}

// TestOperationTableRoundTripsTimes: a restored table forgets each record
// at the same entry time as the original.
func TestOperationTableRoundTripsTimes(t *testing.T) {
	const retention = 7 * time.Second
	h := newHarness(t)
	h.mustApply(tableLimits(true, 4, retention),
		touch("/a", opID(1, 1), at(1_000)), touch("/b", opID(1, 2), at(3_000)), touch("/c", opID(2, 1), at(3_000)),
		noop(opID(1, 3), at(5_000)), noop(opID(3, 1), at(5_000))) // the cap forgets (1,1)
	g := roundTrip(t, h.FSM)
	if got := g.OperationTableSettings(); got.MaxRecords != 4 || got.Retention != retention || !got.Enabled {
		t.Fatalf("restored limits %+v", got)
	}
	edge := 3_000 + retention.Milliseconds()
	for _, tc := range []struct {
		path        string
		client, seq uint64
		ms          int64
		want        string
	}{
		{"/a", 1, 1, 1_000, unknown},
		{"/b", 1, 2, edge, replayed},
		{"/b", 1, 2, edge + 1, unknown},
		{"/c", 2, 1, edge, replayed},
		{"/c", 2, 1, edge + 1, applied}, // client 2 is forgotten with its record
	} {
		if got := retryOutcome(t, g, tc.path, tc.client, tc.seq, tc.ms); got != tc.want {
			t.Errorf("retry of (%d,%d) at %d ms: %s, want %s", tc.client, tc.seq, tc.ms, got, tc.want)
		}
	}
}

// TestOperationTableDisabled: a replicated switch turns the table off
// (retries are applied again) and on (with an empty table).
func TestOperationTableDisabled(t *testing.T) {
	h := newHarness(t)
	h.mustApply(mkdir("/d", opID(1, 1)), tableLimits(false, 10, time.Minute), mkdir("/e", opID(1, 2)))
	if got := roundTrip(t, h.FSM).OperationTableSettings(); got.Enabled {
		t.Fatal("restored table is enabled")
	}
	wantCode(t, h.apply(mkdir("/d", opID(1, 1))).Error(), fserr.AlreadyExists)
	wantCode(t, h.apply(mkdir("/e", opID(1, 2))).Error(), fserr.AlreadyExists)
	h.mustApply(tableLimits(true, 10, time.Minute), mkdir("/f", opID(1, 3)))
	if got := retryOutcome(t, h.FSM, "/f", 1, 3, testTime); got != replayed {
		t.Fatalf("retry after the table was turned on again: %s", got)
	}
}

// TestOperationTableLimitsRefused: limits that cannot be meant are refused
// and change nothing.
func TestOperationTableLimitsRefused(t *testing.T) {
	h := newHarness(t)
	for _, e := range []*journalpb.Entry{
		tableLimits(true, 0, time.Minute),
		tableLimits(true, 1<<40, time.Minute),
		tableLimits(true, 10, 0),
		tableLimits(true, 10, -time.Second),
		tableLimits(true, 10, 1000*time.Hour),
	} {
		wantCode(t, h.apply(e).Error(), fserr.InvalidArgument)
	}
	if got := h.OperationTableSettings(); got != DefaultOperationTableSettings() {
		t.Fatalf("limits %+v after refused entries", got)
	}
}

// TestOldCheckpointLoads: a checkpoint of the format before the table had
// limits (testdata/checkpoint-v1.bin, written by that version) restores
// with the default limits; its records, which carry no time, keep
// answering retries and are dated by the next entry with a time.
func TestOldCheckpointLoads(t *testing.T) {
	old, err := os.ReadFile("testdata/checkpoint-v1.bin")
	if err != nil {
		t.Fatal(err)
	}
	f := New(testConfig())
	h, err := f.Restore(bytes.NewReader(old))
	if err != nil {
		t.Fatalf("restore a version 1 checkpoint: %v", err)
	}
	if h.Version != 1 || h.OpCount != 4 || f.OperationTableSettings() != DefaultOperationTableSettings() {
		t.Fatalf("header %+v, limits %+v", h, f.OperationTableSettings())
	}
	if !exists(t, f, "/d/f") || !exists(t, f, "/g") {
		t.Fatal("namespace lost")
	}
	f = roundTrip(t, f) // undated records stay undated in the new format
	res := f.Apply(f.AppliedIndex()+1, mkdir("/d", opID(7, 3), at(50_000)))
	if !res.Replayed || fserr.CodeOf(res.Error()) != fserr.AlreadyExists {
		t.Fatalf("retry of a failed operation: replayed %t, %v", res.Replayed, res.Err)
	}
	f.Apply(f.AppliedIndex()+1, noop(opID(7, 4), at(60_000)))
	retention := DefaultOperationRetention.Milliseconds()
	if got := retryOutcome(t, f, "/g", 8, 1, 50_000+retention); got != replayed {
		t.Errorf("retry within the retention of the first dated entry: %s", got)
	}
	if got := retryOutcome(t, f, "/d/f", 7, 2, 50_000+retention+1); got != unknown {
		t.Errorf("retry past it: %s", got)
	}
	if got := roundTrip(t, f); got.OperationTableSettings() != DefaultOperationTableSettings() {
		t.Fatal("limits lost in a new checkpoint")
	}
}

// BenchmarkOperationTableMemory reports the heap one remembered operation
// takes, for clients that make many operations each and for clients that
// make one (a CLI command is a client of its own).
func BenchmarkOperationTableMemory(b *testing.B) {
	const records = 1 << 20
	for _, opsPerClient := range []uint64{1000, 1} {
		b.Run(fmt.Sprintf("%d ops per client", opsPerClient), func(b *testing.B) {
			for range b.N {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				tab := newOperationTable(DefaultOperationTableSettings())
				id := &journalpb.OperationID{}
				for i := uint64(0); i < records; i++ {
					id.ClientLo, id.Seq = i/opsPerClient, i%opsPerClient+1
					tab.record(id, Result{InodeID: i}, testTime)
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/records, "bytes/record")
				runtime.KeepAlive(tab)
			}
		})
	}
}

// TestOperationTableMarksOverflow: when even the marks of clients with no
// record left exceed the cap, the table no longer knows which clients had
// ids forgotten, and answers every client it does not know "outcome
// unknown" until the dropped mark would have expired.
func TestOperationTableMarksOverflow(t *testing.T) {
	const retention = 10 * time.Second
	h := newHarness(t)
	h.mustApply(tableLimits(true, 1, retention),
		touch("/a", opID(1, 1)), touch("/b", opID(2, 1)), touch("/c", opID(3, 1)))
	// (1,1) and (2,1) were forgotten by the cap; one mark fits, so client
	// 1's was dropped.
	checkRetries(t, h.FSM, "/x", testTime, []retryCase{
		{"client whose mark was dropped", 1, 1, unknown},
		{"client with a mark", 2, 1, unknown},
		{"unknown client while a dropped mark could matter", 4, 1, unknown},
		{"remembered id", 3, 1, replayed},
	})
	end := testTime + retention.Milliseconds()
	checkRetries(t, h.FSM, "/x", end, []retryCase{{"unknown client at the dropped mark's expiry", 4, 1, unknown}})
	checkRetries(t, h.FSM, "/x", end+1, []retryCase{{"unknown client after it", 4, 1, applied}})
}
