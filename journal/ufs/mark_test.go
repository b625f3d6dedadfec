package ufs

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	hdfscluster "github.com/halo-fs/halo/internal/testinfra/hdfs"
	"github.com/halo-fs/halo/internal/testinfra/minio"
	"github.com/halo-fs/halo/ufs"
	"github.com/halo-fs/halo/ufs/hdfs"
	"github.com/halo-fs/halo/ufs/s3"
)

// stallingStore stalls the first write of the compacted mark it sees until
// the test releases it: a collector that read the mark, then was paused
// before writing its own.
type stallingStore struct {
	ufs.Store
	once     sync.Once
	reached  chan struct{}
	released chan struct{}
}

func newStallingStore(s ufs.Store) *stallingStore {
	return &stallingStore{Store: s, reached: make(chan struct{}), released: make(chan struct{})}
}

func (s *stallingStore) Create(ctx context.Context, path string, opts ufs.CreateOptions) (ufs.Writer, error) {
	if strings.HasPrefix(path, marksDir) {
		s.once.Do(func() {
			close(s.reached)
			<-s.released
		})
	}
	return s.Store.Create(ctx, path, opts)
}

// appendBatches appends n one-record batches.
func appendBatches(t *testing.T, w *Writer, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		if _, err := w.Append(context.Background(), records("r", 1)); err != nil {
			t.Fatal(err)
		}
	}
}

func raceCollectors(t *testing.T) (*Writer, *Journal) {
	t.Helper()
	dir := t.TempDir()
	return raceCollectorsOn(t, func() ufs.Store { return newStore(t, dir) })
}

// raceCollectorsOn builds the race of two masters collecting at once: a slow
// collector reads checkpoints {3, 5, 7} and the mark, and stalls before it
// raises the mark to 5; a fast one then sees checkpoint 9 too, raises the
// mark to 7 and deletes batches 1-7; then the slow one goes on. It returns
// the leader's writer (at batch 9) and the journal of a third master.
func raceCollectorsOn(t *testing.T, open func() ufs.Store) (*Writer, *Journal) {
	t.Helper()
	ctx := context.Background()
	j, more := newJournalOn(t, open)
	w, err := j.Claim(ctx, Start(), 1, "leader")
	if err != nil {
		t.Fatal(err)
	}
	for _, seq := range []uint64{3, 5, 7} {
		appendBatches(t, w, int(seq-w.LastSeq()))
		writeCheckpoint(t, j, w.Cursor(), "namespace")
	}
	slowStore := newStallingStore(more().store)
	slow := &Journal{store: slowStore, clusterID: j.clusterID, log: j.log}
	slowDone := make(chan error, 1)
	go func() {
		_, err := slow.Collect(ctx)
		slowDone <- err
	}()
	<-slowStore.reached
	appendBatches(t, w, 2)
	writeCheckpoint(t, j, w.Cursor(), "namespace")
	if _, err := more().Collect(ctx); err != nil {
		t.Fatal(err)
	}
	close(slowStore.released)
	if err := <-slowDone; err != nil {
		t.Fatal(err)
	}
	return w, more()
}

// TestConcurrentCollectorsNeverLowerTheMark: whatever order two collectors
// finish in, the mark stays at the highest collected batch, and a reader
// whose next batch was deleted learns that it was compacted rather than
// waiting for it forever.
func TestConcurrentCollectorsNeverLowerTheMark(t *testing.T) {
	checkCollectorRace(t, raceCollectors)
}

// TestConcurrentCollectorsOnObjectStores runs the same race on MinIO and
// HDFS, whose conditional creates the mark relies on.
func TestConcurrentCollectorsOnObjectStores(t *testing.T) {
	t.Run("s3", func(t *testing.T) {
		objects := minio.StartBucket(t, "journal")
		checkCollectorRace(t, func(t *testing.T) (*Writer, *Journal) {
			return raceCollectorsOn(t, func() ufs.Store { return openStore(t, "s3://journal/j", objects.Options()) })
		})
	})
	t.Run("hdfs", func(t *testing.T) {
		namenode := hdfscluster.StartT(t)
		checkCollectorRace(t, func(t *testing.T) (*Writer, *Journal) {
			return raceCollectorsOn(t, func() ufs.Store { return openStore(t, namenode.URI+"/journal", nil) })
		})
	})
}

func openStore(t *testing.T, uri string, options map[string]string) ufs.Store {
	t.Helper()
	root, err := ufs.ParseURI(uri)
	if err != nil {
		t.Fatal(err)
	}
	open := s3.Open
	if root.Scheme == "hdfs" {
		open = hdfs.Open
	}
	s, err := open(context.Background(), root, options)
	if err != nil {
		t.Fatalf("open %s: %v", uri, err)
	}
	return s
}

func checkCollectorRace(t *testing.T, race func(*testing.T) (*Writer, *Journal)) {
	w, j := race(t)
	ctx := context.Background()
	mark, err := j.Compacted(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if mark != 7 {
		t.Fatalf("compacted mark %d after the collectors of 5 and 7 finished; want 7", mark)
	}
	behind := Cursor{NextSeq: 6, NextIndex: 6, Epoch: 1}
	if _, err := j.Next(ctx, &behind); !errors.Is(err, ErrCompacted) {
		t.Fatalf("a reader at deleted batch 6: %v; want ErrCompacted", err)
	}
	// The slow collector's mark was pruned, the highest kept.
	if marks, err := j.listMarks(ctx); len(marks) != 1 || marks[0] != 7 || err != nil {
		t.Fatalf("mark objects %v, %v; want only 7", marks, err)
	}
	if _, err := j.Claim(ctx, behind, 2, "behind"); !errors.Is(err, ErrBehind) || !errors.Is(err, ErrCompacted) {
		t.Fatalf("a claim at deleted batch 6: %v; want ErrBehind and ErrCompacted", err)
	}
	if _, err := j.Claim(ctx, w.Cursor(), 3, "caught-up"); err != nil {
		t.Fatalf("a claim at the end of the journal: %v", err)
	}
}

// TestClaimBehindTheJournalIsRefused: a master whose position was collected
// under it, or that has not read batches others wrote, must not claim: its
// marker would land on a deleted name, or after a hole, and it would serve
// a namespace missing batches.
func TestClaimBehindTheJournalIsRefused(t *testing.T) {
	ctx := context.Background()
	w, j := raceCollectors(t)
	behind := Cursor{NextSeq: 6, NextIndex: 6, Epoch: 1}
	if _, err := j.Claim(ctx, behind, 2, "behind"); !errors.Is(err, ErrBehind) || !errors.Is(err, ErrCompacted) {
		t.Fatalf("a claim at deleted batch 6: %v; want ErrBehind and ErrCompacted", err)
	}
	if err := w.Probe(ctx); err != nil {
		t.Fatalf("the leader was fenced by a refused claim: %v", err)
	}

	// Batch 10 is missing (lost by the store), 11 exists: a master at 10
	// has not seen the end.
	appendBatches(t, w, 2)
	if err := j.store.Delete(ctx, batchPath(10)); err != nil {
		t.Fatal(err)
	}
	atHole := Cursor{NextSeq: 10, NextIndex: 10, Epoch: 1}
	_, err := j.Claim(ctx, atHole, 3, "hole")
	if !errors.Is(err, ErrBehind) || !strings.Contains(err.Error(), "batch 11") {
		t.Fatalf("a claim at 10 with batch 11 written: %v; want ErrBehind naming batch 11", err)
	}
	if ok, _ := ufs.Exists(ctx, j.store, batchPath(10)); ok {
		t.Fatal("the refused claim wrote its marker")
	}
	end := w.Cursor()
	if _, err := j.Claim(ctx, end, 4, "caught-up"); err != nil {
		t.Fatalf("a claim at the end of the journal: %v", err)
	}
}

// TestBatchAtOrBelowTheMarkIsNotRead: a create that lands on a collected
// name is void (its writer is told it is fenced), but the object exists
// until someone deletes it. A reader at that name must not apply it: its
// history ends there, and the batches after it belong to another.
func TestBatchAtOrBelowTheMarkIsNotRead(t *testing.T) {
	ctx := context.Background()
	_, j := raceCollectors(t)
	void, err := EncodeBatch(Batch{Seq: 6, Epoch: 99, Kind: KindEpochMarker, FirstIndex: 6, Writer: "late"})
	if err != nil {
		t.Fatal(err)
	}
	if err := ufs.WriteFile(ctx, j.store, batchPath(6), void, ufs.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	behind := Cursor{NextSeq: 6, NextIndex: 6, Epoch: 1}
	if b, err := j.Next(ctx, &behind); !errors.Is(err, ErrCompacted) {
		t.Fatalf("a reader at 6 read %+v, %v; want ErrCompacted", b, err)
	}
}

// TestVoidCreateIsRemoved: a stale leader's append that lands on a
// collected name is refused as fenced, and its object removed.
func TestVoidCreateIsRemoved(t *testing.T) {
	ctx := context.Background()
	j, more := newJournal(t)
	stale, err := j.Claim(ctx, Start(), 1, "stale")
	if err != nil {
		t.Fatal(err)
	}
	other := more()
	_, cur := readAll(t, other)
	w, err := other.Claim(ctx, cur, 2, "new")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		appendBatches(t, w, 2)
		writeCheckpoint(t, other, w.Cursor(), "namespace")
	}
	if _, err := other.Collect(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := stale.Append(ctx, records("stale", 1)); !errors.Is(err, ErrFenced) {
		t.Fatalf("append onto a collected name: %v; want ErrFenced", err)
	}
	if ok, err := ufs.Exists(ctx, j.store, batchPath(2)); ok || err != nil {
		t.Fatalf("the void batch 2 is still there (%v)", err)
	}
}

// TestCorruptMarkIsAnError: a mark object that Halo did not write is
// refused with an error naming it, never read as a lower or higher mark; a
// file whose name is not a sequence number is not a mark.
func TestCorruptMarkIsAnError(t *testing.T) {
	ctx := context.Background()
	_, j := raceCollectors(t)
	if err := ufs.WriteFile(ctx, j.store, marksDir+"/README", []byte("notes\n"), ufs.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if mark, err := j.Compacted(ctx); mark != 7 || err != nil {
		t.Fatalf("mark %d, %v beside a foreign file; want 7", mark, err)
	}
	if err := ufs.WriteFile(ctx, j.store, markPath(12), []byte("something else\n"), ufs.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err := j.Compacted(ctx)
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), markPath(12)) {
		t.Fatalf("a foreign mark object: %v; want ErrCorrupt naming %s", err, markPath(12))
	}
}

// TestLegacyMarkIsCarriedOver: a journal written by an earlier version
// keeps its mark in one overwritten object; opening it keeps what that
// mark says collected as collected.
func TestLegacyMarkIsCarriedOver(t *testing.T) {
	ctx := context.Background()
	j, more := newJournal(t)
	if err := ufs.WriteFile(ctx, j.store, legacyMarkName, []byte(seqName(41)+"\n"), ufs.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if mark, err := more().Compacted(ctx); mark != 41 || err != nil {
		t.Fatalf("mark %d, %v after opening a journal whose legacy mark is 41", mark, err)
	}
	if err := ufs.WriteFile(ctx, j.store, legacyMarkName, []byte("forty-two\n"), ufs.CreateOptions{Overwrite: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, j.store, nil); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("open with a damaged legacy mark: %v; want ErrCorrupt", err)
	}
}
