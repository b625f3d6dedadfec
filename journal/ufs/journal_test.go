package ufs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/halo-fs/halo/ufs"
	"github.com/halo-fs/halo/ufs/local"
	"github.com/hashicorp/go-hclog"
)

func newStore(t testing.TB, dir string) ufs.Store {
	t.Helper()
	s, err := local.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// newJournal formats a fresh folder and opens it; more opens the same
// folder again, as another master would.
func newJournal(t testing.TB) (j *Journal, more func() *Journal) {
	t.Helper()
	dir := t.TempDir()
	return newJournalOn(t, func() ufs.Store { return newStore(t, dir) })
}

// newJournalOn formats the store open returns and opens it; each call of
// more opens it again.
func newJournalOn(t testing.TB, open func() ufs.Store) (j *Journal, more func() *Journal) {
	t.Helper()
	ctx := context.Background()
	if err := Format(ctx, open(), "cluster-1"); err != nil {
		t.Fatal(err)
	}
	more = func() *Journal {
		j, err := Open(ctx, open(), hclog.NewNullLogger())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { j.Close() })
		return j
	}
	return more(), more
}

// readAll reads the journal from the start and returns the accepted
// batches and the final cursor.
func readAll(t testing.TB, j *Journal) ([]Batch, Cursor) {
	t.Helper()
	cur := Start()
	var out []Batch
	for {
		b, err := j.Next(context.Background(), &cur)
		if errors.Is(err, ErrNoBatch) {
			return out, cur
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
}

func records(prefix string, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = []byte(fmt.Sprintf("%s-%d", prefix, i))
	}
	return out
}

func TestOpenRefusesUnformattedAndForeignFolders(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if _, err := Open(ctx, newStore(t, dir), nil); !errors.Is(err, ErrNotFormatted) {
		t.Fatalf("open of an empty folder: %v, want ErrNotFormatted", err)
	}
	s := newStore(t, dir)
	if err := ufs.WriteFile(ctx, s, formatName, []byte("something else\n"), ufs.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, s, nil); err == nil || !strings.Contains(err.Error(), "not a Halo journal") {
		t.Fatalf("open of a foreign FORMAT: %v", err)
	}
}

// noConditionalCreate is a store that, like S3 without conditional
// writes, cannot create a file only if it is absent.
type noConditionalCreate struct{ ufs.Store }

func (noConditionalCreate) Capabilities() ufs.Capabilities {
	return ufs.Capabilities{AtomicRename: true}
}

func TestStoreWithoutConditionalCreateIsRefused(t *testing.T) {
	s := noConditionalCreate{newStore(t, t.TempDir())}
	if err := Format(context.Background(), s, "c"); !errors.Is(err, ErrNoConditionalCreate) {
		t.Fatalf("Format: %v, want ErrNoConditionalCreate", err)
	}
	if _, err := Open(context.Background(), s, nil); !errors.Is(err, ErrNoConditionalCreate) {
		t.Fatalf("Open: %v, want ErrNoConditionalCreate", err)
	}
}

func TestFormatWipesAnOldJournal(t *testing.T) {
	j, more := newJournal(t)
	ctx := context.Background()
	w, err := j.Claim(ctx, Start(), 5, "m1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Append(ctx, records("a", 3)); err != nil {
		t.Fatal(err)
	}
	if err := Format(ctx, j.store, "cluster-2"); err != nil {
		t.Fatal(err)
	}
	j2 := more()
	if j2.ClusterID() != "cluster-2" {
		t.Fatalf("cluster id %q after reformat", j2.ClusterID())
	}
	if got, _ := readAll(t, j2); len(got) != 0 {
		t.Fatalf("%d batches survived a format", len(got))
	}
}

func TestWriteAndTail(t *testing.T) {
	leader, more := newJournal(t)
	standby := more()
	ctx := context.Background()
	w, err := leader.Claim(ctx, Start(), 10, "m1")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		first, err := w.Append(ctx, records(fmt.Sprint(i), i+1))
		if err != nil {
			t.Fatal(err)
		}
		if want := uint64(1 + i*(i+1)/2); first != want {
			t.Fatalf("batch %d starts at index %d, want %d", i, first, want)
		}
	}
	got, cur := readAll(t, standby)
	if len(got) != 6 || got[0].Kind != KindEpochMarker || got[0].Epoch != 10 {
		t.Fatalf("standby read %d batches, first %+v", len(got), got[0])
	}
	if cur != w.Cursor() {
		t.Fatalf("standby ends at %+v, writer at %+v", cur, w.Cursor())
	}
	if err := w.Probe(ctx); err != nil {
		t.Fatalf("probe of the only writer: %v", err)
	}
}

// TestRacingWritersNeverShareASequenceNumber: writers with different
// epochs claim and append as fast as they can on one folder; whenever one
// is fenced it reads on and claims again, as a master does. Every sequence
// number is held by exactly one writer's successful write, and every
// acknowledged batch is in the journal that readers see.
func TestRacingWritersNeverShareASequenceNumber(t *testing.T) {
	_, more := newJournal(t)
	ctx := context.Background()
	const writers, appends = 4, 40
	type ack struct {
		seq   uint64
		epoch uint64
		data  string
	}
	var (
		mu     sync.Mutex
		acked  = map[uint64]ack{}
		wg     sync.WaitGroup
		fenced atomic.Int64
	)
	record := func(seq, epoch uint64, data string) {
		mu.Lock()
		defer mu.Unlock()
		if prev, dup := acked[seq]; dup {
			t.Errorf("sequence number %d acknowledged twice: epoch %d and epoch %d", seq, prev.epoch, epoch)
		}
		acked[seq] = ack{seq, epoch, data}
	}
	for i := 0; i < writers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			j := more()
			cur := Start()
			epoch := uint64(100 + i)
			done := 0
			for done < appends {
				for {
					if _, err := j.Next(ctx, &cur); err != nil {
						if !errors.Is(err, ErrNoBatch) {
							t.Error(err)
							return
						}
						break
					}
				}
				w, err := j.Claim(ctx, cur, epoch, fmt.Sprintf("w%d", i))
				if errors.Is(err, ErrFenced) {
					fenced.Add(1)
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				epoch = w.Epoch() + uint64(writers) // the next claim's epoch, as a new election would give
				record(w.LastSeq(), w.Epoch(), "")
				for done < appends {
					data := fmt.Sprintf("w%d-%d", i, done)
					if _, err := w.Append(ctx, [][]byte{[]byte(data)}); err != nil {
						if !errors.Is(err, ErrFenced) {
							t.Error(err)
							return
						}
						fenced.Add(1)
						if _, err := w.Append(ctx, nil); !errors.Is(err, ErrFenced) {
							t.Errorf("a fenced writer wrote again: %v", err)
						}
						break
					}
					record(w.LastSeq(), w.Epoch(), data)
					done++
				}
				cur = w.Cursor()
			}
		}(i)
	}
	wg.Wait()
	t.Logf("%d claims and appends lost a race and were fenced", fenced.Load())
	got, _ := readAll(t, more())
	if len(got) != len(acked) {
		t.Fatalf("readers see %d batches, writers were acknowledged %d", len(got), len(acked))
	}
	var lastEpoch uint64
	for _, b := range got {
		a, ok := acked[b.Seq]
		if !ok || a.epoch != b.Epoch {
			t.Fatalf("batch %d (epoch %d) was not acknowledged to its writer", b.Seq, b.Epoch)
		}
		if b.Kind == KindEntries && string(b.Records[0]) != a.data {
			t.Fatalf("batch %d holds %q, its writer was acknowledged %q", b.Seq, b.Records[0], a.data)
		}
		if b.Epoch < lastEpoch {
			t.Fatalf("batch %d has epoch %d after epoch %d", b.Seq, b.Epoch, lastEpoch)
		}
		lastEpoch = b.Epoch
	}
	if want := writers*appends + 1; len(got) < want {
		t.Fatalf("only %d batches; want at least %d", len(got), want)
	}
}

// TestStaleWriterIsFenced: a leader pauses; a new leader reads everything,
// writes its marker and appends. The old leader's next append and its read
// probe both fail with ErrFenced, and nothing it tried is in the journal.
func TestStaleWriterIsFenced(t *testing.T) {
	oldJ, more := newJournal(t)
	ctx := context.Background()
	old, err := oldJ.Claim(ctx, Start(), 10, "old")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.Append(ctx, records("old", 2)); err != nil {
		t.Fatal(err)
	}
	newJ := more()
	_, cur := readAll(t, newJ)
	cur2 := cur
	leader, err := newJ.Claim(ctx, cur, 20, "new")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := leader.Append(ctx, records("new", 1)); err != nil {
		t.Fatal(err)
	}
	if err := old.Probe(ctx); !errors.Is(err, ErrFenced) {
		t.Fatalf("probe of the old leader: %v, want ErrFenced", err)
	}
	if _, err := old.Append(ctx, records("stale", 1)); !errors.Is(err, ErrFenced) {
		t.Fatalf("append of the old leader: %v, want ErrFenced", err)
	}
	// A claim from the same position loses too.
	if _, err := oldJ.Claim(ctx, cur2, 30, "third"); !errors.Is(err, ErrFenced) {
		t.Fatalf("a claim at a taken sequence number: %v, want ErrFenced", err)
	}
	got, _ := readAll(t, more())
	for _, b := range got {
		for _, r := range b.Records {
			if strings.HasPrefix(string(r), "stale") {
				t.Fatalf("the fenced append is in batch %d", b.Seq)
			}
		}
	}
	if err := leader.Probe(ctx); err != nil {
		t.Fatalf("probe of the new leader: %v", err)
	}
}

// TestBatchFromDeposedEpochIsSkipped writes, as a store that broke its
// conditional-create promise would let happen, a batch with an old epoch
// after a newer leader's batches: every reader skips it and counts it.
func TestBatchFromDeposedEpochIsSkipped(t *testing.T) {
	j, more := newJournal(t)
	ctx := context.Background()
	w, err := j.Claim(ctx, Start(), 20, "new")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Append(ctx, records("new", 2)); err != nil {
		t.Fatal(err)
	}
	stale, _ := EncodeBatch(Batch{Seq: w.Cursor().NextSeq, Epoch: 10, Kind: KindEntries, FirstIndex: 2, Writer: "old", Records: records("stale", 1)})
	if err := ufs.WriteFile(ctx, j.store, batchPath(w.Cursor().NextSeq), stale, ufs.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	got, cur := readAll(t, more())
	if len(got) != 2 || cur.Skipped != 1 || cur.NextIndex != 3 || cur.Epoch != 20 {
		t.Fatalf("read %d batches, cursor %+v; want 2 batches, one skipped, next index 3", len(got), cur)
	}
	// The writer whose slot was taken is fenced, even by an older epoch.
	if _, err := w.Append(ctx, records("after", 1)); !errors.Is(err, ErrFenced) {
		t.Fatalf("append after the slot was taken: %v", err)
	}
}

func writeCheckpoint(t *testing.T, j *Journal, cur Cursor, body string) {
	t.Helper()
	_, err := j.WriteCheckpoint(context.Background(), CheckpointHeader{Seq: cur.NextSeq - 1, Epoch: cur.Epoch}, func(w io.Writer) error {
		_, err := io.WriteString(w, body)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestCompactionFencesWritersBehindIt: after two checkpoints, the batches
// up to the older one are deleted. A reader that far behind gets
// ErrCompacted; a stale writer whose next sequence number was deleted
// cannot write there (the create succeeds, but is void) and its probe
// fails.
func TestCompactionFencesWritersBehindIt(t *testing.T) {
	oldJ, more := newJournal(t)
	ctx := context.Background()
	old, err := oldJ.Claim(ctx, Start(), 10, "old")
	if err != nil {
		t.Fatal(err)
	}
	j := more()
	_, cur := readAll(t, j)
	w, err := j.Claim(ctx, cur, 20, "new")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := w.Append(ctx, records("a", 1)); err != nil {
			t.Fatal(err)
		}
	}
	writeCheckpoint(t, j, w.Cursor(), "first")
	for i := 0; i < 3; i++ {
		if _, err := w.Append(ctx, records("b", 1)); err != nil {
			t.Fatal(err)
		}
	}
	writeCheckpoint(t, j, w.Cursor(), "second")
	deleted, err := j.Collect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if deleted != 5 {
		t.Fatalf("collected %d objects, want the 5 batches up to the older checkpoint", deleted)
	}
	behind := Start()
	if _, err := more().Next(ctx, &behind); !errors.Is(err, ErrCompacted) {
		t.Fatalf("a reader at the start: %v, want ErrCompacted", err)
	}
	if err := old.Probe(ctx); !errors.Is(err, ErrFenced) {
		t.Fatalf("probe of a writer behind the compacted mark: %v, want ErrFenced", err)
	}
	if _, err := old.Append(ctx, records("stale", 1)); !errors.Is(err, ErrFenced) {
		t.Fatalf("append of a writer behind the compacted mark: %v, want ErrFenced", err)
	}
	// A reader from the newest checkpoint sees the rest.
	cps, err := j.Checkpoints(ctx)
	if err != nil || len(cps) != 2 {
		t.Fatalf("checkpoints %v, %v", cps, err)
	}
	h, rc, err := j.OpenCheckpoint(ctx, cps[0])
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(rc)
	rc.Close()
	if string(body) != "second" || h.Epoch != 20 {
		t.Fatalf("checkpoint %d: %q epoch %d", cps[0], body, h.Epoch)
	}
	if err := w.Probe(ctx); err != nil {
		t.Fatalf("probe of the current writer: %v", err)
	}
}

func TestCorruptCheckpointHeaderIsRefused(t *testing.T) {
	j, _ := newJournal(t)
	ctx := context.Background()
	writeCheckpoint(t, j, Cursor{NextSeq: 4, Epoch: 2}, "x")
	data, err := ufs.ReadFile(ctx, j.store, checkpointPath(3))
	if err != nil {
		t.Fatal(err)
	}
	data[6] ^= 1
	if err := ufs.WriteFile(ctx, j.store, checkpointPath(3), data, ufs.CreateOptions{Overwrite: true}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := j.OpenCheckpoint(ctx, 3); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("damaged checkpoint: %v, want ErrCorrupt", err)
	}
	// A second writer of the same checkpoint keeps the first one.
	if _, err := j.WriteCheckpoint(ctx, CheckpointHeader{Seq: 3, Epoch: 2}, func(w io.Writer) error { return nil }); err != nil {
		t.Fatal(err)
	}
	again, _ := ufs.ReadFile(ctx, j.store, checkpointPath(3))
	if !bytes.Equal(again, data) {
		t.Fatal("an existing checkpoint was replaced")
	}
}

func BenchmarkAppendLocal(b *testing.B) {
	j, _ := newJournal(b)
	ctx := context.Background()
	w, err := j.Claim(ctx, Start(), 1, "bench")
	if err != nil {
		b.Fatal(err)
	}
	recs := records("entry-with-some-bytes-in-it", 64)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := w.Append(ctx, recs); err != nil {
			b.Fatal(err)
		}
	}
}
