package worker

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"sync"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/proto/alluxiopb"
	"github.com/halo-fs/halo/worker/blockstore"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

const (
	// defaultReadChunk and maxReadChunk bound a read's chunks, as
	// Alluxio's worker does (1 MiB asked by clients, 2 MiB at most).
	defaultReadChunk = 1 << 20
	maxReadChunk     = 2 << 20
	// readWindow is how many bytes a read sends ahead of the client's
	// offset_received acknowledgements
	// (alluxio.worker.network.reader.buffer.size).
	readWindow = 4 << 20
)

// blockWorker is Alluxio's BlockWorker service over the worker's store:
// clients write and read blocks through it.
type blockWorker struct {
	alluxiopb.UnimplementedBlockWorkerServer
	w *Worker
}

// WriteBlock takes a command naming the block, then chunks; a command
// with flush is answered with the offset written so far; the client's
// half-close commits the block, which every master is told of before the
// call ends. A write that ends otherwise leaves nothing behind.
func (b *blockWorker) WriteBlock(stream grpc.BidiStreamingServer[alluxiopb.WriteRequest, alluxiopb.WriteResponse]) error {
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	cmd := first.GetCommand()
	if cmd == nil {
		return fserr.New(fserr.InvalidArgument, "a block write must start with a command naming the block, not a chunk")
	}
	switch cmd.GetType() {
	case alluxiopb.RequestType_UFS_FILE:
		return b.writeUfsFile(stream, cmd)
	case alluxiopb.RequestType_ALLUXIO_BLOCK:
	default:
		return fserr.New(fserr.Unimplemented, "block %d: writes of type %s are not served by this worker; write with MUST_CACHE, CACHE_THROUGH or THROUGH", cmd.GetId(), cmd.GetType())
	}
	if cmd.GetOffset() != 0 || cmd.GetSpaceToReserve() < 0 {
		return fserr.New(fserr.InvalidArgument, "block %d: a write starts at offset 0 with a non-negative reservation, not offset %d and %d bytes", cmd.GetId(), cmd.GetOffset(), cmd.GetSpaceToReserve())
	}
	tier, err := b.tierAlias(cmd.GetTier(), cmd.GetMediumType())
	if err != nil {
		return err
	}
	temp, err := b.w.store.CreateBlock(rand.Int64(), cmd.GetId(), tier, cmd.GetSpaceToReserve())
	if err != nil {
		return err
	}
	return b.fill(stream.Context(), temp, cmd.GetPinOnCreate(), b.w.metrics.bytesWritten, func() error { return receiveChunks(stream, temp, temp.Size, temp.ID()) })
}

// fill runs the write that fills temp, then commits the block, counts its
// bytes in written and tells every master of it; a write that fails
// leaves nothing behind.
func (b *blockWorker) fill(ctx context.Context, temp *blockstore.TempBlock, pin bool, written prometheus.Counter, write func() error) error {
	err := write()
	var meta blockstore.BlockMeta
	if err == nil {
		if pin {
			b.w.store.PinOnCreate(temp.ID())
		}
		meta, err = temp.Commit()
	}
	if err != nil {
		temp.Abort()
		return err
	}
	b.w.metrics.blocksWritten.Inc()
	written.Add(float64(meta.Length))
	b.w.commitBlock(ctx, meta)
	return nil
}

// receiveChunks writes the chunks into dst until the client half-closes;
// size is how many bytes dst holds, id the block's id (-1 for a UFS file).
func receiveChunks(stream grpc.BidiStreamingServer[alluxiopb.WriteRequest, alluxiopb.WriteResponse], dst io.Writer, size func() int64, id int64) error {
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if chunk := req.GetChunk(); chunk != nil {
			if _, err := dst.Write(chunk.GetData()); err != nil {
				return err
			}
			continue
		}
		cmd := req.GetCommand()
		if cmd.GetId() != id || cmd.GetOffset() != size() {
			return fserr.New(fserr.InvalidArgument, "block %d: a command for block %d at offset %d, but %d bytes are written",
				id, cmd.GetId(), cmd.GetOffset(), size())
		}
		if cmd.GetFlush() {
			if err := stream.Send(&alluxiopb.WriteResponse{Offset: proto.Int64(size())}); err != nil {
				return err
			}
		}
	}
}

// tierAlias maps a write's tier (0 the top; -1 the bottom, as Alluxio
// numbers them) or medium to a tier alias of the store.
func (b *blockWorker) tierAlias(tier int32, medium string) (string, error) {
	tiers := b.w.cfg.Store.Tiers
	if medium != "" {
		return medium, nil
	}
	switch {
	case tier >= 0 && int(tier) < len(tiers):
		return tiers[tier].Alias, nil
	case tier < 0 && int(-tier) <= len(tiers):
		return tiers[len(tiers)+int(tier)].Alias, nil
	}
	return "", fserr.New(fserr.InvalidArgument, "tier %d: this worker has %d tiers", tier, len(tiers))
}

// ReadBlock sends the range asked for in chunks, never more than
// readWindow bytes ahead of the client's offset_received.
func (b *blockWorker) ReadBlock(stream grpc.BidiStreamingServer[alluxiopb.ReadRequest, alluxiopb.ReadResponse]) error {
	req, err := stream.Recv()
	if err != nil {
		return err
	}
	if req.GetPromote() {
		b.promote(req.GetBlockId())
	}
	if b.w.store.HasBlock(req.GetBlockId()) || req.GetOpenUfsBlockOptions().GetUfsPath() == "" {
		return b.serveCached(stream, req)
	}
	return b.readFromUfs(stream, req)
}

// serveCached sends the range of a block a tier holds.
func (b *blockWorker) serveCached(stream grpc.BidiStreamingServer[alluxiopb.ReadRequest, alluxiopb.ReadResponse], req *alluxiopb.ReadRequest) error {
	id, off, length := req.GetBlockId(), req.GetOffset(), req.GetLength()
	r, err := b.w.store.OpenBlock(id)
	if err != nil {
		return err
	}
	defer r.Close()
	if off < 0 || length < 0 || off+length > r.Length() || off+length < off {
		return fserr.New(fserr.InvalidArgument, "block %d: cannot read %d bytes at offset %d of a block of %d bytes", id, length, off, r.Length())
	}
	acks := newAckWindow(off)
	go acks.follow(stream)
	if err := sendRange(stream, readBlockAt(r), off, off+length, readChunk(req), acks); err != nil {
		return err
	}
	b.w.metrics.bytesRead.Add(float64(length))
	return nil
}

// readChunk is the chunk size a read asked for, within the worker's bounds.
func readChunk(req *alluxiopb.ReadRequest) int64 {
	chunk := req.GetChunkSize()
	if chunk <= 0 {
		chunk = defaultReadChunk
	}
	return min(chunk, maxReadChunk)
}

// sendRange sends [from, to) of a block in chunks read by read, never
// more than readWindow bytes ahead of the client's acknowledgements.
func sendRange(stream grpc.BidiStreamingServer[alluxiopb.ReadRequest, alluxiopb.ReadResponse], read func(buf []byte, pos int64) error, from, to, chunk int64, acks *ackWindow) error {
	buf := make([]byte, chunk)
	for pos := from; pos < to; {
		if done, err := acks.waitBelow(stream.Context(), pos-readWindow); done || err != nil {
			return err
		}
		n := min(chunk, to-pos)
		if err := read(buf[:n], pos); err != nil {
			return err
		}
		if err := stream.Send(&alluxiopb.ReadResponse{Chunk: &alluxiopb.Chunk{Data: buf[:n]}}); err != nil {
			return err
		}
		pos += n
	}
	return nil
}

// readBlockAt reads a cached block's bytes at a position.
func readBlockAt(r *blockstore.BlockReader) func([]byte, int64) error {
	return func(buf []byte, pos int64) error {
		if _, err := r.ReadAt(buf, pos); err != nil && !(errors.Is(err, io.EOF) && pos+int64(len(buf)) == r.Length()) {
			return err
		}
		return nil
	}
}

func (b *blockWorker) promote(id int64) {
	if len(b.w.cfg.Store.Tiers) == 0 {
		return
	}
	if err := b.w.store.MoveBlock(id, b.w.cfg.Store.Tiers[0].Alias); err != nil && !errors.Is(err, blockstore.ErrBlockNotFound) {
		b.w.log.Debug("block not promoted", "block", id, "error", err)
	}
}

// ackWindow follows a read's offset_received acknowledgements.
type ackWindow struct {
	mu      sync.Mutex
	acked   int64
	closed  bool // the client half-closed or went away
	changed chan struct{}
}

func newAckWindow(from int64) *ackWindow {
	return &ackWindow{acked: from, changed: make(chan struct{})}
}

func (a *ackWindow) follow(stream grpc.BidiStreamingServer[alluxiopb.ReadRequest, alluxiopb.ReadResponse]) {
	for {
		req, err := stream.Recv()
		a.mu.Lock()
		if err != nil {
			a.closed = true
		} else if req.GetOffsetReceived() > a.acked {
			a.acked = req.GetOffsetReceived()
		}
		close(a.changed)
		a.changed = make(chan struct{})
		a.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// waitBelow waits until the client acknowledged past offset. done is true
// when the client closed its side: it wants no more data.
func (a *ackWindow) waitBelow(ctx context.Context, offset int64) (done bool, err error) {
	for {
		a.mu.Lock()
		acked, closed, changed := a.acked, a.closed, a.changed
		a.mu.Unlock()
		if acked >= offset {
			return false, nil
		}
		if closed {
			return true, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return true, ctx.Err()
		}
	}
}

func (b *blockWorker) RemoveBlock(_ context.Context, req *alluxiopb.RemoveBlockRequest) (*alluxiopb.RemoveBlockResponse, error) {
	if err := b.w.store.RemoveBlock(req.GetBlockId()); err != nil {
		return nil, err
	}
	return &alluxiopb.RemoveBlockResponse{}, nil
}

// MoveBlock moves a block to the tier whose alias is the medium asked
// for (Alluxio's tiers are named after their media).
func (b *blockWorker) MoveBlock(_ context.Context, req *alluxiopb.MoveBlockRequest) (*alluxiopb.MoveBlockResponse, error) {
	if req.GetMediumType() == "" {
		return nil, fserr.New(fserr.InvalidArgument, "block %d: a move names the medium to move to", req.GetBlockId())
	}
	if err := b.w.store.MoveBlock(req.GetBlockId(), req.GetMediumType()); err != nil {
		return nil, err
	}
	return &alluxiopb.MoveBlockResponse{}, nil
}

// OpenLocalBlock hands a client on this host the block's file and keeps
// the block from eviction until the client closes the call.
func (b *blockWorker) OpenLocalBlock(stream grpc.BidiStreamingServer[alluxiopb.OpenLocalBlockRequest, alluxiopb.OpenLocalBlockResponse]) error {
	req, err := stream.Recv()
	if err != nil {
		return err
	}
	if req.GetPromote() {
		b.promote(req.GetBlockId())
	}
	r, err := b.w.store.OpenBlock(req.GetBlockId())
	if err != nil {
		return err
	}
	defer r.Close()
	if err := stream.Send(&alluxiopb.OpenLocalBlockResponse{Path: proto.String(r.Meta().Path)}); err != nil {
		return err
	}
	b.w.metrics.blocksOpenedLocal.Inc()
	return drain(stream)
}

// CreateLocalBlock starts a block that a client on this host writes into
// the temp file itself (short-circuit); a request with only_reserve_space
// reserves more room, and the client's half-close commits the block,
// which every master is told of before the call ends.
func (b *blockWorker) CreateLocalBlock(stream grpc.BidiStreamingServer[alluxiopb.CreateLocalBlockRequest, alluxiopb.CreateLocalBlockResponse]) error {
	req, err := stream.Recv()
	if err != nil {
		return err
	}
	if req.GetOnlyReserveSpace() || req.GetSpaceToReserve() < 0 {
		return fserr.New(fserr.InvalidArgument, "block %d: a local write starts by creating the block with a non-negative reservation", req.GetBlockId())
	}
	tier, err := b.tierAlias(req.GetTier(), req.GetMediumType())
	if err != nil {
		return err
	}
	temp, err := b.w.store.CreateBlock(rand.Int64(), req.GetBlockId(), tier, req.GetSpaceToReserve())
	if err != nil {
		return err
	}
	return b.fill(stream.Context(), temp, req.GetPinOnCreate(), b.w.metrics.bytesWrittenLocal, func() error {
		answer := &alluxiopb.CreateLocalBlockResponse{Path: proto.String(temp.Path())}
		if err := stream.Send(answer); err != nil {
			return err
		}
		return reserveOnRequest(stream, temp, answer)
	})
}

// reserveOnRequest reserves the room a local writer asks for until it
// half-closes.
func reserveOnRequest(stream grpc.BidiStreamingServer[alluxiopb.CreateLocalBlockRequest, alluxiopb.CreateLocalBlockResponse], temp *blockstore.TempBlock, answer *alluxiopb.CreateLocalBlockResponse) error {
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if !req.GetOnlyReserveSpace() || req.GetBlockId() != temp.ID() {
			return fserr.New(fserr.InvalidArgument, "block %d: a local write's later requests only reserve space for it (block %d asked)", temp.ID(), req.GetBlockId())
		}
		if err := temp.Reserve(req.GetSpaceToReserve()); err != nil {
			return err
		}
		if err := stream.Send(answer); err != nil {
			return err
		}
	}
}

// drain waits for the client to close its side.
func drain[Req, Resp any](stream grpc.BidiStreamingServer[Req, Resp]) error {
	for {
		if _, err := stream.Recv(); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}
