package alluxiorpc

import (
	"context"
	"errors"
	"strconv"

	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/master"
	"github.com/halo-fs/halo/proto/alluxiopb"
	"github.com/halo-fs/halo/proto/journalpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
)

// fileSystem is Alluxio's FileSystemMasterClientService: the namespace
// operations of the shell, the Hadoop client and jobs. What needs workers
// (block ids for writes, async persistence, free) comes with them.
type fileSystem struct {
	alluxiopb.UnimplementedFileSystemMasterClientServiceServer
	m *master.Master
}

func (f *fileSystem) CreateFile(ctx context.Context, req *alluxiopb.CreateFilePRequest) (*alluxiopb.CreateFilePResponse, error) {
	o := req.GetOptions()
	persisted, err := persistedWrite(req.GetPath(), o)
	if err != nil {
		return nil, err
	}
	st, err := f.m.CreateFile(ctx, master.CreateFileOptions{
		OpID:           opID(ctx, o.GetCommonOptions()),
		Path:           req.GetPath(),
		Mode:           mode(o.GetMode()),
		Recursive:      o.GetRecursive(),
		BlockSizeBytes: o.GetBlockSizeBytes(),
		TTLMs:          ttl(o.GetCommonOptions()),
		Persisted:      persisted,
		Overwrite:      o.GetOverwrite(),
	})
	if err != nil {
		return nil, err
	}
	return &alluxiopb.CreateFilePResponse{FileInfo: f.info(st)}, nil
}

func (f *fileSystem) CompleteFile(ctx context.Context, req *alluxiopb.CompleteFilePRequest) (*alluxiopb.CompleteFilePResponse, error) {
	if err := f.m.CompleteWrittenFile(ctx, completeOptions(ctx, req)); err != nil {
		return nil, err
	}
	return &alluxiopb.CompleteFilePResponse{}, nil
}

func (f *fileSystem) CreateDirectory(ctx context.Context, req *alluxiopb.CreateDirectoryPRequest) (*alluxiopb.CreateDirectoryPResponse, error) {
	o := req.GetOptions()
	st, err := f.m.CreateDirectory(ctx, master.CreateDirectoryOptions{
		OpID:        opID(ctx, o.GetCommonOptions()),
		Path:        req.GetPath(),
		Mode:        mode(o.GetMode()),
		Recursive:   o.GetRecursive(),
		AllowExists: o.GetAllowExists(),
	})
	if err != nil {
		return nil, err
	}
	// Alluxio's answer carries nothing; Halo's client reads the
	// directory's id from this header. Setting it fails only outside a
	// gRPC call, where no client reads it.
	_ = grpc.SetHeader(ctx, metadata.Pairs(client.FileIDMetadataKey, strconv.FormatUint(st.GetId(), 10)))
	return &alluxiopb.CreateDirectoryPResponse{}, nil
}

func (f *fileSystem) GetStatus(ctx context.Context, req *alluxiopb.GetStatusPRequest) (*alluxiopb.GetStatusPResponse, error) {
	st, err := f.status(ctx, req.GetPath(), req.GetOptions().GetLoadMetadataType())
	if err != nil {
		return nil, err
	}
	return &alluxiopb.GetStatusPResponse{FileInfo: f.info(st)}, nil
}

func (f *fileSystem) Exists(ctx context.Context, req *alluxiopb.ExistsPRequest) (*alluxiopb.ExistsPResponse, error) {
	_, err := f.status(ctx, req.GetPath(), req.GetOptions().GetLoadMetadataType())
	if fserr.CodeOf(err) == fserr.NotFound {
		return &alluxiopb.ExistsPResponse{Exists: proto.Bool(false)}, nil
	}
	if err != nil {
		return nil, err
	}
	return &alluxiopb.ExistsPResponse{Exists: proto.Bool(true)}, nil
}

// status looks path up; a path the namespace lacks is loaded from the UFS
// first unless the client said NEVER (Alluxio's ONCE and ALWAYS both load
// what is missing; a file Halo has is not synced again).
func (f *fileSystem) status(ctx context.Context, path string, load alluxiopb.LoadMetadataPType) (*journalpb.FileStatus, error) {
	st, err := f.m.GetStatus(ctx, path)
	if fserr.CodeOf(err) != fserr.NotFound || load == alluxiopb.LoadMetadataPType_NEVER {
		return st, err
	}
	if lerr := f.m.LoadOnAccess(ctx, path); lerr != nil {
		// Not found, as far as the namespace knows: a UFS that cannot
		// be asked does not turn a lookup into an error to retry.
		if fserr.CodeOf(lerr) != fserr.NotFound {
			f.m.Logger().Warn("a path not in the namespace was not looked up in the UFS", "path", path, "error", lerr)
		}
		return nil, err
	}
	return f.m.GetStatus(ctx, path)
}

// loadListing brings the UFS listing of the directory at path into the
// namespace before it is listed: under ALWAYS every time, under ONCE
// (Alluxio's default) until it has been loaded once. What cannot be
// loaded (no UFS folder behind a directory made in Halo, no write
// permission on it) leaves the namespace's own listing.
func (f *fileSystem) loadListing(ctx context.Context, path string, recursive bool, load alluxiopb.LoadMetadataPType) {
	switch load {
	case alluxiopb.LoadMetadataPType_NEVER:
		return
	case alluxiopb.LoadMetadataPType_ALWAYS:
	default:
		if f.m.DirectoryLoaded(path) {
			return
		}
	}
	if _, err := f.m.LoadMetadata(ctx, master.LoadMetadataOptions{Path: path, Recursive: recursive}); err != nil {
		f.m.Logger().Debug("listing without a metadata load from the UFS", "path", path, "error", err)
	}
}

// ListStatus streams the listing in pages. Listing a file lists the file,
// as in Alluxio.
func (f *fileSystem) ListStatus(req *alluxiopb.ListStatusPRequest, stream grpc.ServerStreamingServer[alluxiopb.ListStatusPResponse]) error {
	ctx := stream.Context()
	path := req.GetPath()
	o := req.GetOptions()
	st, err := f.status(ctx, path, o.GetLoadMetadataType())
	if err != nil {
		return err
	}
	if !st.IsDirectory {
		return stream.Send(&alluxiopb.ListStatusPResponse{FileInfos: []*alluxiopb.FileInfo{f.info(st)}})
	}
	f.loadListing(ctx, path, o.GetRecursive(), o.GetLoadMetadataType())
	return f.m.List(ctx, master.ListOptions{Path: path, Recursive: o.GetRecursive()}, func(page []*journalpb.FileStatus) error {
		return stream.Send(&alluxiopb.ListStatusPResponse{FileInfos: f.infos(page)})
	})
}

// maxPartialListingBytes bounds one partial listing's answer, as the
// namespace bounds the pages of a streamed one, well under gRPC's default
// 4 MiB receive limit.
var maxPartialListingBytes = fsm.DefaultListPageLimits().MaxBytes

// errPageFull ends a partial listing's walk once the batch is full.
var errPageFull = errors.New("page full")

// ListStatusPartial answers one batch of a listing, resumed after the
// path the client names (startAfter). Offsets by count or by file id are
// refused: they do not survive a concurrent change, which startAfter does.
func (f *fileSystem) ListStatusPartial(ctx context.Context, req *alluxiopb.ListStatusPartialPRequest) (*alluxiopb.ListStatusPartialPResponse, error) {
	o := req.GetOptions()
	if o.GetOffsetCount() != 0 || o.GetOffsetId() != 0 {
		return nil, fserr.New(fserr.InvalidArgument, "partial listings resume after a path (startAfter), not after a count or file id")
	}
	batch := int(o.GetBatchSize())
	if batch <= 0 {
		return nil, fserr.New(fserr.InvalidArgument, "partial listing batch size %d must be positive", batch)
	}
	st, err := f.status(ctx, req.GetPath(), o.GetOptions().GetLoadMetadataType())
	if err != nil {
		return nil, err
	}
	if !st.IsDirectory {
		return &alluxiopb.ListStatusPartialPResponse{FileInfos: []*alluxiopb.FileInfo{f.info(st)}, IsTruncated: proto.Bool(false), FileCount: proto.Int64(1)}, nil
	}
	if o.GetStartAfter() == "" {
		// Once per listing, on its first batch.
		f.loadListing(ctx, req.GetPath(), o.GetOptions().GetRecursive(), o.GetOptions().GetLoadMetadataType())
	}
	var out []*alluxiopb.FileInfo
	truncated, size := false, 0
	// One entry beyond the batch tells whether the listing goes on.
	err = f.m.List(ctx, master.ListOptions{Path: req.GetPath(), Recursive: o.GetOptions().GetRecursive(), StartAfter: startAfter(req.GetPath(), o.GetStartAfter()), PageEntries: batch + 1},
		func(page []*journalpb.FileStatus) error {
			for _, st := range page {
				if len(out) == batch {
					truncated = true
					return errPageFull
				}
				info := f.info(st)
				size += proto.Size(info)
				// The batch also ends before the answer outgrows what a
				// client receives in one message: big entries (files of
				// many blocks) fill it before the count does.
				if len(out) > 0 && size > maxPartialListingBytes {
					truncated = true
					return errPageFull
				}
				out = append(out, info)
			}
			return nil
		})
	if err != nil && !errors.Is(err, errPageFull) {
		return nil, err
	}
	return &alluxiopb.ListStatusPartialPResponse{FileInfos: out, IsTruncated: proto.Bool(truncated), FileCount: proto.Int64(-1)}, nil
}

// startAfter makes Alluxio's startAfter, relative to the listed folder or
// absolute, an absolute path.
func startAfter(dir, after string) string {
	if after == "" || after[0] == '/' {
		return after
	}
	if dir == "/" {
		return "/" + after
	}
	return dir + "/" + after
}

func (f *fileSystem) Rename(ctx context.Context, req *alluxiopb.RenamePRequest) (*alluxiopb.RenamePResponse, error) {
	if err := f.m.Rename(ctx, opID(ctx, req.GetOptions().GetCommonOptions()), req.GetPath(), req.GetDstPath()); err != nil {
		return nil, err
	}
	return &alluxiopb.RenamePResponse{}, nil
}

// Remove deletes from the namespace and, unless alluxioOnly, the UFS
// copies. unchecked changes nothing: Halo checks no UFS before a delete.
func (f *fileSystem) Remove(ctx context.Context, req *alluxiopb.DeletePRequest) (*alluxiopb.DeletePResponse, error) {
	o := req.GetOptions()
	if err := f.m.Delete(ctx, master.DeleteOptions{OpID: opID(ctx, o.GetCommonOptions()), Path: req.GetPath(), Recursive: o.GetRecursive(), AlluxioOnly: o.GetAlluxioOnly()}); err != nil {
		return nil, err
	}
	return &alluxiopb.DeletePResponse{}, nil
}

func (f *fileSystem) SetAttribute(ctx context.Context, req *alluxiopb.SetAttributePRequest) (*alluxiopb.SetAttributePResponse, error) {
	o := req.GetOptions()
	if o == nil {
		return nil, fserr.New(fserr.InvalidArgument, "setAttribute of %q sets nothing: the request has no options", req.GetPath())
	}
	set := master.SetAttributeOptions{
		OpID:      opID(ctx, o.GetCommonOptions()),
		Path:      req.GetPath(),
		Recursive: o.GetRecursive(),
		Mode:      mode(o.GetMode()),
		Owner:     o.Owner,
		Group:     o.Group,
		Pinned:    o.Pinned,
		Persisted: o.Persisted,
	}
	// setTtl and unsetTtl send a ttl (-1 clears it); chmod, chown and
	// pin send none and leave the TTL as it is.
	if c := o.GetCommonOptions(); c != nil && c.Ttl != nil {
		t := ttl(c)
		set.TTLMs = &t
	}
	if len(o.GetPinnedMedia()) > 0 || len(o.GetXattr()) > 0 || o.ReplicationMax != nil || o.ReplicationMin != nil {
		return nil, fserr.New(fserr.InvalidArgument, "setting pinned media, extended attributes or replication is not supported")
	}
	if err := f.m.SetAttribute(ctx, set); err != nil {
		return nil, err
	}
	return &alluxiopb.SetAttributePResponse{}, nil
}

func (f *fileSystem) Mount(ctx context.Context, req *alluxiopb.MountPRequest) (*alluxiopb.MountPResponse, error) {
	o := req.GetOptions()
	err := f.m.Mount(ctx, master.MountOptions{
		OpID:     opID(ctx, o.GetCommonOptions()),
		Path:     req.GetAlluxioPath(),
		UfsURI:   req.GetUfsPath(),
		ReadOnly: o.GetReadOnly(),
		Shared:   o.GetShared(),
		Options:  o.GetProperties(),
	})
	if err != nil {
		return nil, err
	}
	return &alluxiopb.MountPResponse{}, nil
}

func (f *fileSystem) Unmount(ctx context.Context, req *alluxiopb.UnmountPRequest) (*alluxiopb.UnmountPResponse, error) {
	if err := f.m.Unmount(ctx, opID(ctx, req.GetOptions().GetCommonOptions()), req.GetAlluxioPath()); err != nil {
		return nil, err
	}
	return &alluxiopb.UnmountPResponse{}, nil
}

func (f *fileSystem) GetMountTable(ctx context.Context, _ *alluxiopb.GetMountTablePRequest) (*alluxiopb.GetMountTablePResponse, error) {
	mounts, err := f.m.MountTable(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*alluxiopb.MountPointInfo, len(mounts))
	for _, mt := range mounts {
		out[mt.Path] = &alluxiopb.MountPointInfo{
			UfsUri:           proto.String(mt.UfsUri),
			UfsType:          proto.String(ufsType(mt.UfsUri)),
			UfsCapacityBytes: proto.Int64(-1),
			UfsUsedBytes:     proto.Int64(-1),
			ReadOnly:         proto.Bool(mt.ReadOnly),
			Properties:       mt.Options,
			Shared:           proto.Bool(mt.Shared),
			MountId:          proto.Int64(int64(mt.MountId)),
		}
	}
	return &alluxiopb.GetMountTablePResponse{MountPoints: out}, nil
}

// Free drops the workers' copies of persisted files' blocks.
func (f *fileSystem) Free(ctx context.Context, req *alluxiopb.FreePRequest) (*alluxiopb.FreePResponse, error) {
	if _, err := f.m.Free(ctx, master.FreeOptions{Path: req.GetPath(), Forced: req.GetOptions().GetForced()}); err != nil {
		return nil, err
	}
	return &alluxiopb.FreePResponse{}, nil
}
