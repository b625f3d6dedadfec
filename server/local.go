package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/journal"
	"github.com/halo-fs/halo/proto/halopb"
	"github.com/hashicorp/go-hclog"
)

// maxBatch bounds how many proposals share one journal write and fsync.
const maxBatch = 1024

// LocalReplicator is the single-master (--ha=none) replicator: mutations are
// group-committed to a local journal — concurrent proposals share one write
// and one fsync — and applied in journal order after they are durable, so
// no reader ever sees a mutation that a crash could take back.
type LocalReplicator struct {
	log     hclog.Logger
	fsm     *fsm.FSM
	journal *journal.Journal
	period  uint64
	metrics *Metrics

	proposals   chan *proposal
	checkpoints chan chan checkpointReply
	stop        chan struct{}
	done        chan struct{}
	closeOnce   sync.Once

	mu             sync.Mutex
	lastCheckpoint time.Time
	failed         error // set when the journal failed; the master stops serving writes
}

type proposal struct {
	entry  *halopb.Entry
	data   []byte
	result chan proposalResult
}

type proposalResult struct {
	res fsm.Result
	err error
}

type checkpointReply struct {
	info CheckpointInfo
	err  error
}

// LocalOptions configure a LocalReplicator.
type LocalOptions struct {
	Journal                 *journal.Journal
	FSM                     *fsm.FSM
	CheckpointPeriodEntries uint64
	Logger                  hclog.Logger
	Metrics                 *Metrics
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

// NewLocalReplicator starts the committer. f must already hold the
// recovered state (see RecoverFSM).
func NewLocalReplicator(opts LocalOptions) *LocalReplicator {
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	r := &LocalReplicator{
		log:         opts.Logger.Named("journal"),
		fsm:         opts.FSM,
		journal:     opts.Journal,
		period:      opts.CheckpointPeriodEntries,
		metrics:     opts.Metrics,
		proposals:   make(chan *proposal, maxBatch),
		checkpoints: make(chan chan checkpointReply),
		stop:        make(chan struct{}),
		done:        make(chan struct{}),
	}
	if cps, err := r.journal.Checkpoints(); err == nil && len(cps) > 0 {
		if st, err := os.Stat(cps[0].Path); err == nil {
			r.lastCheckpoint = st.ModTime()
		}
	}
	go r.commitLoop()
	return r
}

// Propose implements Replicator.
func (r *LocalReplicator) Propose(ctx context.Context, e *halopb.Entry) (fsm.Result, error) {
	data, err := fsm.EncodeEntry(e)
	if err != nil {
		return fsm.Result{}, fserr.New(fserr.InvalidArgument, "%v", err)
	}
	if len(data) > journal.MaxRecordBytes {
		// Refused here, the entry fails alone; in a batch, the journal
		// would refuse the whole write and stop taking writes.
		return fsm.Result{}, fserr.New(fserr.ResourceExhausted, "a journal entry of %d bytes is larger than the journal's record limit of %d bytes", len(data), journal.MaxRecordBytes)
	}
	p := &proposal{entry: e, data: data, result: make(chan proposalResult, 1)}
	// A caller that already gave up, or a master that is stopping, must get
	// a definite "not done": check before the entry can reach the journal
	// (select would pick at random among ready cases).
	if err := ctx.Err(); err != nil {
		return fsm.Result{}, fserr.New(fserr.Unavailable, "request cancelled before it was journaled: %v", err)
	}
	select {
	case <-r.stop:
		return fsm.Result{}, fserr.New(fserr.Unavailable, "master is shutting down")
	default:
	}
	select {
	case r.proposals <- p:
	case <-ctx.Done():
		return fsm.Result{}, fserr.New(fserr.Unavailable, "journal is busy: %v", ctx.Err())
	case <-r.stop:
		return fsm.Result{}, fserr.New(fserr.Unavailable, "master is shutting down")
	}
	// Once handed to the committer the entry may be written; waiting is no
	// longer optional for correctness, but a caller that gives up must learn
	// that the outcome is unknown rather than failed.
	select {
	case out := <-p.result:
		return out.res, out.err
	case <-ctx.Done():
		return fsm.Result{}, fserr.New(fserr.OutcomeUnknown, "gave up waiting for the journal: %v", ctx.Err())
	case <-r.done:
		// The committer answers every proposal it took before it exits,
		// so no answer now means it never took this one.
		select {
		case out := <-p.result:
			return out.res, out.err
		default:
			return fsm.Result{}, fserr.New(fserr.Unavailable, "master is shutting down")
		}
	}
}

func (r *LocalReplicator) commitLoop() {
	defer close(r.done)
	batch := make([]*proposal, 0, maxBatch)
	recs := make([][]byte, 0, maxBatch)
	for {
		batch, recs = batch[:0], recs[:0]
		select {
		case <-r.stop:
			r.failPending(fserr.New(fserr.Unavailable, "master is shutting down"))
			return
		default:
		}
		select {
		case p := <-r.proposals:
			batch = append(batch, p)
		case reply := <-r.checkpoints:
			info, err := r.checkpoint()
			reply <- checkpointReply{info, err}
			continue
		case <-r.stop:
			r.failPending(fserr.New(fserr.Unavailable, "master is shutting down"))
			return
		}
	drain:
		for len(batch) < maxBatch {
			select {
			case p := <-r.proposals:
				batch = append(batch, p)
			default:
				break drain
			}
		}
		for _, p := range batch {
			recs = append(recs, p.data)
		}
		r.commit(batch, recs)
		if r.period > 0 && r.journal.EntriesSinceCheckpoint() >= r.period {
			if _, err := r.checkpoint(); err != nil {
				r.log.Error("periodic checkpoint failed", "error", err)
			}
		}
	}
}

func (r *LocalReplicator) commit(batch []*proposal, recs [][]byte) {
	r.mu.Lock()
	failed := r.failed
	r.mu.Unlock()
	if failed != nil {
		for _, p := range batch {
			p.result <- proposalResult{err: fserr.New(fserr.Unavailable, "journal has failed, restart the master: %v", failed)}
		}
		return
	}
	start := time.Now()
	first, err := r.journal.AppendBatch(recs)
	if r.metrics != nil {
		r.metrics.JournalFlush.Observe(time.Since(start).Seconds())
		r.metrics.JournalBatch.Observe(float64(len(recs)))
	}
	if err != nil {
		// The write may or may not have reached the disk: we can no longer
		// tell which entries are journaled, so stop taking writes.
		r.log.Error("journal write failed; refusing further writes", "error", err)
		r.mu.Lock()
		r.failed = err
		r.mu.Unlock()
		for _, p := range batch {
			p.result <- proposalResult{err: fserr.New(fserr.OutcomeUnknown, "journal write failed: %v", err)}
		}
		return
	}
	for i, p := range batch {
		res := r.fsm.Apply(first+uint64(i), p.entry)
		p.result <- proposalResult{res: res}
	}
}

func (r *LocalReplicator) failPending(err error) {
	for {
		select {
		case p := <-r.proposals:
			p.result <- proposalResult{err: err}
		default:
			return
		}
	}
}

// checkpoint runs on the committer goroutine, between batches, so the
// state it writes is exactly the state at the journal's last index.
func (r *LocalReplicator) checkpoint() (CheckpointInfo, error) {
	index := r.fsm.AppliedIndex()
	start := time.Now()
	var size int64
	info, err := r.journal.WriteCheckpoint(index, func(w io.Writer) error {
		cw := &countingWriter{w: w}
		_, err := r.fsm.WriteCheckpoint(cw)
		size = cw.n
		return err
	})
	if err != nil {
		return CheckpointInfo{}, err
	}
	r.mu.Lock()
	r.lastCheckpoint = time.Now()
	r.mu.Unlock()
	r.log.Info("wrote checkpoint", "path", info.Path, "index", index, "bytes", size, "duration", time.Since(start))
	return CheckpointInfo{Location: info.Path, Index: index}, nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// VerifyRead implements Replicator: a single master always leads, and it
// applies entries only after they are durable, so its state is always
// linearizable.
func (r *LocalReplicator) VerifyRead(context.Context) error { return nil }

// Checkpoint implements Replicator.
func (r *LocalReplicator) Checkpoint(ctx context.Context) (CheckpointInfo, error) {
	return askCheckpoint(ctx, r.checkpoints, r.stop)
}

// Status implements Replicator.
func (r *LocalReplicator) Status() ReplicatorStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	return ReplicatorStatus{
		JournalType:            "LOCAL",
		Leader:                 true,
		AppliedIndex:           r.fsm.AppliedIndex(),
		EntriesSinceCheckpoint: r.journal.EntriesSinceCheckpoint(),
		LastCheckpointTime:     r.lastCheckpoint,
		ClusterID:              r.journal.ClusterID(),
	}
}

// Close implements Replicator. It waits for the committer to finish the
// batch in hand, then closes the journal.
func (r *LocalReplicator) Close() error {
	r.closeOnce.Do(func() { close(r.stop) })
	<-r.done
	return r.journal.Close()
}

// askCheckpoint hands a checkpoint request to a replicator's commit loop,
// which writes it between batches, and waits for the answer.
func askCheckpoint(ctx context.Context, requests chan<- chan checkpointReply, stopped <-chan struct{}) (CheckpointInfo, error) {
	reply := make(chan checkpointReply, 1)
	select {
	case requests <- reply:
	case <-ctx.Done():
		return CheckpointInfo{}, ctx.Err()
	case <-stopped:
		return CheckpointInfo{}, errors.New("master is shutting down")
	}
	select {
	case out := <-reply:
		return out.info, out.err
	case <-ctx.Done():
		return CheckpointInfo{}, ctx.Err()
	}
}
