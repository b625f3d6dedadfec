package client

import (
	"context"
	"errors"
	"io"
	"sync/atomic"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/proto/alluxiopb"
)

// OpenOptions are the options of Open.
type OpenOptions struct {
	ReadType ReadType // default CACHE
	// NoShortCircuit reads every block through a worker's ReadBlock
	// stream, even from a worker on this host.
	NoShortCircuit bool
}

// FileReader reads a complete file from the workers holding its blocks,
// or, for a persisted file, through a worker from the UFS. It is an
// io.Reader, io.Seeker and io.ReaderAt; it is not safe for concurrent
// use except through ReadAt.
type FileReader struct {
	c    *Client
	ctx  context.Context
	opts OpenOptions
	info *alluxiopb.FileInfo

	pos int64
	cur rangeReader // the range Read continues, nil when none
	// viaWorker is set once a read of a block's file on this host failed:
	// later reads go through the workers, which verify the block and drop
	// it when it is damaged.
	viaWorker atomic.Bool
}

// maxRereads bounds how many times a read that failed part way (a
// damaged block, a worker gone) starts again from where it stopped.
const maxRereads = 3

// Open opens the complete file at path for reading.
func (c *Client) Open(ctx context.Context, path string, opts OpenOptions) (*FileReader, error) {
	if opts.ReadType == "" {
		opts.ReadType = Cache
	}
	info, err := c.fileInfo(ctx, path)
	if err != nil {
		return nil, err
	}
	if info.GetFolder() {
		return nil, fserr.New(fserr.InvalidArgument, "%s is a directory", path)
	}
	if !info.GetCompleted() {
		return nil, fserr.New(fserr.FailedPrecondition, "%s is still being written (not complete)", path)
	}
	return &FileReader{c: c, ctx: ctx, opts: opts, info: info}, nil
}

// fileInfo is the master's description of path with its blocks'
// locations.
func (c *Client) fileInfo(ctx context.Context, path string) (*alluxiopb.FileInfo, error) {
	var info *alluxiopb.FileInfo
	err := c.invoke(ctx, read, "get status "+path, func(ctx context.Context, mc *masterConn) error {
		resp, err := mc.fs.GetStatus(ctx, &alluxiopb.GetStatusPRequest{Path: proto.String(path), Options: &alluxiopb.GetStatusPOptions{LoadMetadataType: c.loadType}})
		info = resp.GetFileInfo()
		return err
	})
	return info, err
}

// BlockLocation is a worker holding a block.
type BlockLocation struct {
	WorkerID                   int64
	Host                       string
	RPCPort, DataPort, WebPort int32
	Tier                       string
}

// Addr is the worker's host:port.
func (l BlockLocation) Addr() string {
	return workerAddr(&alluxiopb.WorkerNetAddress{Host: proto.String(l.Host), RpcPort: proto.Int32(l.RPCPort), DataPort: proto.Int32(l.DataPort)})
}

// FileBlock is one block of a file and the workers holding it.
type FileBlock struct {
	ID, Offset, Length int64
	Locations          []BlockLocation
}

// FileBlocks lists the blocks of the file at path with their locations.
func (c *Client) FileBlocks(ctx context.Context, path string) ([]FileBlock, error) {
	info, err := c.fileInfo(ctx, path)
	if err != nil {
		return nil, err
	}
	out := make([]FileBlock, len(info.GetFileBlockInfos()))
	for i, b := range info.GetFileBlockInfos() {
		bi := b.GetBlockInfo()
		out[i] = FileBlock{ID: bi.GetBlockId(), Offset: b.GetOffset(), Length: bi.GetLength()}
		for _, l := range bi.GetLocations() {
			a := l.GetWorkerAddress()
			out[i].Locations = append(out[i].Locations, BlockLocation{WorkerID: l.GetWorkerId(), Host: a.GetHost(),
				RPCPort: a.GetRpcPort(), DataPort: a.GetDataPort(), WebPort: a.GetWebPort(), Tier: l.GetTierAlias()})
		}
	}
	return out, nil
}

// Length is the file's length.
func (r *FileReader) Length() int64 { return r.info.GetLength() }

// Read reads from the current position. A range that fails part way is
// read again from where it stopped, from another copy or the UFS.
func (r *FileReader) Read(p []byte) (int, error) {
	if r.pos >= r.Length() {
		return 0, io.EOF
	}
	for attempt := 0; ; attempt++ {
		n, err := r.readCurrent(p)
		switch {
		case err == nil || attempt == maxRereads:
			return n, err
		case n > 0:
			// The next Read starts again where this one stopped.
			return n, nil
		}
		r.c.logger.Warn("read failed part way, reading again", "path", r.info.GetPath(), "offset", r.pos, "error", err)
	}
}

func (r *FileReader) readCurrent(p []byte) (int, error) {
	if r.cur == nil {
		cur, err := r.openAt(r.pos, r.blockEnd(r.pos)-r.pos)
		if err != nil {
			return 0, err
		}
		r.cur = cur
	}
	n, err := r.cur.Read(p)
	r.pos += int64(n)
	switch {
	case errors.Is(err, io.EOF):
		err = nil
	case err != nil:
		r.giveUpShortCircuit(r.cur)
	default:
		return n, nil
	}
	r.cur.close()
	r.cur = nil
	return n, err
}

// giveUpShortCircuit sends later reads through the workers when a read
// of a block's file on this host failed.
func (r *FileReader) giveUpShortCircuit(failed rangeReader) {
	if _, local := failed.(*localReader); local {
		r.viaWorker.Store(true)
	}
}

// ReadAt reads len(p) bytes at off, from as many blocks as they span.
// A range that fails part way is read again from where it stopped.
func (r *FileReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fserr.New(fserr.InvalidArgument, "negative offset %d", off)
	}
	done, failures := 0, 0
	for done < len(p) && off < r.Length() {
		want := min(int64(len(p)-done), r.blockEnd(off)-off)
		n, err := r.readRange(p[done:done+int(want)], off)
		done += n
		off += int64(n)
		if err != nil {
			if failures++; failures > maxRereads {
				return done, err
			}
			r.c.logger.Warn("read failed part way, reading again", "path", r.info.GetPath(), "offset", off, "error", err)
		}
	}
	if done < len(p) {
		return done, io.EOF
	}
	return done, nil
}

// readRange fills p, within one block, from off.
func (r *FileReader) readRange(p []byte, off int64) (int, error) {
	br, err := r.openAt(off, int64(len(p)))
	if err != nil {
		return 0, err
	}
	defer br.close()
	n, err := io.ReadFull(br, p)
	if err != nil {
		r.giveUpShortCircuit(br)
		return n, br.failure(err)
	}
	return n, nil
}

// Seek moves the position Read reads from.
func (r *FileReader) Seek(offset int64, whence int) (int64, error) {
	pos := offset
	switch whence {
	case io.SeekCurrent:
		pos += r.pos
	case io.SeekEnd:
		pos += r.Length()
	}
	if pos < 0 {
		return r.pos, fserr.New(fserr.InvalidArgument, "seek to negative position %d", pos)
	}
	if pos != r.pos && r.cur != nil {
		r.cur.close()
		r.cur = nil
	}
	r.pos = pos
	return pos, nil
}

// Close ends the stream in progress.
func (r *FileReader) Close() error {
	if r.cur != nil {
		r.cur.close()
		r.cur = nil
	}
	return nil
}

func (r *FileReader) blockSize() int64 {
	if bs := r.info.GetBlockSizeBytes(); bs > 0 {
		return bs
	}
	return r.Length()
}

// blockEnd is where the block holding off ends.
func (r *FileReader) blockEnd(off int64) int64 {
	bs := r.blockSize()
	return min(r.Length(), (off/bs+1)*bs)
}

// openAt starts reading length bytes at off, within one block: from a
// worker holding it, else (persisted files) through a worker from the
// UFS, trying the next worker when one fails.
func (r *FileReader) openAt(off, length int64) (rangeReader, error) {
	bs := r.blockSize()
	index := int(off / bs)
	blocks := r.info.GetFileBlockInfos()
	persisted := r.info.GetPersisted()
	if index >= len(blocks) && !persisted {
		return nil, fserr.New(fserr.NotFound, "%s has no block %d", r.info.GetPath(), index)
	}
	req := &alluxiopb.ReadRequest{
		Offset: proto.Int64(off - int64(index)*bs), Length: proto.Int64(length), ChunkSize: proto.Int64(chunkSize),
		Promote: proto.Bool(r.opts.ReadType == CachePromote),
	}
	var holders []string
	var blockLength int64
	if index < len(blocks) {
		blockLength = blocks[index].GetBlockInfo().GetLength()
		req.BlockId = proto.Int64(blocks[index].GetBlockInfo().GetBlockId())
		for _, l := range blocks[index].GetBlockInfo().GetLocations() {
			holders = append(holders, workerAddr(l.GetWorkerAddress()))
		}
	} else {
		req.BlockId = proto.Int64(ufsOnlyBlock(r.info, index))
	}
	if persisted {
		req.OpenUfsBlockOptions = &alluxiopb.OpenUfsBlockOptions{
			UfsPath: proto.String(r.info.GetUfsPath()), OffsetInFile: proto.Int64(int64(index) * bs),
			BlockSize: proto.Int64(min(bs, r.Length()-int64(index)*bs)), MountId: proto.Int64(r.info.GetMountId()),
			NoCache: proto.Bool(r.opts.ReadType == NoCache),
		}
	}
	if !r.opts.NoShortCircuit && !r.viaWorker.Load() {
		if local := r.c.openLocalHolder(r.ctx, req, holders, blockLength); local != nil {
			return local, nil
		}
	}
	return r.c.openBlockReader(r.ctx, r.info.GetPath(), req, holders, persisted)
}

// ufsOnlyBlock names block index of a file that has no cached blocks
// (written THROUGH, or loaded from the UFS): its id by the namespace's
// convention, under which a worker caches it.
func ufsOnlyBlock(info *alluxiopb.FileInfo, index int) int64 {
	if ids := info.GetBlockIds(); index < len(ids) {
		return ids[index]
	}
	return info.GetFileId()<<fsm.BlockSequenceBits | int64(index)
}

type readStream = grpc.BidiStreamingClient[alluxiopb.ReadRequest, alluxiopb.ReadResponse]

// openLocalHolder opens the block's file at the first holder on this
// host, nil when none is or it cannot be read from here.
func (c *Client) openLocalHolder(ctx context.Context, req *alluxiopb.ReadRequest, holders []string, blockLength int64) rangeReader {
	for _, addr := range holders {
		if !isLocalAddr(addr) {
			continue
		}
		local, err := c.openLocal(ctx, addr, req, blockLength)
		if err == nil {
			return local
		}
		c.logger.Debug("short-circuit read refused, reading through the worker", "worker", addr, "block", req.GetBlockId(), "error", err)
	}
	return nil
}

// openBlockReader tries the holders, then, for a persisted file, any
// worker reading the UFS.
func (c *Client) openBlockReader(ctx context.Context, path string, req *alluxiopb.ReadRequest, holders []string, persisted bool) (*blockReader, error) {
	failed := map[string]bool{}
	var lastErr error
	for _, addr := range holders {
		br, err := c.startRead(ctx, addr, req)
		if err == nil {
			return br, nil
		}
		failed[addr], lastErr = true, err
	}
	if !persisted {
		if len(holders) == 0 {
			return nil, fserr.New(fserr.FailedPrecondition, "block %d of %s is held by no worker, and the file was only cached (MUST_CACHE, not persisted): its data is lost", req.GetBlockId(), path)
		}
		return nil, fserr.New(fserr.Unavailable, "block %d of %s: no worker holding it answered, and the file was only cached (MUST_CACHE, not persisted): %v", req.GetBlockId(), path, lastErr)
	}
	for range 8 {
		addr, err := c.pickWorker(ctx, failed)
		if err != nil {
			return nil, errors.Join(err, lastErr)
		}
		br, err := c.startRead(ctx, addr, req)
		if err == nil {
			return br, nil
		}
		failed[addr], lastErr = true, err
	}
	return nil, fserr.New(fserr.Unavailable, "block %d of %s: no worker could read it from the UFS: %v", req.GetBlockId(), path, lastErr)
}

// startRead asks addr for the range.
func (c *Client) startRead(ctx context.Context, addr string, req *alluxiopb.ReadRequest) (*blockReader, error) {
	worker, err := c.workerConn(addr)
	if err != nil {
		return nil, err
	}
	br, err := openBlock(ctx, worker, req)
	if err != nil {
		return nil, fserr.New(fserr.Unavailable, "reading block %d from worker %s: %v", req.GetBlockId(), addr, err)
	}
	return br, nil
}

// OpenBlock reads the range req names from a worker; a master's persister
// reads the blocks of files being persisted through it.
func OpenBlock(ctx context.Context, worker alluxiopb.BlockWorkerClient, req *alluxiopb.ReadRequest) (io.ReadCloser, error) {
	return openBlock(ctx, worker, req)
}

// openBlock starts the read and waits for its first chunk, so that a
// worker that cannot serve it is known before any byte is used.
func openBlock(ctx context.Context, worker alluxiopb.BlockWorkerClient, req *alluxiopb.ReadRequest) (*blockReader, error) {
	sctx, cancel := context.WithCancel(ctx)
	stream, err := worker.ReadBlock(sctx)
	if err == nil {
		err = stream.Send(req)
	}
	br := &blockReader{stream: stream, cancel: cancel, id: req.GetBlockId(), want: req.GetLength(), offset: req.GetOffset()}
	if err == nil && br.want > 0 {
		err = br.fill()
	}
	if err != nil {
		cancel()
		return nil, err
	}
	return br, nil
}

// blockReader is one ReadBlock stream, acknowledged as it is read.
type blockReader struct {
	stream   readStream
	cancel   context.CancelFunc
	id       int64
	offset   int64 // in the block, of the next byte Read returns
	want     int64 // bytes still to read
	buf      []byte
	received int64
}

func (b *blockReader) fill() error {
	resp, err := b.stream.Recv()
	if err != nil {
		return err
	}
	b.buf = resp.GetChunk().GetData()
	b.received += int64(len(b.buf))
	// A worker that ended the call makes Send fail with io.EOF; the next
	// Recv then says why, or that the data is all there.
	if err := b.stream.Send(&alluxiopb.ReadRequest{BlockId: proto.Int64(b.id), OffsetReceived: proto.Int64(b.offset + b.received)}); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

func (b *blockReader) Read(p []byte) (int, error) {
	if b.want <= 0 {
		return 0, io.EOF
	}
	for len(b.buf) == 0 {
		if err := b.fill(); err != nil {
			if errors.Is(err, io.EOF) {
				return 0, fserr.New(fserr.Unavailable, "block %d: the worker ended the read %d bytes short", b.id, b.want)
			}
			return 0, b.failure(err)
		}
	}
	n := copy(p[:min(int64(len(p)), b.want)], b.buf)
	b.buf = b.buf[n:]
	b.want -= int64(n)
	return n, nil
}

func (b *blockReader) failure(err error) error {
	var typed *fserr.Error
	if errors.As(err, &typed) {
		return err
	}
	return fserr.New(fserr.Unavailable, "reading block %d: %v", b.id, err)
}

func (b *blockReader) close() {
	b.stream.CloseSend()
	b.cancel()
}

// Close ends the read.
func (b *blockReader) Close() error {
	b.close()
	return nil
}
