package client

import (
	"context"
	"slices"

	"google.golang.org/protobuf/proto"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/proto/alluxiopb"
)

// SchedulePersist asks the leader to copy the complete file at path to the
// UFS in the background, as an ASYNC_THROUGH write does (Alluxio's
// ScheduleAsyncPersistence). A file already persisted is left as it is.
func (c *Client) SchedulePersist(ctx context.Context, path string) error {
	return c.mutate(ctx, "persist "+path, func(ctx context.Context, mc *masterConn, id opID) error {
		_, err := mc.fs.ScheduleAsyncPersistence(ctx, &alluxiopb.ScheduleAsyncPersistencePRequest{
			Path: proto.String(path), Options: &alluxiopb.ScheduleAsyncPersistencePOptions{CommonOptions: id.common()},
		})
		return err
	})
}

// Load has workers cache, from the UFS, the blocks of the persisted file
// at path that no worker holds; with local, the blocks that no worker on
// this machine holds, into one on this machine. It returns how many blocks
// it had cached.
func (c *Client) Load(ctx context.Context, path string, local bool) (int, error) {
	info, err := c.fileInfo(ctx, path)
	if err != nil {
		return 0, err
	}
	if info.GetFolder() {
		return 0, fserr.New(fserr.InvalidArgument, "%s is a directory: load takes a file", path)
	}
	target, err := c.loadTarget(ctx, local)
	if err != nil {
		return 0, err
	}
	bs := info.GetBlockSizeBytes()
	if bs <= 0 {
		bs = max(info.GetLength(), 1)
	}
	loaded := 0
	for index := 0; int64(index)*bs < info.GetLength(); index++ {
		if heldAsWanted(info, index, local) {
			continue
		}
		if !info.GetPersisted() {
			return loaded, fserr.New(fserr.FailedPrecondition, "cannot load block %d of %s: the file is not persisted, so there is no UFS copy to load it from", index, path)
		}
		if err := c.cacheBlock(ctx, target, info, index, bs); err != nil {
			return loaded, err
		}
		loaded++
	}
	return loaded, nil
}

// loadTarget is the worker Load has cache blocks: one on this machine if
// local, else the one writes would use.
func (c *Client) loadTarget(ctx context.Context, local bool) (string, error) {
	if !local {
		return c.pickWorker(ctx, nil)
	}
	workers, err := c.Workers(ctx)
	if err != nil {
		return "", err
	}
	for _, w := range byPreference(workers, nil) {
		if isLocalHost(w.GetAddress().GetHost()) {
			return workerAddr(w.GetAddress()), nil
		}
	}
	return "", fserr.New(fserr.FailedPrecondition, "load --local: no worker runs on this machine (%d workers known)", len(workers))
}

// heldAsWanted says whether block index of info is where Load wants it:
// on any worker, or with local on one of this machine.
func heldAsWanted(info *alluxiopb.FileInfo, index int, local bool) bool {
	blocks := info.GetFileBlockInfos()
	if index >= len(blocks) {
		return false
	}
	return slices.ContainsFunc(blocks[index].GetBlockInfo().GetLocations(), func(l *alluxiopb.BlockLocation) bool {
		return !local || isLocalHost(l.GetWorkerAddress().GetHost())
	})
}

func (c *Client) cacheBlock(ctx context.Context, addr string, info *alluxiopb.FileInfo, index int, bs int64) error {
	worker, err := c.workerConn(addr)
	if err != nil {
		return err
	}
	_, err = worker.Cache(ctx, &alluxiopb.CacheRequest{
		BlockId: proto.Int64(ufsOnlyBlock(info, index)), Length: proto.Int64(min(bs, info.GetLength()-int64(index)*bs)),
		SourceHost: proto.String(addr), Async: proto.Bool(false),
		OpenUfsBlockOptions: &alluxiopb.OpenUfsBlockOptions{
			UfsPath: proto.String(info.GetUfsPath()), OffsetInFile: proto.Int64(int64(index) * bs),
			BlockSize: proto.Int64(min(bs, info.GetLength()-int64(index)*bs)), MountId: proto.Int64(info.GetMountId()),
		},
	})
	if err != nil {
		return fserr.New(fserr.CodeOf(err), "worker %s did not cache block %d of %s: %v", addr, index, info.GetPath(), err)
	}
	return nil
}
