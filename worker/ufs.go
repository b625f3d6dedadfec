package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/journal"
	"github.com/halo-fs/halo/proto/alluxiopb"
	"github.com/halo-fs/halo/ufs"
	"github.com/halo-fs/halo/ufs/adapters"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

// mountStores opens each mount's UFS once, as the masters describe it
// (GetUfsInfo): clients name a UFS file by its full path and its mount id.
type mountStores struct {
	mu     sync.Mutex
	stores map[int64]ufs.Store
}

// ufsFile is the UFS of mount mountID and the path of ufsPath, a full
// UFS URI or path, inside it.
func (w *Worker) ufsFile(ctx context.Context, mountID int64, ufsPath string) (ufs.Store, string, error) {
	store, err := w.mountStore(ctx, mountID)
	if err != nil {
		return nil, "", err
	}
	rel, ok := ufs.PathUnder(store.URI(), ufsPath)
	if !ok {
		return nil, "", fserr.New(fserr.InvalidArgument, "UFS path %q is not under mount %d's UFS %s", ufsPath, mountID, store.URI())
	}
	return store, rel, nil
}

func (w *Worker) mountStore(ctx context.Context, mountID int64) (ufs.Store, error) {
	w.mounts.mu.Lock()
	defer w.mounts.mu.Unlock()
	if s, ok := w.mounts.stores[mountID]; ok {
		return s, nil
	}
	info, err := w.ufsInfo(ctx, mountID)
	if err != nil {
		return nil, err
	}
	store, err := adapters.Open(ctx, info.GetUri(), info.GetProperties().GetProperties())
	if err != nil {
		return nil, fserr.New(fserr.Unavailable, "opening mount %d's UFS %s: %v", mountID, info.GetUri(), err)
	}
	if w.mounts.stores == nil {
		w.mounts.stores = map[int64]ufs.Store{}
	}
	w.mounts.stores[mountID] = store
	return store, nil
}

// ufsInfo asks the masters, in turn, where mount id's UFS is.
func (w *Worker) ufsInfo(ctx context.Context, mountID int64) (*alluxiopb.UfsInfo, error) {
	var errs []error
	for _, l := range w.allLinks() {
		conn, callCtx, cancel, err := l.channelCall(ctx, w.cfg.CallTimeout)
		if err != nil {
			continue
		}
		resp, err := alluxiopb.NewFileSystemMasterWorkerServiceClient(conn).GetUfsInfo(callCtx, &alluxiopb.GetUfsInfoPRequest{MountId: proto.Int64(mountID)})
		cancel()
		if err == nil {
			return resp.GetUfsInfo(), nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", l.addr, err))
	}
	return nil, fserr.New(fserr.Unavailable, "no master told this worker where mount %d's UFS is: %v", mountID, errors.Join(errs...))
}

// writeUfsFile writes a whole file to the UFS from a UFS_FILE write: the
// client's half-close publishes it, and the answer names its length.
func (b *blockWorker) writeUfsFile(stream grpc.BidiStreamingServer[alluxiopb.WriteRequest, alluxiopb.WriteResponse], cmd *alluxiopb.WriteRequestCommand) error {
	o := cmd.GetCreateUfsFileOptions()
	if o.GetUfsPath() == "" {
		return fserr.New(fserr.InvalidArgument, "a UFS file write must name the UFS path (create_ufs_file_options)")
	}
	ctx := stream.Context()
	store, rel, err := b.w.ufsFile(ctx, o.GetMountId(), o.GetUfsPath())
	if err != nil {
		return err
	}
	out, err := store.Create(ctx, rel, ufs.CreateOptions{Overwrite: true, Mode: uint32(o.GetMode()) & 0o777})
	if err != nil {
		return fserr.New(fserr.Unavailable, "creating %s in the UFS: %v", o.GetUfsPath(), err)
	}
	defer out.Abort()
	counted := &journal.CountingWriter{W: out}
	if err := receiveChunks(stream, counted, func() int64 { return counted.N }, -1); err != nil {
		return err
	}
	if err := out.Close(); err != nil {
		return fserr.New(fserr.Unavailable, "publishing %s in the UFS: %v", o.GetUfsPath(), err)
	}
	return stream.Send(&alluxiopb.WriteResponse{Offset: proto.Int64(counted.N), ContentHash: proto.String(fmt.Sprintf("(len:%d)", counted.N))})
}

// readFromUfs serves a read of a block no tier holds from the persisted
// file's UFS copy; unless the client asked for no cache, the whole block
// is first cached, committed and then read as any cached block.
func (b *blockWorker) readFromUfs(stream grpc.BidiStreamingServer[alluxiopb.ReadRequest, alluxiopb.ReadResponse], req *alluxiopb.ReadRequest) error {
	o := req.GetOpenUfsBlockOptions()
	ctx := stream.Context()
	store, rel, err := b.w.ufsFile(ctx, o.GetMountId(), o.GetUfsPath())
	if err != nil {
		return err
	}
	if !o.GetNoCache() {
		err := b.cacheFromUfs(ctx, store, rel, req)
		if err == nil {
			return b.serveCached(stream, req)
		}
		b.w.log.Debug("block not cached from the UFS; serving it uncached", "block", req.GetBlockId(), "error", err)
	}
	in, err := store.OpenRange(ctx, rel, o.GetOffsetInFile()+req.GetOffset(), req.GetLength())
	if err != nil {
		return fserr.New(fserr.Unavailable, "reading block %d from %s: %v", req.GetBlockId(), o.GetUfsPath(), err)
	}
	defer in.Close()
	acks := newAckWindow(req.GetOffset())
	go acks.follow(stream)
	readNext := func(buf []byte, _ int64) error {
		if _, err := io.ReadFull(in, buf); err != nil {
			return fserr.New(fserr.FailedPrecondition, "block %d: the UFS file %s ended before the block's range: %v", req.GetBlockId(), o.GetUfsPath(), err)
		}
		return nil
	}
	return sendRange(stream, readNext, req.GetOffset(), req.GetOffset()+req.GetLength(), readChunk(req), acks)
}

// cacheFromUfs copies the block's range of the UFS file into the store.
func (b *blockWorker) cacheFromUfs(ctx context.Context, store ufs.Store, rel string, req *alluxiopb.ReadRequest) error {
	o := req.GetOpenUfsBlockOptions()
	in, err := store.OpenRange(ctx, rel, o.GetOffsetInFile(), o.GetBlockSize())
	if err != nil {
		return err
	}
	defer in.Close()
	tiers := b.w.cfg.Store.Tiers
	if len(tiers) == 0 {
		return errors.New("the worker has no tier")
	}
	temp, err := b.w.store.CreateBlock(rand.Int64(), req.GetBlockId(), tiers[0].Alias, o.GetBlockSize())
	if err != nil {
		return err
	}
	return b.fill(ctx, temp, false, b.w.metrics.bytesWritten, func() error {
		n, err := io.Copy(temp, in)
		if err == nil && n != o.GetBlockSize() && n < req.GetOffset()+req.GetLength() {
			err = fmt.Errorf("the UFS file holds %d bytes of block %d, %d asked", n, req.GetBlockId(), req.GetOffset()+req.GetLength())
		}
		return err
	})
}

// recommit tells the masters again of a block the worker already holds,
// when asked to cache it, and says whether it still holds it after. The
// master may have freed it (a free, then a load) with the drop still
// waiting for the next heartbeat: the commit calls the drop off, and a
// drop that came first is seen here, so that the caller caches the block
// anew.
func (b *blockWorker) recommit(ctx context.Context, blockID int64) bool {
	meta, err := b.w.store.BlockMeta(blockID)
	if err != nil {
		return false
	}
	b.w.commitBlock(ctx, meta)
	return b.w.store.HasBlock(blockID)
}

// Cache caches a block of a persisted file from the UFS, as Alluxio's
// client asks after reading it from a worker that did not cache it; with
// async the answer comes at once and the copy goes on while the worker
// runs. Copying a block from another worker (no UFS path) is not served.
func (b *blockWorker) Cache(ctx context.Context, req *alluxiopb.CacheRequest) (*alluxiopb.CacheResponse, error) {
	if b.recommit(ctx, req.GetBlockId()) {
		return &alluxiopb.CacheResponse{}, nil
	}
	if req.GetOpenUfsBlockOptions().GetUfsPath() == "" {
		return nil, fserr.New(fserr.Unimplemented, "block %d: caching a block from another worker is not served; only from the UFS", req.GetBlockId())
	}
	read := &alluxiopb.ReadRequest{BlockId: req.BlockId, Offset: proto.Int64(0), Length: proto.Int64(req.GetOpenUfsBlockOptions().GetBlockSize()), OpenUfsBlockOptions: req.GetOpenUfsBlockOptions()}
	cache := func(ctx context.Context) error {
		store, rel, err := b.w.ufsFile(ctx, req.GetOpenUfsBlockOptions().GetMountId(), req.GetOpenUfsBlockOptions().GetUfsPath())
		if err != nil {
			return err
		}
		return b.cacheFromUfs(ctx, store, rel, read)
	}
	if !req.GetAsync() {
		if err := cache(ctx); err != nil {
			return nil, err
		}
		return &alluxiopb.CacheResponse{}, nil
	}
	b.w.wg.Add(1)
	go func() {
		defer b.w.wg.Done()
		if err := cache(b.w.ctx); err != nil {
			b.w.log.Debug("block not cached from the UFS", "block", req.GetBlockId(), "error", err)
		}
	}()
	return &alluxiopb.CacheResponse{}, nil
}
