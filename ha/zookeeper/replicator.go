package zookeeper

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/ha"
	ufsjournal "github.com/halo-fs/halo/journal/ufs"
	"github.com/halo-fs/halo/proto/journalpb"
	"github.com/hashicorp/go-hclog"
)

// Options configure a Replicator.
type Options struct {
	Journal *ufsjournal.Journal
	Elector *Elector
	FSM     *fsm.FSM // holds the state RecoverUFSJournal recovered
	// Recovered is where RecoverUFSJournal left off.
	Recovered UFSRecovery
	// Address is this master's RPC address: its candidate ID, the name of
	// its leader znode and the writer named in its batches.
	Address string
	// CheckpointPeriodEntries: a standby writes a checkpoint after this
	// many entries (alluxio.master.journal.checkpoint.period.entries). The
	// leader checkpoints only when asked, as Alluxio's does.
	CheckpointPeriodEntries uint64
	// TailerSleep is how long an idle standby waits before it looks for
	// the next batch (alluxio.master.journal.tailer.sleep.time).
	TailerSleep time.Duration
	// WriteTimeout bounds one batch write; a write that times out leaves
	// its outcome unknown and the leader steps down.
	WriteTimeout time.Duration
	Logger       hclog.Logger
	Metrics      *ha.JournalMetrics // nil: none recorded
	// ExitOnDemotion stops the replicator (Failed delivers an error) when
	// it stops leading, for a supervisor to restart the process
	// (alluxio.master.journal.exit.on.demotion).
	ExitOnDemotion bool
	// UnsafeIgnoreSessionLoss keeps a leader serving after its ZooKeeper
	// session ends, as a paused or partitioned leader would that has not
	// noticed yet. Test only: it shows that the journal alone fences it.
	UnsafeIgnoreSessionLoss bool
	// UnsafeStaleReads serves reads on any master, leader or standby,
	// without confirming leadership. Test only: the failover tests use it
	// to show that their checkers catch stale reads.
	UnsafeStaleReads bool
}

// Replicator is the replicator of --ha=zookeeper: ZooKeeper elects
// the leader, which group-commits batches to the shared UFS journal and
// applies them once they are durable; standbys tail the journal and apply
// what they read, so they are warm. A new leader serves only after it has
// replayed the journal to its end and written its epoch marker there.
//
// Leadership ends on the first of: the ZooKeeper session ending (the
// elector's loss hook stops serving at once, from ZooKeeper's event
// goroutine), a journal write that finds its sequence number taken (a newer
// leader has written: this one is fenced), or a read probe that finds the
// same. In-flight proposals then get OutcomeUnknown, queued ones NotLeader,
// and the master goes back to tailing as a standby.
type Replicator struct {
	opts    Options
	log     hclog.Logger
	fsm     *fsm.FSM
	journal *ufsjournal.Journal
	elector *Elector

	cursor ufsjournal.Cursor // owned by the run goroutine
	// readBatch is cursor.NextSeq-1 for readers outside the run
	// goroutine: the newest batch this master has read.
	readBatch atomic.Uint64

	serving atomic.Bool
	lead    atomic.Pointer[Leadership]
	writer  atomic.Pointer[ufsjournal.Writer]
	reads   *ha.ReadBarrier
	fenced  chan struct{} // a read probe found a newer leader's batch

	queue     *ha.GroupCommit
	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	failed    chan error
	hasFailed atomic.Bool

	mu              sync.Mutex
	lastCheckpoint  time.Time
	checkpointIndex uint64
}

// New starts tailing and campaigning. It owns the
// journal and the elector, and closes them on Close.
func New(opts Options) *Replicator {
	if opts.TailerSleep <= 0 {
		opts.TailerSleep = time.Second
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = 30 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	r := &Replicator{
		opts:            opts,
		log:             opts.Logger.Named("zookeeper"),
		fsm:             opts.FSM,
		journal:         opts.Journal,
		elector:         opts.Elector,
		cursor:          opts.Recovered.Cursor,
		fenced:          make(chan struct{}, 1),
		stop:            make(chan struct{}),
		done:            make(chan struct{}),
		failed:          make(chan error, 1),
		lastCheckpoint:  opts.Recovered.CheckpointTime,
		checkpointIndex: opts.Recovered.CheckpointIndex,
	}
	r.noteCursor()
	r.queue = ha.NewGroupCommit(0, r.stop, r.done)
	r.reads = ha.NewReadBarrier(r.probe)
	go r.run()
	return r
}

// noteCursor publishes the cursor's position to Election; the run
// goroutine calls it whenever the cursor moves.
func (r *Replicator) noteCursor() {
	if r.cursor.NextSeq > 0 {
		r.readBatch.Store(r.cursor.NextSeq - 1)
	}
}

// Failed delivers the error that stopped the replicator for good: a
// journal this master cannot read (a corrupt batch, an entry it cannot
// decode). The master should exit rather than serve a diverging namespace.
func (r *Replicator) Failed() <-chan error { return r.failed }

func (r *Replicator) stopped() bool {
	select {
	case <-r.stop:
		return true
	default:
		return false
	}
}

func (r *Replicator) run() {
	defer close(r.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-r.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	defer r.queue.FailQueued(fserr.New(fserr.Unavailable, "master is shutting down"))
	for {
		lead := r.standby(ctx)
		if lead == nil {
			return
		}
		served := r.leadWhile(ctx, lead)
		lead.Resign()
		if r.stopped() || r.hasFailed.Load() {
			return
		}
		if served && r.opts.ExitOnDemotion {
			r.fail(errors.New("demoted from leader; exiting because alluxio.master.journal.exit.on.demotion is set"))
			return
		}
	}
}

// standby tails the journal while campaigning, and returns the leadership
// once won (nil when the replicator stops or fails).
func (r *Replicator) standby(ctx context.Context) *Leadership {
	campaignCtx, cancelCampaign := context.WithCancel(ctx)
	defer cancelCampaign()
	won := make(chan *Leadership)
	go func() {
		l, err := r.elector.Campaign(campaignCtx)
		if err != nil {
			return
		}
		select {
		case won <- l:
		case <-campaignCtx.Done():
			l.Resign()
		}
	}()
	for {
		progress, err := r.tail(ctx)
		if err != nil {
			r.fail(fmt.Errorf("cannot apply the shared journal, stopping rather than diverge: %w", err))
			return nil
		}
		r.maybeCheckpoint(ctx)
		wait := r.opts.TailerSleep
		if progress {
			wait = 0
		}
		timer := time.NewTimer(wait)
		select {
		case l := <-won:
			timer.Stop()
			return l
		case reply := <-r.queue.CheckpointRequests():
			timer.Stop()
			reply.Answer(r.writeCheckpoint(ctx, r.cursor.NextSeq-1, r.cursor.Epoch))
		case p := <-r.queue.Proposals():
			timer.Stop()
			p.Answer(fsm.Result{}, r.notLeader())
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-timer.C:
		}
	}
}

// tail applies every batch available now. It reports whether it applied
// any. Read errors are logged and retried at the next poll; a journal this
// master cannot apply is returned as fatal.
func (r *Replicator) tail(ctx context.Context) (progress bool, fatal error) {
	for {
		b, err := r.journal.Next(ctx, &r.cursor)
		r.noteCursor()
		switch {
		case err == nil:
			if err := applyBatch(r.fsm, b); err != nil {
				return progress, fmt.Errorf("%s: %w", r.journal.BatchPath(b.Seq), err)
			}
			progress = true
			if b.Kind == ufsjournal.KindEpochMarker {
				r.log.Info("a new leader's epoch begins in the journal", "batch", b.Seq, "epoch", b.Epoch, "leader", b.Writer)
			}
		case errors.Is(err, ufsjournal.ErrNoBatch):
			return progress, nil
		case errors.Is(err, ufsjournal.ErrCompacted):
			r.log.Warn("this standby fell behind the journal's garbage collection; restoring the newest checkpoint", "error", err)
			if err := r.reload(ctx); err != nil {
				r.log.Error("could not restore the newest checkpoint; will retry", "error", err)
				return progress, nil
			}
			progress = true
		case errors.Is(err, ufsjournal.ErrCorrupt):
			return progress, err
		case ctx.Err() != nil:
			return progress, nil
		default:
			r.log.Warn("cannot read the shared journal; will retry", "error", err)
			return progress, nil
		}
	}
}

// reload replaces the namespace with the newest checkpoint.
func (r *Replicator) reload(ctx context.Context) error {
	f := r.fsm
	rec, err := restoreNewestCheckpoint(ctx, r.journal, f, r.log)
	if err != nil {
		return err
	}
	r.cursor = rec.Cursor
	r.noteCursor()
	r.mu.Lock()
	r.checkpointIndex = rec.CheckpointIndex
	r.mu.Unlock()
	return nil
}

func (r *Replicator) fail(err error) {
	r.hasFailed.Store(true)
	r.log.Error("the replicator stops for good; the master exits", "error", err)
	select {
	case r.failed <- err:
	default:
	}
}

// leadWhile promotes this master, then commits proposals until the
// leadership ends. It reports whether this master served as leader.
func (r *Replicator) leadWhile(ctx context.Context, lead *Leadership) (served bool) {
	start := time.Now()
	lead.OnLost(func() {
		// On ZooKeeper's event goroutine: stop serving before anything else.
		if r.lead.Load() == lead && !r.opts.UnsafeIgnoreSessionLoss {
			r.serving.Store(false)
		}
	})
	w, err := r.promote(ctx, lead)
	if err != nil {
		if !r.stopped() {
			r.log.Warn("won the election but could not take over the journal; resigning", "error", err)
		}
		return false
	}
	r.writer.Store(w)
	r.lead.Store(lead)
	defer func() {
		r.serving.Store(false)
		r.lead.Store(nil)
		r.writer.Store(nil)
		r.cursor = w.Cursor()
		r.noteCursor()
		r.queue.FailQueued(r.notLeader())
		select {
		case <-r.fenced:
		default:
		}
	}()
	if err := lead.Publish(ctx); err != nil {
		r.log.Warn("could not publish the leader znode; resigning", "error", err)
		return false
	}
	// Serving is cleared only by a lost leadership; a suspended one is
	// refused request by request (lead.Valid), and resumes by itself.
	r.serving.Store(true)
	lost := lead.Lost()
	if r.opts.UnsafeIgnoreSessionLoss {
		lost = nil
	}
	select {
	case <-lost:
		r.serving.Store(false)
	default:
	}
	r.log.Info("leading and serving", "epoch", w.Epoch(), "marker_batch", w.LastSeq(),
		"applied_index", r.fsm.AppliedIndex(), "takeover", time.Since(start).Round(time.Millisecond))

	end, stopWatching := r.watchTerm(ctx, lead, lost)
	defer stopWatching()
	r.queue.Serve(ha.Committer{
		Commit:     func(b ha.Batch) bool { return r.commit(ctx, w, lead, b) },
		Checkpoint: func() (ha.CheckpointInfo, error) { return r.writeCheckpoint(ctx, w.LastSeq(), w.Epoch()) },
	}, end)
	return true
}

// watchTerm returns a channel closed when this term must end: the
// leadership is lost, a read probe found a newer leader's batch, or the
// replicator stops. stopWatching ends the watch and waits for it, so it
// cannot take the next term's fencing signal.
func (r *Replicator) watchTerm(ctx context.Context, lead *Leadership, lost <-chan struct{}) (end <-chan struct{}, stopWatching func()) {
	ended := make(chan struct{})
	termOver := make(chan struct{})
	go func() {
		defer close(ended)
		select {
		case <-lost:
			r.log.Warn("lost leadership; stepping down to standby", "reason", lead.LostReason())
		case <-r.fenced:
			r.log.Warn("a newer leader has written to the journal; stepping down to standby")
		case <-ctx.Done():
		case <-termOver:
		}
	}()
	return ended, func() {
		close(termOver)
		<-ended
	}
}

// promote replays the journal to its end and claims the next sequence
// number with an epoch marker; when another master writes first, or the
// journal has moved past this master (batches it has not read, or
// collected under it), it reads on (restoring the newest checkpoint if
// need be) and tries again, for as long as the leadership holds.
func (r *Replicator) promote(ctx context.Context, lead *Leadership) (*ufsjournal.Writer, error) {
	delay := 100 * time.Millisecond
	for {
		select {
		case <-lead.Lost():
			return nil, fmt.Errorf("leadership lost while taking over: %s", lead.LostReason())
		case <-ctx.Done():
			return nil, ctx.Err()
		default:
		}
		progress, err := r.tail(ctx)
		if err != nil {
			r.fail(fmt.Errorf("cannot apply the shared journal, stopping rather than diverge: %w", err))
			return nil, err
		}
		w, err := r.journal.Claim(ctx, r.cursor, lead.Epoch, r.opts.Address)
		if err == nil {
			r.cursor = w.Cursor()
			r.noteCursor()
			return w, nil
		}
		switch {
		case errors.Is(err, ufsjournal.ErrBehind) && !progress:
			// Reading on found nothing new: wait rather than spin.
			r.log.Warn("the journal is ahead of what this master can read; not serving until it catches up", "error", err, "retry_in", delay)
		case errors.Is(err, ufsjournal.ErrBehind):
			r.log.Info("the journal has moved past this master; catching up before it serves", "error", err)
			continue
		case errors.Is(err, ufsjournal.ErrFenced):
			r.log.Info("another master wrote to the journal while this one took over; reading on", "batch", r.cursor.NextSeq)
			continue
		default:
			r.log.Warn("could not write the epoch marker; will retry", "error", err, "retry_in", delay)
		}
		select {
		case <-time.After(delay):
		case <-lead.Lost():
		case <-ctx.Done():
		}
		delay = min(2*delay, 5*time.Second)
	}
}

// commit writes one batch and applies it after it is durable. It returns
// false when this master must stop leading.
func (r *Replicator) commit(ctx context.Context, w *ufsjournal.Writer, lead *Leadership, batch ha.Batch) bool {
	if !r.leaderValid(lead) || !r.serving.Load() {
		// Nothing was written: a definite refusal.
		if lead.Suspended() {
			batch.Fail(fserr.New(fserr.Unavailable, "the ZooKeeper connection is suspended; not writing until the session is confirmed"))
			return true
		}
		batch.Fail(r.notLeader())
		return false
	}
	recs := batch.Records()
	wctx, cancel := context.WithTimeout(ctx, r.opts.WriteTimeout)
	start := time.Now()
	first, err := w.Append(wctx, recs)
	cancel()
	r.opts.Metrics.ObserveBatch(time.Since(start), len(recs))
	if err != nil {
		r.serving.Store(false)
		if errors.Is(err, ufsjournal.ErrFenced) {
			r.log.Warn("fenced: a newer leader has written to the journal; stepping down to standby", "error", err)
		} else {
			r.log.Error("journal write failed; its outcome is unknown, stepping down to standby", "error", err)
		}
		unknown := &fserr.Error{Code: fserr.OutcomeUnknown, Message: "leadership lost while journaling: " + err.Error(), LeaderHint: r.leaderHint()}
		batch.Fail(unknown)
		return false
	}
	batch.Apply(r.fsm, first)
	return true
}

func (r *Replicator) maybeCheckpoint(ctx context.Context) {
	period := r.opts.CheckpointPeriodEntries
	if period == 0 {
		return
	}
	r.mu.Lock()
	since := r.fsm.AppliedIndex() - min(r.checkpointIndex, r.fsm.AppliedIndex())
	r.mu.Unlock()
	if since < period {
		return
	}
	if _, err := r.writeCheckpoint(ctx, r.cursor.NextSeq-1, r.cursor.Epoch); err != nil {
		r.log.Error("periodic checkpoint failed", "error", err)
	}
}

// writeCheckpoint runs on the run goroutine between batches, so the state
// it writes is exactly the state after batch seq. Old batches are then
// collected.
func (r *Replicator) writeCheckpoint(ctx context.Context, seq, epoch uint64) (ha.CheckpointInfo, error) {
	index := r.fsm.AppliedIndex()
	start := time.Now()
	var size int64
	loc, err := r.journal.WriteCheckpoint(ctx, ufsjournal.CheckpointHeader{Seq: seq, Epoch: epoch}, ha.FSMCheckpoint(r.fsm, &size))
	if err != nil {
		return ha.CheckpointInfo{}, err
	}
	r.mu.Lock()
	r.lastCheckpoint = time.Now()
	r.checkpointIndex = index
	r.mu.Unlock()
	r.log.Info("wrote checkpoint", "location", loc, "batch", seq, "index", index, "bytes", size, "duration", time.Since(start))
	if n, err := r.journal.Collect(ctx); err != nil {
		r.log.Warn("journal garbage collection failed", "error", err)
	} else if n > 0 {
		r.log.Info("collected journal objects made unnecessary by checkpoints", "deleted", n)
	}
	return ha.CheckpointInfo{Location: loc, Index: index}, nil
}

// Propose implements ha.Replicator.
func (r *Replicator) Propose(ctx context.Context, e *journalpb.Entry) (fsm.Result, error) {
	if !r.serving.Load() {
		return fsm.Result{}, r.notLeader()
	}
	return r.queue.Propose(ctx, e)
}

// VerifyRead implements ha.Replicator: this master serves, its ZooKeeper
// session is connected, and no other master has written to the journal
// since its last batch (a probe of the next sequence number; concurrent
// reads share one probe).
func (r *Replicator) VerifyRead(ctx context.Context) error {
	if r.opts.UnsafeStaleReads {
		return nil
	}
	if !r.serving.Load() {
		return r.notLeader()
	}
	lead := r.lead.Load()
	if lead == nil || !r.leaderValid(lead) {
		if lead != nil && lead.Suspended() {
			return fserr.New(fserr.Unavailable, "the ZooKeeper connection is suspended; cannot confirm leadership")
		}
		return r.notLeader()
	}
	if err := r.reads.Wait(ctx); err != nil {
		if errors.Is(err, ufsjournal.ErrFenced) || errors.Is(err, errNotServing) {
			return r.notLeader()
		}
		return fserr.New(fserr.Unavailable, "cannot confirm leadership: %v", err)
	}
	if !r.serving.Load() {
		return r.notLeader()
	}
	return nil
}

var errNotServing = errors.New("not serving")

// leaderValid is lead.Valid, unless the test-only switch ignores ZooKeeper.
func (r *Replicator) leaderValid(lead *Leadership) bool {
	return r.opts.UnsafeIgnoreSessionLoss || lead.Valid()
}

// probe is one read confirmation round.
func (r *Replicator) probe() error {
	w := r.writer.Load()
	if w == nil || !r.serving.Load() {
		return errNotServing
	}
	ctx, cancel := context.WithTimeout(context.Background(), r.opts.WriteTimeout)
	defer cancel()
	err := w.Probe(ctx)
	if errors.Is(err, ufsjournal.ErrFenced) && r.writer.Load() == w {
		r.serving.Store(false)
		r.log.Warn("read probe found a newer leader's batch in the journal; stepping down", "error", err)
		select {
		case r.fenced <- struct{}{}:
		default:
		}
	}
	return err
}

// Checkpoint implements ha.Replicator: on the leader between batches, on a
// standby between tail steps.
func (r *Replicator) Checkpoint(ctx context.Context) (ha.CheckpointInfo, error) {
	return r.queue.Checkpoint(ctx)
}

// leaderHint is the newest leader znode, unless it is this master's own
// (left by a session that has not expired yet).
func (r *Replicator) leaderHint() string {
	id := r.elector.LeaderID()
	if id == r.opts.Address && !r.serving.Load() {
		return ""
	}
	return id
}

func (r *Replicator) notLeader() error {
	hint := r.leaderHint()
	if hint == "" || hint == r.opts.Address {
		return &fserr.Error{Code: fserr.Unavailable, Message: "no leader yet: a ZooKeeper election is in progress"}
	}
	return &fserr.Error{Code: fserr.NotLeader, Message: "this master is a standby; the leader is " + hint, LeaderHint: hint}
}

// Status implements ha.Replicator.
func (r *Replicator) Status() ha.Status {
	lead := r.lead.Load()
	leading := r.serving.Load() && lead != nil && r.leaderValid(lead)
	st := ha.Status{
		JournalType:  "UFS",
		Leader:       leading,
		AppliedIndex: r.fsm.AppliedIndex(),
		ClusterID:    r.journal.ClusterID(),
	}
	if !leading {
		st.LeaderRPCAddress = r.leaderHint()
	}
	r.mu.Lock()
	st.LastCheckpointTime = r.lastCheckpoint
	st.EntriesSinceCheckpoint = st.AppliedIndex - min(r.checkpointIndex, st.AppliedIndex)
	r.mu.Unlock()
	return st
}

// Election implements ha.ElectionReporter: the leader changes this
// master saw, the state of its connection to ZooKeeper, and while it
// leads, its election epoch (the epoch its journal writes carry).
func (r *Replicator) Election() ha.Election {
	e := r.elector.Election()
	e.JournalLocation, e.JournalBatch = r.journal.URI(), r.readBatch.Load()
	if lead := r.lead.Load(); lead != nil && r.serving.Load() {
		e.Epoch = lead.Epoch
		if w := r.writer.Load(); w != nil {
			e.JournalBatch, e.JournalWriting = w.LastSeq(), true
		}
	}
	return e
}

// Close implements ha.Replicator: it stops leading or tailing, ends the
// candidacy and closes the journal.
func (r *Replicator) Close() error {
	var err error
	r.closeOnce.Do(func() {
		r.serving.Store(false)
		close(r.stop)
		<-r.done
		r.elector.Close()
		err = r.journal.Close()
	})
	return err
}
