package zookeeper

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/halo-fs/halo/fsm"
	ufsjournal "github.com/halo-fs/halo/journal/ufs"
	"github.com/hashicorp/go-hclog"
)

// UFSRecovery is where recovery from a shared UFS journal left off.
type UFSRecovery struct {
	Cursor          ufsjournal.Cursor
	CheckpointIndex uint64    // applied index of the checkpoint restored, 0 if none
	CheckpointTime  time.Time // zero if unknown
	Replayed        uint64
}

// RecoverUFSJournal restores the newest good checkpoint of j into f (a
// damaged one is reported and the next older one used) and replays every
// batch after it. f must be empty.
func RecoverUFSJournal(ctx context.Context, j *ufsjournal.Journal, f *fsm.FSM, log hclog.Logger) (UFSRecovery, error) {
	for attempt := 0; ; attempt++ {
		rec, err := restoreNewestCheckpoint(ctx, j, f, log)
		if err != nil {
			return rec, err
		}
		start := time.Now()
		n, err := replayAvailable(ctx, j, f, &rec.Cursor, log)
		rec.Replayed = n
		if errors.Is(err, ufsjournal.ErrCompacted) && attempt < 3 {
			// A standby collected batches while we read: start again from
			// its newer checkpoint.
			log.Info("journal was compacted during recovery; restoring the newer checkpoint", "error", err)
			continue
		}
		if err != nil {
			return rec, err
		}
		if n > 0 {
			d := time.Since(start)
			log.Info("replayed shared journal", "entries", n, "duration", d, "next_batch", rec.Cursor.NextSeq)
		}
		return rec, nil
	}
}

func restoreNewestCheckpoint(ctx context.Context, j *ufsjournal.Journal, f *fsm.FSM, log hclog.Logger) (UFSRecovery, error) {
	cps, err := j.Checkpoints(ctx)
	if err != nil {
		return UFSRecovery{}, err
	}
	for _, seq := range cps {
		h, rc, err := j.OpenCheckpoint(ctx, seq)
		if err != nil {
			log.Error("cannot open checkpoint, trying an older one", "checkpoint", j.CheckpointPath(seq), "error", err)
			continue
		}
		fh, err := f.Restore(rc)
		rc.Close()
		if err != nil {
			log.Error("checkpoint is corrupt, trying an older one", "checkpoint", j.CheckpointPath(seq), "error", err)
			continue
		}
		log.Info("restored checkpoint", "checkpoint", j.CheckpointPath(seq), "index", fh.AppliedIndex, "inodes", fh.InodeCount)
		rec := UFSRecovery{
			Cursor:          ufsjournal.Cursor{NextSeq: h.Seq + 1, NextIndex: fh.AppliedIndex + 1, Epoch: h.Epoch},
			CheckpointIndex: fh.AppliedIndex,
		}
		return rec, nil
	}
	floor, err := j.Compacted(ctx)
	if err != nil {
		return UFSRecovery{}, err
	}
	if floor > 0 {
		return UFSRecovery{}, fmt.Errorf("journal %s: batches up to %d were collected, but no checkpoint can be read", j.URI(), floor)
	}
	return UFSRecovery{Cursor: ufsjournal.Start()}, nil
}

// replayAvailable applies every batch there is after cur.
func replayAvailable(ctx context.Context, j *ufsjournal.Journal, f *fsm.FSM, cur *ufsjournal.Cursor, log hclog.Logger) (uint64, error) {
	var n uint64
	for {
		b, err := j.Next(ctx, cur)
		if errors.Is(err, ufsjournal.ErrNoBatch) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		if err := applyBatch(f, b); err != nil {
			return n, fmt.Errorf("%s: %w", j.BatchPath(b.Seq), err)
		}
		n += uint64(len(b.Records))
		if b.Kind == ufsjournal.KindEpochMarker {
			log.Debug("a new leader's epoch begins", "batch", b.Seq, "epoch", b.Epoch, "leader", b.Writer)
		}
	}
}

// applyBatch applies the entries of an accepted batch. An entry this
// master cannot decode stops it: applying around it would diverge.
func applyBatch(f *fsm.FSM, b ufsjournal.Batch) error {
	for i, rec := range b.Records {
		e, err := fsm.DecodeEntry(rec)
		if err != nil {
			return fmt.Errorf("journal entry %d: %w", b.FirstIndex+uint64(i), err)
		}
		f.Apply(b.FirstIndex+uint64(i), e)
	}
	return nil
}
