package alluxiorpc

import (
	"context"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/master"
	"github.com/halo-fs/halo/proto/alluxiopb"
	"github.com/halo-fs/halo/proto/journalpb"
	"google.golang.org/protobuf/proto"
)

// GetNewBlockIdForFile hands out the next block id of a file being
// written; the client then writes the block to a worker.
func (f *fileSystem) GetNewBlockIdForFile(ctx context.Context, req *alluxiopb.GetNewBlockIdForFilePRequest) (*alluxiopb.GetNewBlockIdForFilePResponse, error) {
	id, err := f.m.NewBlockID(ctx, req.GetPath())
	if err != nil {
		return nil, err
	}
	return &alluxiopb.GetNewBlockIdForFilePResponse{Id: proto.Int64(id)}, nil
}

// persistedWriteTypes are the write types, and whether their client
// writes the UFS copy while it writes the file. ASYNC_THROUGH's copy is
// written after completion by the leader's persister.
var persistedWriteTypes = map[alluxiopb.WritePType]bool{
	alluxiopb.WritePType_MUST_CACHE:    false,
	alluxiopb.WritePType_CACHE_THROUGH: true,
	alluxiopb.WritePType_THROUGH:       true,
	alluxiopb.WritePType_ASYNC_THROUGH: false,
	alluxiopb.WritePType_NONE:          false,
}

// persistedWrite tells whether a create's write type writes the UFS.
func persistedWrite(path string, o *alluxiopb.CreateFilePOptions) (bool, error) {
	if o == nil || o.WriteType == nil {
		return false, nil
	}
	persisted, ok := persistedWriteTypes[o.GetWriteType()]
	if !ok {
		return false, fserr.New(fserr.InvalidArgument, "cannot create %s with write type %s: write with MUST_CACHE, CACHE_THROUGH, THROUGH or ASYNC_THROUGH (alluxio.user.file.writetype.default)", path, o.GetWriteType())
	}
	return persisted, nil
}

// info is Alluxio's description of an inode with its blocks' locations
// and the share of it that workers hold.
func (f *fileSystem) info(st *journalpb.FileStatus) *alluxiopb.FileInfo {
	info := fileInfo(st)
	if st.IsDirectory || len(st.BlockIds) == 0 {
		return info
	}
	var cached int64
	lost := false
	for i, id := range st.BlockIds {
		length := fsm.BlockLength(st, i)
		bi := &alluxiopb.BlockInfo{BlockId: proto.Int64(int64(id)), Length: proto.Int64(length)}
		if blk, ok := f.m.Workers().Block(int64(id)); ok && len(blk.Locations) > 0 {
			bi.Locations = blockLocations(blk.Locations)
			cached += length
		} else if length > 0 {
			lost = true
		}
		info.FileBlockInfos = append(info.FileBlockInfos, &alluxiopb.FileBlockInfo{
			BlockInfo: bi,
			Offset:    proto.Int64(int64(i) * st.BlockSizeBytes),
		})
	}
	pct := int32(100)
	if st.Length > 0 {
		pct = int32(cached * 100 / st.Length)
	}
	info.InAlluxioPercentage = proto.Int32(pct)
	info.InMemoryPercentage = proto.Int32(pct)
	// A block of a file that exists nowhere else, held by no worker, is
	// gone: Alluxio calls such a file LOST.
	if lost && st.Completed && st.PersistenceState != journalpb.PersistenceState_PERSISTED {
		info.PersistenceState = proto.String(journalpb.PersistenceState_LOST.String())
	}
	return info
}

func (f *fileSystem) infos(page []*journalpb.FileStatus) []*alluxiopb.FileInfo {
	out := make([]*alluxiopb.FileInfo, len(page))
	for i, st := range page {
		out[i] = f.info(st)
	}
	return out
}

// completeOptions reads a CompleteFile request: the UFS length when the
// client names one.
func completeOptions(ctx context.Context, req *alluxiopb.CompleteFilePRequest) master.WrittenFileOptions {
	o := req.GetOptions()
	return master.WrittenFileOptions{OpID: opID(ctx, o.GetCommonOptions()), Path: req.GetPath(), UfsLength: o.UfsLength, AsyncPersist: o.GetAsyncPersistOptions() != nil}
}

// ScheduleAsyncPersistence queues a file for the leader's persister: the
// real shell's `fs persist` asks it, then waits for PERSISTED.
func (f *fileSystem) ScheduleAsyncPersistence(ctx context.Context, req *alluxiopb.ScheduleAsyncPersistencePRequest) (*alluxiopb.ScheduleAsyncPersistencePResponse, error) {
	if err := f.m.SchedulePersist(ctx, opID(ctx, req.GetOptions().GetCommonOptions()), req.GetPath()); err != nil {
		return nil, err
	}
	return &alluxiopb.ScheduleAsyncPersistencePResponse{}, nil
}
