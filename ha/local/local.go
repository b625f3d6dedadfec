// Package local owns the single-master (--ha=none) mode: a replicator that
// group-commits mutations to the master's local journal, and the recovery
// of the namespace from that journal's checkpoints and records.
package local

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/ha"
	"github.com/halo-fs/halo/journal"
	"github.com/halo-fs/halo/proto/journalpb"
	"github.com/hashicorp/go-hclog"
)

// Replicator is the single-master (--ha=none) replicator: mutations are
// group-committed to a local journal — concurrent proposals share one write
// and one fsync — and applied in journal order after they are durable, so
// no reader ever sees a mutation that a crash could take back.
type Replicator struct {
	log     hclog.Logger
	fsm     *fsm.FSM
	journal *journal.Journal
	period  uint64
	metrics *ha.JournalMetrics

	queue     *ha.GroupCommit
	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once

	mu             sync.Mutex
	lastCheckpoint time.Time
	failed         error // set when the journal failed; the master stops serving writes
}

// Options configure a Replicator.
type Options struct {
	Journal                 *journal.Journal
	FSM                     *fsm.FSM
	CheckpointPeriodEntries uint64
	Logger                  hclog.Logger
	Metrics                 *ha.JournalMetrics // nil: none recorded
}

// RecoverFSM loads the newest good checkpoint from j into f and replays
// the journal after it. A corrupt checkpoint is reported and the next older
// one is used; a record that cannot be decoded stops recovery with an error
// naming its index, since applying around it would diverge.
func RecoverFSM(j *journal.Journal, f *fsm.FSM, log hclog.Logger) (replayed uint64, err error) {
	cps, err := j.Checkpoints()
	if err != nil {
		return 0, err
	}
	for _, cp := range cps {
		rc, err := j.OpenCheckpoint(cp)
		if err != nil {
			log.Error("cannot open checkpoint, trying an older one", "checkpoint", cp.Path, "error", err)
			continue
		}
		h, err := f.Restore(rc)
		rc.Close()
		if err != nil {
			log.Error("checkpoint is corrupt, trying an older one", "checkpoint", cp.Path, "error", err)
			continue
		}
		log.Info("restored checkpoint", "checkpoint", cp.Path, "index", h.AppliedIndex, "inodes", h.InodeCount)
		break
	}
	start := time.Now()
	err = j.Replay(f.AppliedIndex(), func(index uint64, rec []byte) error {
		e, err := fsm.DecodeEntry(rec)
		if err != nil {
			return fmt.Errorf("journal record %d: %w", index, err)
		}
		f.Apply(index, e)
		replayed++
		return nil
	})
	if err != nil {
		return replayed, err
	}
	if replayed > 0 {
		d := time.Since(start)
		log.Info("replayed journal", "entries", replayed, "duration", d, "entries_per_sec", int64(float64(replayed)/d.Seconds()))
	}
	return replayed, nil
}

// New starts the committer. f must already hold the
// recovered state (see RecoverFSM).
func New(opts Options) *Replicator {
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	r := &Replicator{
		log:     opts.Logger.Named("journal"),
		fsm:     opts.FSM,
		journal: opts.Journal,
		period:  opts.CheckpointPeriodEntries,
		metrics: opts.Metrics,
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	// Refused alone, an oversized entry fails by itself; in a batch, the
	// journal would refuse the whole write and stop taking writes.
	r.queue = ha.NewGroupCommit(journal.MaxRecordBytes, r.stop, r.done)
	if cps, err := r.journal.Checkpoints(); err == nil && len(cps) > 0 {
		if st, err := os.Stat(cps[0].Path); err == nil {
			r.lastCheckpoint = st.ModTime()
		}
	}
	go r.commitLoop()
	return r
}

// Propose implements ha.Replicator.
func (r *Replicator) Propose(ctx context.Context, e *journalpb.Entry) (fsm.Result, error) {
	return r.queue.Propose(ctx, e)
}

func (r *Replicator) commitLoop() {
	defer close(r.done)
	r.queue.Serve(ha.Committer{Commit: r.commit, Checkpoint: r.checkpoint}, r.stop)
	r.queue.FailQueued(fserr.New(fserr.Unavailable, "master is shutting down"))
}

// commit never ends the loop: a failed local journal refuses writes
// itself, and only Close stops the master.
func (r *Replicator) commit(batch ha.Batch) bool {
	r.write(batch)
	if r.period > 0 && r.journal.EntriesSinceCheckpoint() >= r.period {
		if _, err := r.checkpoint(); err != nil {
			r.log.Error("periodic checkpoint failed", "error", err)
		}
	}
	return true
}

func (r *Replicator) write(batch ha.Batch) {
	r.mu.Lock()
	failed := r.failed
	r.mu.Unlock()
	if failed != nil {
		batch.Fail(fserr.New(fserr.Unavailable, "journal has failed, restart the master: %v", failed))
		return
	}
	recs := batch.Records()
	start := time.Now()
	first, err := r.journal.AppendBatch(recs)
	r.metrics.ObserveBatch(time.Since(start), len(recs))
	if err != nil {
		// The write may or may not have reached the disk: we can no longer
		// tell which entries are journaled, so stop taking writes.
		r.log.Error("journal write failed; refusing further writes", "error", err)
		r.mu.Lock()
		r.failed = err
		r.mu.Unlock()
		batch.Fail(fserr.New(fserr.OutcomeUnknown, "journal write failed: %v", err))
		return
	}
	batch.Apply(r.fsm, first)
}

// checkpoint runs on the committer goroutine, between batches, so the
// state it writes is exactly the state at the journal's last index.
func (r *Replicator) checkpoint() (ha.CheckpointInfo, error) {
	index := r.fsm.AppliedIndex()
	start := time.Now()
	info, err := r.journal.WriteCheckpoint(index, func(w io.Writer) error {
		_, err := r.fsm.WriteCheckpoint(w)
		return err
	})
	if err != nil {
		return ha.CheckpointInfo{}, err
	}
	r.mu.Lock()
	r.lastCheckpoint = time.Now()
	r.mu.Unlock()
	r.log.Info("wrote checkpoint", "path", info.Path, "index", index, "bytes", info.Size, "duration", time.Since(start))
	return ha.CheckpointInfo{Location: info.Path, Index: index}, nil
}

// VerifyRead implements ha.Replicator: a single master always leads, and it
// applies entries only after they are durable, so its state is always
// linearizable.
func (r *Replicator) VerifyRead(context.Context) error { return nil }

// Checkpoint implements ha.Replicator.
func (r *Replicator) Checkpoint(ctx context.Context) (ha.CheckpointInfo, error) {
	return r.queue.Checkpoint(ctx)
}

// Status implements ha.Replicator.
func (r *Replicator) Status() ha.Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	return ha.Status{
		JournalType:            "LOCAL",
		Leader:                 true,
		AppliedIndex:           r.fsm.AppliedIndex(),
		EntriesSinceCheckpoint: r.journal.EntriesSinceCheckpoint(),
		LastCheckpointTime:     r.lastCheckpoint,
		ClusterID:              r.journal.ClusterID(),
	}
}

// Close implements ha.Replicator. It waits for the committer to finish the
// batch in hand, then closes the journal.
func (r *Replicator) Close() error {
	r.closeOnce.Do(func() { close(r.stop) })
	<-r.done
	return r.journal.Close()
}
