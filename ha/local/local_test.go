package local

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/ha"
	"github.com/halo-fs/halo/ha/hatest"
	"github.com/halo-fs/halo/internal/poll"
	"github.com/halo-fs/halo/journal"
	"github.com/halo-fs/halo/proto/journalpb"
	"github.com/prometheus/client_golang/prometheus"
)

// localMaster is a Replicator over a journal folder, as a single
// master runs it.
type localMaster struct {
	dir string
	j   *journal.Journal
	f   *fsm.FSM
	r   *Replicator
}

// openLocal opens dir, recovers the namespace and starts the committer. It
// returns how many journal records recovery replayed.
func openLocal(t testing.TB, dir string, opts Options) (*localMaster, uint64) {
	t.Helper()
	j, err := journal.Open(journal.Options{Dir: dir})
	if err != nil {
		t.Fatalf("open journal: %v", err)
	}
	f := fsm.New(fsm.DefaultConfig())
	log := hatest.Logger(t, "local")
	replayed, err := RecoverFSM(j, f, log)
	if err != nil {
		j.Close()
		t.Fatalf("RecoverFSM: %v", err)
	}
	opts.Journal, opts.FSM, opts.Logger = j, f, log
	lm := &localMaster{dir: dir, j: j, f: f, r: New(opts)}
	t.Cleanup(func() { lm.r.Close() })
	return lm, replayed
}

func (lm *localMaster) propose(t testing.TB, entries ...*journalpb.Entry) {
	t.Helper()
	for _, e := range entries {
		res, err := lm.r.Propose(context.Background(), e)
		if err == nil {
			err = res.Error()
		}
		if err != nil {
			t.Fatalf("Propose(%v): %v", e, err)
		}
	}
}

// journalRecords counts the records in a closed journal folder.
func journalRecords(t testing.TB, dir string) uint64 {
	t.Helper()
	j, err := journal.Open(journal.Options{Dir: dir})
	if err != nil {
		t.Fatalf("reopen journal: %v", err)
	}
	defer j.Close()
	var n uint64
	if err := j.Replay(0, func(uint64, []byte) error { n++; return nil }); err != nil {
		t.Fatalf("replay: %v", err)
	}
	return n
}

func TestRecoverFSMAfterReopen(t *testing.T) {
	dir := hatest.FormatJournal(t)
	lm, replayed := openLocal(t, dir, Options{})
	if replayed != 0 {
		t.Fatalf("a fresh journal replayed %d records", replayed)
	}
	lm.propose(t, hatest.SomeMutations(1)...)
	cp, err := lm.r.Checkpoint(context.Background())
	if err != nil {
		t.Fatalf("Checkpoint: %v", err)
	}
	if cp.Index != 6 {
		t.Errorf("checkpoint index %d, want 6", cp.Index)
	}
	lm.propose(t, hatest.SomeMutations(2)...)
	want := hatest.CheckpointBytes(t, lm.f)
	if err := lm.r.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	again, replayed := openLocal(t, dir, Options{})
	if replayed != 6 {
		t.Errorf("recovery replayed %d records after the checkpoint at 6 of 12, want 6", replayed)
	}
	if got := hatest.CheckpointBytes(t, again.f); string(got) != string(want) {
		t.Fatalf("recovered namespace differs from the one before the restart")
	}
	if st := again.r.Status(); st.AppliedIndex != 12 || st.EntriesSinceCheckpoint != 6 || st.ClusterID != "test-cluster" || !st.Leader || st.JournalType != "LOCAL" {
		t.Errorf("Status after recovery = %+v", st)
	}
	// The recovered master goes on where the journal left off.
	again.propose(t, hatest.TouchEntry("/after-restart"))
	if got := again.f.AppliedIndex(); got != 13 {
		t.Errorf("applied index %d after one more write, want 13", got)
	}
}

func TestRecoverFSMSkipsCorruptCheckpoint(t *testing.T) {
	dir := hatest.FormatJournal(t)
	lm, _ := openLocal(t, dir, Options{})
	lm.propose(t, hatest.SomeMutations(1)...)
	older, err := lm.r.Checkpoint(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	lm.propose(t, hatest.SomeMutations(2)...)
	newer, err := lm.r.Checkpoint(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	lm.propose(t, hatest.SomeMutations(3)...)
	want := hatest.CheckpointBytes(t, lm.f)
	if err := lm.r.Close(); err != nil {
		t.Fatal(err)
	}
	if older.Index != 6 || newer.Index != 12 {
		t.Fatalf("checkpoints at %d and %d, want 6 and 12", older.Index, newer.Index)
	}

	data, err := os.ReadFile(newer.Location)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x40
	if err := os.WriteFile(newer.Location, data, 0o644); err != nil {
		t.Fatal(err)
	}

	again, replayed := openLocal(t, dir, Options{})
	if replayed != 12 {
		t.Errorf("replayed %d records, want 12 (everything after the older checkpoint at 6)", replayed)
	}
	if got := hatest.CheckpointBytes(t, again.f); string(got) != string(want) {
		t.Fatalf("namespace recovered past a corrupt checkpoint differs from the one before the restart")
	}
}

// TestRecoverFSMAllCheckpointsCorrupt: with every checkpoint damaged and
// the records before them still in the journal, recovery replays it all.
func TestRecoverFSMAllCheckpointsCorrupt(t *testing.T) {
	dir := hatest.FormatJournal(t)
	lm, _ := openLocal(t, dir, Options{})
	lm.propose(t, hatest.SomeMutations(1)...)
	cp, err := lm.r.Checkpoint(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	lm.propose(t, hatest.SomeMutations(2)...)
	want := hatest.CheckpointBytes(t, lm.f)
	lm.r.Close()
	if err := os.WriteFile(cp.Location, []byte("HALOCKPT garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	again, replayed := openLocal(t, dir, Options{})
	if replayed != 12 {
		t.Errorf("replayed %d records, want all 12", replayed)
	}
	if got := hatest.CheckpointBytes(t, again.f); string(got) != string(want) {
		t.Fatalf("namespace differs after replaying the whole journal")
	}
}

// TestLocalGroupCommit: proposals that arrive while a batch is being
// committed share the next write and fsync, and every one succeeds.
func TestLocalGroupCommit(t *testing.T) {
	dir := hatest.FormatJournal(t)
	metrics := ha.NewJournalMetrics()
	lm, _ := openLocal(t, dir, Options{Metrics: metrics})
	lm.propose(t, hatest.MkdirEntry("/d"))
	release := hatest.BlockApplies(t, lm.f)
	defer release()

	const n = 300
	errs := make(chan error, n+1)
	propose := func(path string) {
		res, err := lm.r.Propose(context.Background(), hatest.TouchEntry(path))
		if err == nil {
			err = res.Error()
		}
		errs <- err
	}
	go propose("/d/first")
	poll.Until(t, 10*time.Second, "the first batch to be journaled", func() bool { return lm.j.LastIndex() == 2 })
	for i := 0; i < n; i++ {
		go propose(fmt.Sprintf("/d/f%03d", i))
	}
	poll.Until(t, 10*time.Second, "proposals to queue", func() bool { return lm.r.queue.Queued() == n })
	release()
	for i := 0; i < n+1; i++ {
		if err := <-errs; err != nil {
			t.Errorf("Propose: %v", err)
		}
	}
	if got := lm.f.InodeCount(); got != n+3 {
		t.Errorf("%d inodes, want %d", got, n+3)
	}
	count, sum := histogram(t, metrics, "halo_master_journal_batch_entries")
	if count != 3 || sum != n+2 {
		t.Errorf("%d journal batches holding %v records, want 3 batches (1, 1, %d)", count, sum, n)
	}
	if err := lm.r.Close(); err != nil {
		t.Fatal(err)
	}
	if got := journalRecords(t, dir); got != n+2 {
		t.Errorf("journal holds %d records, want %d", got, n+2)
	}
}

// TestLocalConcurrentProposals: many proposers at once, unsynchronised.
func TestLocalConcurrentProposals(t *testing.T) {
	dir := hatest.FormatJournal(t)
	lm, _ := openLocal(t, dir, Options{CheckpointPeriodEntries: 64})
	const n = 500
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := lm.r.Propose(context.Background(), hatest.TouchEntry(fmt.Sprintf("/f%03d", i)))
			if err == nil {
				err = res.Error()
			}
			if err != nil {
				t.Errorf("Propose: %v", err)
			}
		}()
	}
	wg.Wait()
	want := hatest.CheckpointBytes(t, lm.f)
	// The committer answers a batch before it checkpoints, so the
	// checkpoint may land just after the last answer.
	poll.Until(t, 10*time.Second, fmt.Sprintf("a periodic checkpoint after %d entries with a period of 64", n), func() bool {
		cps, _ := lm.j.Checkpoints()
		return len(cps) > 0
	})
	lm.r.Close()
	if got := journalRecords(t, dir); got != n {
		t.Errorf("journal holds %d records, want %d", got, n)
	}
	again, _ := openLocal(t, dir, Options{})
	if got := hatest.CheckpointBytes(t, again.f); string(got) != string(want) {
		t.Errorf("namespace differs after recovery from periodic checkpoints")
	}
}

func histogram(t *testing.T, m *ha.JournalMetrics, name string) (uint64, float64) {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(m.Flush, m.Batch)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			h := mf.GetMetric()[0].GetHistogram()
			return h.GetSampleCount(), h.GetSampleSum()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0, 0
}

// TestLocalProposeWithCancelledContext: a proposal whose context has ended
// before it is handed to the committer is refused as Unavailable, and
// nothing is journaled.
func TestLocalProposeWithCancelledContext(t *testing.T) {
	dir := hatest.FormatJournal(t)
	lm, _ := openLocal(t, dir, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for i := 0; i < 100; i++ {
		_, err := lm.r.Propose(ctx, hatest.TouchEntry(fmt.Sprintf("/f%d", i)))
		if fserr.CodeOf(err) != fserr.Unavailable {
			t.Fatalf("attempt %d: Propose with a cancelled context: %v (code %v), want Unavailable; journal now holds %d records",
				i, err, fserr.CodeOf(err), lm.j.LastIndex())
		}
	}
	if got := lm.j.LastIndex(); got != 0 {
		t.Errorf("journal holds %d records after only refused proposals", got)
	}
}

// TestLocalCloseFailsPendingProposals: proposals still queued when Close is
// called fail with Unavailable; the batch in hand completes; nothing
// acknowledged is lost.
func TestLocalCloseFailsPendingProposals(t *testing.T) {
	for round := 0; round < 20; round++ {
		dir := hatest.FormatJournal(t)
		lm, _ := openLocal(t, dir, Options{})
		lm.propose(t, hatest.MkdirEntry("/d"))
		release := hatest.BlockApplies(t, lm.f)

		inHand := make(chan error, 1)
		go func() {
			res, err := lm.r.Propose(context.Background(), hatest.TouchEntry("/d/in-hand"))
			if err == nil {
				err = res.Error()
			}
			inHand <- err
		}()
		poll.Until(t, 10*time.Second, "the batch in hand to be journaled", func() bool { return lm.j.LastIndex() == 2 })
		const n = 20
		pending := make(chan error, n)
		for i := 0; i < n; i++ {
			go func() {
				res, err := lm.r.Propose(context.Background(), hatest.TouchEntry(fmt.Sprintf("/d/pending-%d", i)))
				if err == nil {
					err = res.Error()
				}
				pending <- err
			}()
		}
		poll.Until(t, 10*time.Second, "proposals to queue", func() bool { return lm.r.queue.Queued() == n })
		closed := make(chan error, 1)
		go func() { closed <- lm.r.Close() }()
		poll.Until(t, 10*time.Second, "Close to begin", func() bool {
			select {
			case <-lm.r.stop:
				return true
			default:
				return false
			}
		})
		release()
		if err := <-inHand; err != nil {
			t.Fatalf("round %d: the proposal in hand when Close was called: %v, want success", round, err)
		}
		committed := 0
		for i := 0; i < n; i++ {
			err := <-pending
			switch fserr.CodeOf(err) {
			case fserr.Unavailable:
			case fserr.OK:
				committed++
			default:
				t.Fatalf("round %d: pending proposal: %v, want Unavailable", round, err)
			}
		}
		if err := <-closed; err != nil {
			t.Fatalf("Close: %v", err)
		}
		if got := journalRecords(t, dir); got != 2+uint64(committed) {
			t.Fatalf("round %d: journal holds %d records, want %d (acknowledged ones only)", round, got, 2+committed)
		}
		if committed > 0 {
			t.Fatalf("round %d: %d of %d proposals still queued when Close was called were committed, want all refused with Unavailable (commitLoop's select does not prefer stop)", round, committed, n)
		}
	}
}

// TestLocalProposeAfterClose: once Close has returned, Propose fails at
// once with Unavailable; it must never wait for a committer that is gone.
func TestLocalProposeAfterClose(t *testing.T) {
	dir := hatest.FormatJournal(t)
	lm, _ := openLocal(t, dir, Options{})
	if err := lm.r.Close(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50; i++ {
		// The deadline only bounds a hang; a correct Propose returns at once.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := lm.r.Propose(ctx, hatest.TouchEntry(fmt.Sprintf("/f%d", i)))
		cancel()
		if fserr.CodeOf(err) != fserr.Unavailable {
			t.Fatalf("attempt %d: Propose after Close: %v (code %v), want Unavailable at once", i, err, fserr.CodeOf(err))
		}
	}
	if _, err := lm.r.Checkpoint(context.Background()); err == nil {
		t.Errorf("Checkpoint after Close succeeded")
	}
}

// TestOptionsWithoutLogger: a nil Logger means no logging, as it does
// for Config and CheckpointArchive, not a panic.
func TestOptionsWithoutLogger(t *testing.T) {
	dir := hatest.FormatJournal(t)
	j, err := journal.Open(journal.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	var r *Replicator
	func() {
		defer func() {
			if p := recover(); p != nil {
				t.Errorf("NewReplicator with a nil Logger panics: %v", p)
			}
		}()
		r = New(Options{Journal: j, FSM: fsm.New(fsm.DefaultConfig())})
	}()
	if r != nil {
		r.Close()
	} else {
		j.Close()
	}
}

// TestLocalRefusesRecordOverJournalLimit: an entry the journal cannot hold
// is refused alone, and the journal keeps taking writes; it used to fail
// the batch's write and stop the master's writes until restart.
func TestLocalRefusesRecordOverJournalLimit(t *testing.T) {
	lm, _ := openLocal(t, hatest.FormatJournal(t), Options{})
	_, err := lm.r.Propose(context.Background(), hatest.TouchEntry("/"+strings.Repeat("x", journal.MaxRecordBytes)))
	hatest.WantCode(t, "proposing an entry over the record limit", err, fserr.ResourceExhausted)
	lm.propose(t, hatest.MkdirEntry("/after"))
}
