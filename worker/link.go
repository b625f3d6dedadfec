package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"sync"
	"time"

	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/proto/alluxiopb"
	"github.com/halo-fs/halo/worker/blockstore"
	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
)

// maxPendingChanges bounds the block changes kept for a master that does
// not answer: past it the changes are dropped and the worker registers
// again with its full report once the master is back.
const maxPendingChanges = 1 << 20

// registerBatch is how many block ids one message of a register stream
// carries, so that a worker with millions of blocks stays under the
// masters' message size limit.
const registerBatch = 100_000

// link is the worker's conversation with one master: an authenticated
// channel, registration, heartbeats and block commits. Every master gets
// one, standbys included, so that each keeps a current table of workers
// and a new leader knows them before its first request.
type link struct {
	addr string
	w    *Worker
	log  hclog.Logger

	// mu guards the fields below. pending is filled by record, under the
	// worker's changesMu too, so that it and registration snapshots take
	// the store's changes in one order.
	mu      sync.Mutex
	conn    *grpc.ClientConn
	channel string
	endAuth context.CancelFunc // closes the authentication stream
	pending blockChanges
	// tracking is set from a registration's snapshot on: the link
	// collects the changes its master has not been told yet.
	tracking      bool
	registered    bool
	lastContact   time.Time
	lastFailure   error
	registrations int
	// rounds numbers the heartbeats sent and the commits answered, in
	// order; committedIn is, by block, the round its last commit was
	// answered in, kept until a heartbeat sent later is answered (see
	// freeable).
	rounds      uint64
	committedIn map[int64]uint64
}

func newLink(w *Worker, addr string) *link {
	return &link{addr: addr, w: w, log: w.log.With("master", addr), pending: blockChanges{}, committedIn: map[int64]uint64{}}
}

// run heartbeats every interval until ctx ends, registering first and
// whenever the master asks.
func (l *link) run(ctx context.Context) {
	defer l.disconnect()
	t := time.NewTicker(l.w.cfg.HeartbeatInterval)
	defer t.Stop()
	for {
		err := l.round(ctx)
		l.noteResult(err)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (l *link) noteResult(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err == nil {
		l.lastContact = time.Now()
		if l.lastFailure != nil {
			l.log.Info("reporting to the master again")
		}
	} else if l.lastFailure == nil || l.lastFailure.Error() != err.Error() {
		l.log.Warn("cannot report to the master", "error", err)
	}
	l.lastFailure = err
}

// round is one registration or heartbeat.
func (l *link) round(ctx context.Context) error {
	if err := l.connect(ctx); err != nil {
		return err
	}
	l.mu.Lock()
	registered := l.registered
	l.mu.Unlock()
	var err error
	if registered {
		err = l.heartbeat(ctx)
	} else {
		err = l.register(ctx)
	}
	if err != nil {
		l.disconnect()
	}
	return err
}

func (l *link) connect(ctx context.Context) error {
	if conn, _ := l.current(); conn != nil {
		return nil
	}
	conn, err := grpc.NewClient(l.addr, l.w.dialOptions...)
	if err != nil {
		return err
	}
	waitCtx, cancel := context.WithTimeout(ctx, l.w.cfg.CallTimeout)
	defer cancel()
	channel, endAuth, err := client.OpenChannel(waitCtx, conn, l.w.cfg.User)
	if err != nil {
		conn.Close()
		return err
	}
	l.mu.Lock()
	l.conn, l.channel, l.endAuth = conn, channel, endAuth
	l.mu.Unlock()
	return nil
}

// current is the connection and its authenticated channel, nil when
// there is none.
func (l *link) current() (*grpc.ClientConn, string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.conn, l.channel
}

func (l *link) disconnect() {
	l.mu.Lock()
	conn, endAuth := l.conn, l.endAuth
	l.conn = nil
	l.mu.Unlock()
	if conn != nil {
		endAuth()
		conn.Close()
	}
}

// call is the master's block service with a context for it (channelCall).
func (l *link) call(ctx context.Context, timeout time.Duration) (svc alluxiopb.BlockMasterWorkerServiceClient, callCtx context.Context, cancel context.CancelFunc, err error) {
	conn, callCtx, cancel, err := l.channelCall(ctx, timeout)
	if err != nil {
		return nil, nil, nil, err
	}
	return alluxiopb.NewBlockMasterWorkerServiceClient(conn), callCtx, cancel, nil
}

// channelCall is the connection to the master with a context carrying
// the channel id, under timeout; it fails when the link has no
// connection.
func (l *link) channelCall(ctx context.Context, timeout time.Duration) (conn *grpc.ClientConn, callCtx context.Context, cancel context.CancelFunc, err error) {
	conn, channel := l.current()
	if conn == nil {
		return nil, nil, nil, errors.New("not connected to this master")
	}
	ctx = metadata.AppendToOutgoingContext(ctx, client.ChannelMetadataKey, channel)
	callCtx, cancel = context.WithTimeout(ctx, timeout)
	return conn, callCtx, cancel, nil
}

// register asks the master for the worker's id, checks it is the id of
// the worker's identity, and sends the full report: tiers, capacity and
// used bytes, every block by location, lost storage.
func (l *link) register(ctx context.Context) error {
	svc, callCtx, cancel, err := l.call(ctx, l.w.cfg.RegisterTimeout)
	if err != nil {
		return err
	}
	defer cancel()
	resp, err := svc.GetWorkerId(callCtx, &alluxiopb.GetWorkerIdPRequest{WorkerNetAddress: l.w.netAddress()})
	if err != nil {
		return fmt.Errorf("get worker id: %w", err)
	}
	if id := resp.GetWorkerId(); id != l.w.identity.ID {
		return fmt.Errorf("the master gives this worker id %d, but its identity says %d: the master derives worker ids differently (another version?)", id, l.w.identity.ID)
	}
	report := l.w.snapshotFor(l)
	if err := sendRegistration(callCtx, svc, report, l.w.identity.ID); err != nil {
		l.mu.Lock()
		l.stopTrackingLocked()
		l.mu.Unlock()
		return fmt.Errorf("register: %w", err)
	}
	l.mu.Lock()
	l.registered = true
	l.registrations++
	l.mu.Unlock()
	l.log.Info("registered", "worker_id", l.w.identity.ID, "blocks", report.blockCount())
	return nil
}

func sendRegistration(ctx context.Context, svc alluxiopb.BlockMasterWorkerServiceClient, r registration, workerID int64) error {
	stream, err := svc.RegisterWorkerStream(ctx)
	if err != nil {
		return err
	}
	for i, msg := range r.messages(workerID, registerBatch) {
		if err := stream.Send(msg); err != nil {
			return fmt.Errorf("batch %d: %w", i, err)
		}
		if _, err := stream.Recv(); err != nil {
			return fmt.Errorf("batch %d: %w", i, err)
		}
	}
	if err := stream.CloseSend(); err != nil {
		return err
	}
	if _, err := stream.Recv(); !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

// heartbeat sends the used bytes and the block changes since the last
// heartbeat, and acts on the master's command.
func (l *link) heartbeat(ctx context.Context) error {
	usage := l.w.collectChanges()
	l.mu.Lock()
	sent := l.pending
	l.pending = blockChanges{}
	l.mu.Unlock()
	added, removed := sent.split()
	req := &alluxiopb.BlockHeartbeatPRequest{
		WorkerId:         proto.Int64(l.w.identity.ID),
		UsedBytesOnTiers: usage.used,
		RemovedBlockIds:  removed,
		AddedBlocks:      locationLists(added),
		LostStorage:      storageLists(usage.lostStorage),
		Options:          &alluxiopb.BlockHeartbeatPOptions{CapacityBytesOnTiers: usage.capacity},
	}
	svc, callCtx, cancel, err := l.call(ctx, l.w.cfg.CallTimeout)
	if err == nil {
		defer cancel()
		round := l.nextRound()
		var resp *alluxiopb.BlockHeartbeatPResponse
		if resp, err = svc.BlockHeartbeat(callCtx, req); err == nil {
			l.obey(ctx, resp.GetCommand(), round)
			l.forgetCommitsBefore(round)
			l.syncPinnedFiles(ctx)
			return nil
		}
	}
	l.keepUndelivered(sent)
	l.w.pinnedFilesUnanswered(l.addr)
	return fmt.Errorf("heartbeat: %w", err)
}

// keepUndelivered puts back the changes a failed heartbeat carried; when
// too many wait, it drops them all and registers again instead, once the
// master answers.
func (l *link) keepUndelivered(sent blockChanges) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pending.restore(sent)
	l.boundPendingLocked()
}

// record adds the store's changes for the master, if the link tracks them.
func (l *link) record(ch blockstore.Changes) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.tracking {
		l.pending.add(ch)
		l.boundPendingLocked()
	}
}

// boundPendingLocked drops the changes of a master that has not been told
// them for too long: it gets a full registration instead.
func (l *link) boundPendingLocked() {
	if len(l.pending) > maxPendingChanges {
		l.log.Warn("too many block changes wait for the master: the worker will register again", "changes", len(l.pending))
		l.stopTrackingLocked()
	}
}

func (l *link) stopTrackingLocked() {
	l.pending = blockChanges{}
	l.tracking = false
	l.registered = false
}

func (l *link) nextRound() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rounds++
	return l.rounds
}

func (l *link) noteCommitted(blockID int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rounds++
	l.committedIn[blockID] = l.rounds
}

// forgetCommitsBefore drops what freeable no longer needs once the
// heartbeat sent in round sent is answered: later heartbeats are sent
// after those commits were answered.
func (l *link) forgetCommitsBefore(sent uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	maps.DeleteFunc(l.committedIn, func(_ int64, round uint64) bool { return round < sent })
}

// freeable splits the blocks a free command of the heartbeat sent in
// round sent names into those to drop and those committed to the master
// since: the master may have taken the free for this heartbeat before the
// commit reached it (a load that found the block still cached), and once
// the commit is answered it counts the block held, so the block stays.
func (l *link) freeable(ids []int64, sent uint64) (drop, keep []int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, id := range ids {
		if l.committedIn[id] > sent {
			keep = append(keep, id)
		} else {
			drop = append(drop, id)
		}
	}
	return drop, keep
}

// obey acts on the command answering the heartbeat sent in round sent.
func (l *link) obey(ctx context.Context, c *alluxiopb.Command, sent uint64) {
	switch c.GetCommandType() {
	case alluxiopb.CommandType_Register:
		l.log.Info("the master asks this worker to register again")
		l.mu.Lock()
		l.registered = false
		l.mu.Unlock()
	case alluxiopb.CommandType_Free:
		drop, keep := l.freeable(c.GetData(), sent)
		l.w.deleteBlocks(drop, l.addr, c.GetCommandType().String())
		l.recommit(ctx, keep)
	case alluxiopb.CommandType_Delete:
		// Only a leader that has caught up with the journal sends this
		// (master.BlocksToDelete): a standby's or a lagging master's
		// view of the namespace never deletes a block.
		l.w.deleteBlocks(c.GetData(), l.addr, c.GetCommandType().String())
	}
}

// recommit tells the master again of blocks a free crossed, in case the
// free came after their commit: the master then holds the worker's copy
// as it is, and a later free drops it.
func (l *link) recommit(ctx context.Context, ids []int64) {
	for _, id := range ids {
		meta, err := l.w.store.BlockMeta(id)
		if err != nil {
			continue
		}
		used := usageOf(l.w.store.Usage()).used[meta.Location.Tier]
		if err := l.commit(ctx, meta.ID, meta.Length, meta.Location.Tier, used); err != nil {
			l.log.Debug("block commit left to the next heartbeat", "block", id, "error", err)
		}
	}
}

// commit tells the master the worker holds a newly written block. A
// master the last round could not reach is skipped, so that one paused or
// dead master does not hold every write up for a call timeout.
func (l *link) commit(ctx context.Context, blockID, length int64, tier string, usedOnTier int64) error {
	l.mu.Lock()
	registered, failing := l.registered, l.lastFailure
	l.mu.Unlock()
	if !registered {
		return errors.New("not registered with this master yet")
	}
	if failing != nil {
		return fmt.Errorf("the master did not answer the last heartbeat: %w", failing)
	}
	svc, callCtx, cancel, err := l.call(ctx, l.w.cfg.CallTimeout)
	if err != nil {
		return err
	}
	defer cancel()
	_, err = svc.CommitBlock(callCtx, &alluxiopb.CommitBlockPRequest{
		WorkerId: proto.Int64(l.w.identity.ID), UsedBytesOnTier: proto.Int64(usedOnTier), TierAlias: proto.String(tier),
		BlockId: proto.Int64(blockID), Length: proto.Int64(length), MediumType: proto.String(tier),
	})
	if err == nil {
		l.noteCommitted(blockID)
	}
	return err
}

// Status is what the worker knows of one master.
type Status struct {
	Address       string
	Registered    bool
	Registrations int
	LastContact   time.Time
	LastError     string
}

func (l *link) status() Status {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := Status{Address: l.addr, Registered: l.registered, Registrations: l.registrations, LastContact: l.lastContact}
	if l.lastFailure != nil {
		s.LastError = l.lastFailure.Error()
	}
	return s
}
