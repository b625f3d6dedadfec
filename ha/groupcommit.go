package ha

import (
	"context"
	"errors"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/proto/journalpb"
)

// MaxBatch bounds how many proposals share one journal write.
const MaxBatch = 1024

// Proposal is one entry waiting in a GroupCommit queue, with its encoding.
type Proposal struct {
	Entry  *journalpb.Entry
	Data   []byte
	result chan outcome
}

type outcome struct {
	res fsm.Result
	err error
}

// Answer tells the proposer how its entry ended. Each proposal is answered
// once; the channel has room for it, so the committer never blocks.
func (p *Proposal) Answer(res fsm.Result, err error) {
	p.result <- outcome{res, err}
}

// Batch is the proposals that share one journal write, in journal order.
type Batch []*Proposal

// Records are the batch's encoded entries, for the journal write.
func (b Batch) Records() [][]byte {
	recs := make([][]byte, len(b))
	for i, p := range b {
		recs[i] = p.Data
	}
	return recs
}

// Fail answers every proposal of the batch with err.
func (b Batch) Fail(err error) {
	for _, p := range b {
		p.Answer(fsm.Result{}, err)
	}
}

// Apply applies a durable batch whose first entry got journal index first,
// and answers each proposal with its result.
func (b Batch) Apply(f *fsm.FSM, first uint64) {
	for i, p := range b {
		p.Answer(f.Apply(first+uint64(i), p.Entry), nil)
	}
}

// CheckpointRequest is one caller waiting for a checkpoint that the commit
// loop writes between batches.
type CheckpointRequest chan checkpointReply

type checkpointReply struct {
	info CheckpointInfo
	err  error
}

// Answer tells the caller where the checkpoint went.
func (c CheckpointRequest) Answer(info CheckpointInfo, err error) {
	c <- checkpointReply{info, err}
}

// Committer is what a GroupCommit loop drives: the mode's journal write and
// its checkpoint. Both run on the loop's goroutine, so a checkpoint sees the
// state after exactly the batches committed so far.
type Committer struct {
	// Commit journals the batch, applies it once durable and answers every
	// proposal. It returns false when this master may write no more.
	Commit     func(Batch) bool
	Checkpoint func() (CheckpointInfo, error)
}

// GroupCommit queues proposals for one commit loop, which writes all that
// are waiting with one journal write. Proposers learn a definite "not done"
// when their entry cannot have reached the journal, and OutcomeUnknown when
// they stop waiting after it may have.
type GroupCommit struct {
	maxRecordBytes int
	proposals      chan *Proposal
	checkpoints    chan CheckpointRequest
	stop           <-chan struct{}
	done           <-chan struct{}
}

// NewGroupCommit makes a queue for a commit loop that stops taking work
// once stop is closed and closes done when it has exited, having answered
// every proposal it took. maxRecordBytes (0: no limit) is the journal's
// record limit: a larger entry is refused alone, before it can make the
// journal refuse a whole batch.
func NewGroupCommit(maxRecordBytes int, stop, done <-chan struct{}) *GroupCommit {
	return &GroupCommit{
		maxRecordBytes: maxRecordBytes,
		proposals:      make(chan *Proposal, MaxBatch),
		checkpoints:    make(chan CheckpointRequest),
		stop:           stop,
		done:           done,
	}
}

// Propose queues e and waits for the loop's answer.
func (g *GroupCommit) Propose(ctx context.Context, e *journalpb.Entry) (fsm.Result, error) {
	data, err := fsm.EncodeEntry(e)
	if err != nil {
		return fsm.Result{}, fserr.New(fserr.InvalidArgument, "%v", err)
	}
	if g.maxRecordBytes > 0 && len(data) > g.maxRecordBytes {
		return fsm.Result{}, fserr.New(fserr.ResourceExhausted, "a journal entry of %d bytes is larger than the journal's record limit of %d bytes", len(data), g.maxRecordBytes)
	}
	p := &Proposal{Entry: e, Data: data, result: make(chan outcome, 1)}
	// A caller that already gave up, or a master that is stopping, must get
	// a definite "not done": check before the entry can reach the journal
	// (select would pick at random among ready cases).
	if err := ctx.Err(); err != nil {
		return fsm.Result{}, fserr.New(fserr.Unavailable, "request cancelled before it was journaled: %v", err)
	}
	if g.stopping() {
		return fsm.Result{}, fserr.New(fserr.Unavailable, "master is shutting down")
	}
	select {
	case g.proposals <- p:
	case <-ctx.Done():
		return fsm.Result{}, fserr.New(fserr.Unavailable, "journal is busy: %v", ctx.Err())
	case <-g.stop:
		return fsm.Result{}, fserr.New(fserr.Unavailable, "master is shutting down")
	}
	// Once queued the entry may be written; a caller that gives up must
	// learn that the outcome is unknown rather than failed.
	select {
	case out := <-p.result:
		return out.res, out.err
	case <-ctx.Done():
		return fsm.Result{}, fserr.New(fserr.OutcomeUnknown, "gave up waiting for the journal: %v", ctx.Err())
	case <-g.done:
		// The loop answers every proposal it took before it exits, so no
		// answer now means it never took this one.
		select {
		case out := <-p.result:
			return out.res, out.err
		default:
			return fsm.Result{}, fserr.New(fserr.Unavailable, "master is shutting down")
		}
	}
}

func (g *GroupCommit) stopping() bool {
	select {
	case <-g.stop:
		return true
	case <-g.done:
		return true
	default:
		return false
	}
}

// Checkpoint asks the loop for a checkpoint and waits for it.
func (g *GroupCommit) Checkpoint(ctx context.Context) (CheckpointInfo, error) {
	reply := make(CheckpointRequest, 1)
	select {
	case g.checkpoints <- reply:
	case <-ctx.Done():
		return CheckpointInfo{}, ctx.Err()
	case <-g.stop:
		return CheckpointInfo{}, errShuttingDown
	case <-g.done:
		return CheckpointInfo{}, errShuttingDown
	}
	select {
	case out := <-reply:
		return out.info, out.err
	case <-ctx.Done():
		return CheckpointInfo{}, ctx.Err()
	}
}

var errShuttingDown = errors.New("master is shutting down")

// Proposals delivers queued proposals, for a loop that is not committing
// (a standby refuses them).
func (g *GroupCommit) Proposals() <-chan *Proposal { return g.proposals }

// CheckpointRequests delivers checkpoint requests, for a loop that is not
// committing.
func (g *GroupCommit) CheckpointRequests() <-chan CheckpointRequest { return g.checkpoints }

// Serve commits batches of queued proposals, and writes requested
// checkpoints between them, until c.Commit returns false or until is
// closed. until is checked before each batch, so a loop told to end takes
// no new work. Proposals still queued on return are the caller's to fail.
func (g *GroupCommit) Serve(c Committer, until <-chan struct{}) {
	batch := make(Batch, 0, MaxBatch)
	for {
		select {
		case <-until:
			return
		default:
		}
		select {
		case p := <-g.proposals:
			batch = g.fill(append(batch[:0], p))
			if !c.Commit(batch) {
				return
			}
		case reply := <-g.checkpoints:
			reply.Answer(c.Checkpoint())
		case <-until:
			return
		}
	}
}

// fill adds the proposals waiting now, up to MaxBatch.
func (g *GroupCommit) fill(batch Batch) Batch {
	for len(batch) < MaxBatch {
		select {
		case p := <-g.proposals:
			batch = append(batch, p)
		default:
			return batch
		}
	}
	return batch
}

// FailQueued answers with err every proposal that never reached the loop.
func (g *GroupCommit) FailQueued(err error) {
	for {
		select {
		case p := <-g.proposals:
			p.Answer(fsm.Result{}, err)
		default:
			return
		}
	}
}

// Queued is how many proposals wait for the loop.
func (g *GroupCommit) Queued() int { return len(g.proposals) }
