package ufs

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// Writer appends batches for one leader's epoch. Append is not safe for
// concurrent use; Probe and the accessors may be called alongside it.
type Writer struct {
	j      *Journal
	epoch  uint64
	writer string

	next      atomic.Uint64 // sequence number of the next batch
	nextIndex atomic.Uint64

	mu     sync.Mutex
	broken error // set after a fenced or ambiguous write; the writer is done
}

// Claim opens an epoch: it writes an epoch marker at cur.NextSeq, where cur
// is the position after replaying every batch there is. It fails with
// ErrBehind if the journal has moved past cur (a batch at or after it, or
// the compacted mark at or above it), and with ErrFenced if another master
// wrote there first; in both cases the caller reads on (restoring the
// newest checkpoint on ErrCompacted) and claims again. The epoch written
// is epoch, raised above cur.Epoch if it is not already above it
// (ZooKeeper's zxids restart if its data is wiped; the journal's epochs
// must still grow). writer is the master's RPC address.
func (j *Journal) Claim(ctx context.Context, cur Cursor, epoch uint64, writer string) (*Writer, error) {
	if epoch <= cur.Epoch {
		j.log.Warn("the election epoch is not above the journal's; using the next epoch up",
			"election_epoch", epoch, "journal_epoch", cur.Epoch)
		epoch = cur.Epoch + 1
	}
	if err := j.checkAtEnd(ctx, cur.NextSeq); err != nil {
		return nil, err
	}
	marker := Batch{Seq: cur.NextSeq, Epoch: epoch, Kind: KindEpochMarker, FirstIndex: cur.NextIndex, Writer: writer}
	if err := j.createBatch(ctx, marker); err != nil {
		return nil, err
	}
	w := &Writer{j: j, epoch: epoch, writer: writer}
	w.next.Store(cur.NextSeq + 1)
	w.nextIndex.Store(cur.NextIndex)
	return w, nil
}

// Epoch is the epoch this writer writes.
func (w *Writer) Epoch() uint64 { return w.epoch }

// Cursor is the position after this writer's last batch, where a reader
// that applied everything this writer wrote goes on.
func (w *Writer) Cursor() Cursor {
	return Cursor{NextSeq: w.next.Load(), NextIndex: w.nextIndex.Load(), Epoch: w.epoch}
}

// LastSeq is the sequence number of this writer's last batch.
func (w *Writer) LastSeq() uint64 { return w.next.Load() - 1 }

// Append writes records as the next batch and returns the journal index of
// the first. ErrFenced means the batch was not accepted: another master
// took the sequence number. Any other error leaves it unknown whether the
// batch was written. After either, the writer is done: every later call
// fails the same way, and the caller must read the journal to learn where
// it stands.
func (w *Writer) Append(ctx context.Context, records [][]byte) (uint64, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.broken != nil {
		return 0, w.broken
	}
	seq, first := w.next.Load(), w.nextIndex.Load()
	err := w.j.createBatch(ctx, Batch{Seq: seq, Epoch: w.epoch, Kind: KindEntries, FirstIndex: first, Writer: w.writer, Records: records})
	if err != nil {
		w.broken = err
		return 0, err
	}
	w.nextIndex.Store(first + uint64(len(records)))
	w.next.Store(seq + 1)
	return first, nil
}

// Probe returns nil if no other master has written to the journal since
// this writer's last batch: a read served after Probe returns is then
// linearizable, since any newer leader must write its marker there before
// it acknowledges anything. It returns ErrFenced otherwise.
func (w *Writer) Probe(ctx context.Context) error {
	seq := w.next.Load()
	for {
		h, err := w.j.readHeader(ctx, seq)
		if errors.Is(err, ErrNoBatch) {
			// The batch could have been written and then collected: the
			// collector raises the compacted mark before it deletes.
			floor, err := w.j.Compacted(ctx)
			if err != nil {
				return err
			}
			if seq <= floor {
				return fmt.Errorf("batch %d is compacted (through %d): %w", seq, floor, ErrFenced)
			}
			return nil
		}
		if err != nil {
			return err
		}
		if h.Epoch != w.epoch {
			return fmt.Errorf("batch %d was written by %s in epoch %d (this writer's is %d): %w", seq, h.Writer, h.Epoch, w.epoch, ErrFenced)
		}
		// Our own batch, committed while we looked.
		seq++
	}
}
