package client

import (
	"context"
	"errors"
	"io"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/proto/alluxiopb"
)

// WriteType is where a write puts the file's bytes, Alluxio's
// alluxio.user.file.writetype.default.
type WriteType string

// Alluxio's write types.
const (
	MustCache    WriteType = "MUST_CACHE"
	CacheThrough WriteType = "CACHE_THROUGH"
	Through      WriteType = "THROUGH"
	AsyncThrough WriteType = "ASYNC_THROUGH"
)

// ReadType is whether a read caches what it reads, Alluxio's
// alluxio.user.file.readtype.default.
type ReadType string

// Alluxio's read types.
const (
	Cache        ReadType = "CACHE"
	CachePromote ReadType = "CACHE_PROMOTE"
	NoCache      ReadType = "NO_CACHE"
)

// DefaultBlockSize is alluxio.user.block.size.bytes.default.
const DefaultBlockSize = 64 << 20

// chunkSize is how many bytes one message of a block stream carries
// (alluxio.user.streaming.writer.chunk.size.bytes).
const chunkSize = 1 << 20

// ParseWriteType reads a write type's name, as in Alluxio any case.
func ParseWriteType(s string) (WriteType, error) {
	t := WriteType(strings.ToUpper(s))
	if _, ok := alluxiopb.WritePType_value[string(t)]; !ok || t == "NONE" || t == "TRY_CACHE" {
		return "", fserr.New(fserr.InvalidArgument, "unknown write type %q: MUST_CACHE, CACHE_THROUGH, THROUGH or ASYNC_THROUGH", s)
	}
	return t, nil
}

// ParseReadType reads a read type's name, as in Alluxio any case.
func ParseReadType(s string) (ReadType, error) {
	t := ReadType(strings.ToUpper(s))
	if _, ok := alluxiopb.ReadPType_value[string(t)]; !ok {
		return "", fserr.New(fserr.InvalidArgument, "unknown read type %q: CACHE, CACHE_PROMOTE or NO_CACHE", s)
	}
	return t, nil
}

func (t WriteType) cached() bool  { return t == MustCache || t == CacheThrough || t == AsyncThrough }
func (t WriteType) through() bool { return t == CacheThrough || t == Through }

// CreateOptions are the options of Create.
type CreateOptions struct {
	WriteType WriteType // default ASYNC_THROUGH, as Alluxio's
	BlockSize int64     // default DefaultBlockSize
	Mode      uint32    // 0: the master's default
	Recursive bool
	// NoShortCircuit sends every block through a worker's WriteBlock
	// stream, even to a worker on this host.
	NoShortCircuit bool
}

// FileWriter writes a new file: its blocks to workers, and for the
// through types the whole file to the UFS through one worker. Nothing of
// it is visible as complete until Close returns nil.
type FileWriter struct {
	c      *Client
	ctx    context.Context
	cancel context.CancelFunc
	path   string
	opts   CreateOptions
	info   *alluxiopb.FileInfo

	written int64
	block   blockSink  // the block being written, nil between blocks
	ufs     *ufsWriter // the UFS copy, for the through types
	failed  error
	// pending holds written bytes not sent yet: they go out in whole
	// chunks, as Alluxio's client sends them, whatever the size of the
	// caller's writes (io.Copy's 32 KiB, or a byte at a time).
	pending []byte
}

// Create creates path and returns a writer for its bytes.
func (c *Client) Create(ctx context.Context, path string, opts CreateOptions) (*FileWriter, error) {
	if opts.WriteType == "" {
		opts.WriteType = AsyncThrough
	}
	if opts.BlockSize <= 0 {
		opts.BlockSize = DefaultBlockSize
	}
	var info *alluxiopb.FileInfo
	err := c.mutate(ctx, "create file "+path, func(ctx context.Context, mc *masterConn, id opID) error {
		resp, err := mc.fs.CreateFile(ctx, &alluxiopb.CreateFilePRequest{Path: proto.String(path), Options: &alluxiopb.CreateFilePOptions{
			Recursive:      proto.Bool(opts.Recursive),
			Mode:           defaultOr(opts.Mode),
			BlockSizeBytes: proto.Int64(opts.BlockSize),
			WriteType:      alluxiopb.WritePType(alluxiopb.WritePType_value[string(opts.WriteType)]).Enum(),
			CommonOptions:  id.common(),
		}})
		info = resp.GetFileInfo()
		return err
	})
	if err != nil {
		return nil, err
	}
	wctx, cancel := context.WithCancel(ctx)
	w := &FileWriter{c: c, ctx: wctx, cancel: cancel, path: path, opts: opts, info: info}
	if opts.WriteType.through() {
		if w.ufs, err = c.openUfsWriter(wctx, info); err != nil {
			w.Abort()
			return nil, err
		}
	}
	return w, nil
}

// Write writes p to the file.
func (w *FileWriter) Write(p []byte) (int, error) {
	if w.failed != nil {
		return 0, w.failed
	}
	done := 0
	for done < len(p) {
		if len(w.pending) == 0 && len(p)-done >= chunkSize {
			whole := (len(p) - done) / chunkSize * chunkSize
			n, err := w.send(p[done : done+whole])
			done += n
			if err != nil {
				return done, err
			}
			continue
		}
		if w.pending == nil {
			w.pending = make([]byte, 0, chunkSize)
		}
		n := copy(w.pending[len(w.pending):cap(w.pending)], p[done:])
		w.pending = w.pending[:len(w.pending)+n]
		done += n
		if len(w.pending) == cap(w.pending) {
			if err := w.flush(); err != nil {
				return done, err
			}
		}
	}
	return done, nil
}

// send writes p out; an error fails the writer.
func (w *FileWriter) send(p []byte) (int, error) {
	n, err := w.write(p)
	if err != nil {
		w.failed = err
	}
	return n, err
}

// flush sends the pending bytes.
func (w *FileWriter) flush() error {
	_, err := w.send(w.pending)
	w.pending = w.pending[:0]
	return err
}

func (w *FileWriter) write(p []byte) (int, error) {
	done := 0
	for done < len(p) {
		part := p[done:min(len(p), done+chunkSize)]
		if w.opts.WriteType.cached() {
			var err error
			if part, err = w.writeCached(part); err != nil {
				return done, err
			}
		}
		if w.ufs != nil {
			if err := w.ufs.send(part); err != nil {
				return done, err
			}
		}
		done += len(part)
		w.written += int64(len(part))
	}
	return done, nil
}

// writeCached writes as much of part as the current block takes, opening
// a block first when none is, and returns what it wrote.
func (w *FileWriter) writeCached(part []byte) ([]byte, error) {
	if w.block == nil {
		b, err := w.c.openBlockWriter(w.ctx, w.path, blockWriteOptions{
			size: w.opts.BlockSize, shortCircuit: !w.opts.NoShortCircuit, pinOnCreate: w.opts.WriteType == AsyncThrough,
		})
		if err != nil {
			return nil, err
		}
		w.block = b
	}
	part = part[:min(int64(len(part)), w.opts.BlockSize-w.block.size())]
	if err := w.block.send(part); err != nil {
		return nil, err
	}
	if w.block.size() == w.opts.BlockSize {
		err := w.block.close()
		w.block = nil
		return part, err
	}
	return part, nil
}

// Close finishes the blocks and the UFS copy and completes the file on
// the master with its length; on any failure the file is left incomplete
// (and deleted), never complete with part of the bytes.
func (w *FileWriter) Close() error {
	if w.failed != nil {
		w.Abort()
		return w.failed
	}
	err := w.finish()
	if err != nil {
		w.Abort()
		return err
	}
	w.cancel()
	return nil
}

func (w *FileWriter) finish() error {
	if len(w.pending) > 0 {
		if err := w.flush(); err != nil {
			return err
		}
	}
	if w.block != nil {
		err := w.block.close()
		w.block = nil
		if err != nil {
			return err
		}
	}
	if w.ufs != nil {
		if err := w.ufs.close(w.written); err != nil {
			return err
		}
		w.ufs = nil
	}
	return w.c.completeFile(w.ctx, w.path, w.written, w.opts.WriteType == AsyncThrough)
}

// Abort gives the write up: streams are cancelled and the incomplete
// file is deleted, as Alluxio's client does on cancel.
func (w *FileWriter) Abort() {
	w.cancel()
	if err := w.c.Delete(context.WithoutCancel(w.ctx), w.path, false); err != nil {
		w.c.logger.Debug("abandoned file not deleted", "path", w.path, "error", err)
	}
}

// Written is how many bytes were written so far.
func (w *FileWriter) Written() int64 { return w.written + int64(len(w.pending)) }

type writeStream = grpc.BidiStreamingClient[alluxiopb.WriteRequest, alluxiopb.WriteResponse]

// blockSink takes the bytes of one new block, on a worker.
type blockSink interface {
	send(p []byte) error
	size() int64
	// close commits the block: it returns once every master knows.
	close() error
}

// blockWriter streams one block to a worker.
type blockWriter struct {
	id      int64
	stream  writeStream
	written int64
}

// blockWriteOptions are how a new block is written.
type blockWriteOptions struct {
	size int64 // the room reserved, the file's block size
	// shortCircuit writes the block's file directly when the worker is on
	// this host.
	shortCircuit bool
	// pinOnCreate asks the worker to keep the block from eviction until
	// it has the master's word on the file, as Alluxio's client asks for
	// ASYNC_THROUGH writes, whose blocks are the only copy until the
	// persister has copied them.
	pinOnCreate bool
}

// openBlockWriter starts a new block of path on the preferred worker.
func (c *Client) openBlockWriter(ctx context.Context, path string, opts blockWriteOptions) (blockSink, error) {
	var id int64
	err := c.invoke(ctx, read, "new block of "+path, func(ctx context.Context, mc *masterConn) error {
		resp, err := mc.fs.GetNewBlockIdForFile(ctx, &alluxiopb.GetNewBlockIdForFilePRequest{Path: proto.String(path), Options: &alluxiopb.GetNewBlockIdForFilePOptions{}})
		id = resp.GetId()
		return err
	})
	if err != nil {
		return nil, err
	}
	cmd := &alluxiopb.WriteRequestCommand{
		Type: alluxiopb.RequestType_ALLUXIO_BLOCK.Enum(), Id: proto.Int64(id), Tier: proto.Int32(0), SpaceToReserve: proto.Int64(opts.size),
		PinOnCreate: proto.Bool(opts.pinOnCreate),
	}
	var sink blockSink
	err = c.onSomeWorker(ctx, func(addr string) error {
		if opts.shortCircuit && isLocalAddr(addr) {
			local, err := c.createLocal(ctx, addr, id, opts)
			if err == nil {
				sink = local
				return nil
			}
			c.logger.Debug("short-circuit write refused, writing through the worker", "worker", addr, "block", id, "error", err)
		}
		stream, err := c.startWrite(ctx, addr, cmd)
		sink = &blockWriter{id: id, stream: stream}
		return err
	})
	return sink, err
}

// openWriteStream starts a write on the preferred worker, trying the
// next one when a worker cannot be reached.
func (c *Client) openWriteStream(ctx context.Context, cmd *alluxiopb.WriteRequestCommand) (writeStream, error) {
	var stream writeStream
	err := c.onSomeWorker(ctx, func(addr string) (err error) {
		stream, err = c.startWrite(ctx, addr, cmd)
		return err
	})
	return stream, err
}

// onSomeWorker runs start with the preferred worker, then with the next
// one each time start fails, until none is left.
func (c *Client) onSomeWorker(ctx context.Context, start func(addr string) error) error {
	failed := map[string]bool{}
	for {
		addr, err := c.pickWorker(ctx, failed)
		if err != nil {
			return err
		}
		if err = start(addr); err == nil {
			return nil
		}
		c.logger.Debug("worker refused a write", "worker", addr, "error", err)
		failed[addr] = true
	}
}

// startWrite sends cmd to the worker at addr on a new WriteBlock stream.
func (c *Client) startWrite(ctx context.Context, addr string, cmd *alluxiopb.WriteRequestCommand) (writeStream, error) {
	worker, err := c.workerConn(addr)
	if err != nil {
		return nil, err
	}
	stream, err := worker.WriteBlock(ctx)
	if err == nil {
		err = stream.Send(&alluxiopb.WriteRequest{Value: &alluxiopb.WriteRequest_Command{Command: cmd}})
	}
	return stream, err
}

func (b *blockWriter) send(p []byte) error {
	if err := b.stream.Send(&alluxiopb.WriteRequest{Value: &alluxiopb.WriteRequest_Chunk{Chunk: &alluxiopb.Chunk{Data: p}}}); err != nil {
		return b.failure(err)
	}
	b.written += int64(len(p))
	return nil
}

func (b *blockWriter) size() int64 { return b.written }

// close commits the block: the worker answers once every master knows.
func (b *blockWriter) close() error {
	if err := b.stream.CloseSend(); err != nil {
		return b.failure(err)
	}
	for {
		_, err := b.stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return b.failure(err)
		}
	}
}

// failure is the worker's own error when a send failed because the
// worker ended the call.
func (b *blockWriter) failure(err error) error {
	if errors.Is(err, io.EOF) {
		_, err = b.stream.Recv()
	}
	return fserr.New(fserr.Unavailable, "writing block %d to a worker: %v", b.id, err)
}

// ufsWriter streams the whole file to the UFS through a worker.
type ufsWriter struct {
	path   string
	stream writeStream
}

func (c *Client) openUfsWriter(ctx context.Context, info *alluxiopb.FileInfo) (*ufsWriter, error) {
	stream, err := c.openWriteStream(ctx, &alluxiopb.WriteRequestCommand{
		Type: alluxiopb.RequestType_UFS_FILE.Enum(), Id: proto.Int64(-1), Tier: proto.Int32(0),
		CreateUfsFileOptions: &alluxiopb.CreateUfsFileOptions{
			UfsPath: proto.String(info.GetUfsPath()), Owner: proto.String(info.GetOwner()), Group: proto.String(info.GetGroup()),
			Mode: proto.Int32(info.GetMode()), MountId: proto.Int64(info.GetMountId()),
		},
	})
	if err != nil {
		return nil, err
	}
	return &ufsWriter{path: info.GetUfsPath(), stream: stream}, nil
}

func (u *ufsWriter) send(p []byte) error {
	if err := u.stream.Send(&alluxiopb.WriteRequest{Value: &alluxiopb.WriteRequest_Chunk{Chunk: &alluxiopb.Chunk{Data: p}}}); err != nil {
		return u.failure(err)
	}
	return nil
}

// close publishes the UFS file and checks the worker wrote all of it.
func (u *ufsWriter) close(length int64) error {
	if err := u.stream.CloseSend(); err != nil {
		return u.failure(err)
	}
	resp, err := u.stream.Recv()
	if err != nil {
		return u.failure(err)
	}
	if resp.GetOffset() != length {
		return fserr.New(fserr.Unavailable, "the worker wrote %d bytes of %d to %s", resp.GetOffset(), length, u.path)
	}
	for {
		if _, err := u.stream.Recv(); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return u.failure(err)
		}
	}
}

func (u *ufsWriter) failure(err error) error {
	if errors.Is(err, io.EOF) {
		_, err = u.stream.Recv()
	}
	return fserr.New(fserr.Unavailable, "writing %s to the UFS through a worker: %v", u.path, err)
}
