package master

import (
	"github.com/halo-fs/halo/proto/halopb"
	"github.com/halo-fs/halo/proto/journalpb"
)

// Translations between Halo's wire API (halopb) and the Go arguments and
// answers of ops.go.

func opIDFrom(id *halopb.OperationID) *OpID {
	if id == nil {
		return nil
	}
	return &OpID{ClientHi: id.ClientHi, ClientLo: id.ClientLo, Seq: id.Seq}
}

// modeFrom reads the wire's mode, where 0 asks for the default.
func modeFrom(mode uint32) *uint32 {
	if mode == 0 {
		return nil
	}
	return &mode
}

func createFileOptionsFrom(r *halopb.CreateFileRequest) CreateFileOptions {
	return CreateFileOptions{
		OpID: opIDFrom(r.OpId), Path: r.Path, Mode: modeFrom(r.Mode), Recursive: r.Recursive,
		Completed: r.Completed, BlockSizeBytes: r.BlockSizeBytes, TTLMs: r.TtlMs,
	}
}

func createDirectoryOptionsFrom(r *halopb.CreateDirectoryRequest) CreateDirectoryOptions {
	return CreateDirectoryOptions{
		OpID: opIDFrom(r.OpId), Path: r.Path, Mode: modeFrom(r.Mode), Recursive: r.Recursive, AllowExists: r.AllowExists,
	}
}

func deleteOptionsFrom(r *halopb.DeleteRequest) DeleteOptions {
	return DeleteOptions{OpID: opIDFrom(r.OpId), Path: r.Path, Recursive: r.Recursive}
}

func completeFileOptionsFrom(r *halopb.CompleteFileRequest) CompleteFileOptions {
	return CompleteFileOptions{OpID: opIDFrom(r.OpId), Path: r.Path, Length: r.Length, BlockIDs: r.BlockIds}
}

func mountOptionsFrom(r *halopb.MountRequest) MountOptions {
	return MountOptions{
		OpID: opIDFrom(r.OpId), Path: r.Path, UfsURI: r.UfsUri, ReadOnly: r.ReadOnly, Shared: r.Shared, Options: r.Options,
	}
}

func loadMetadataOptionsFrom(r *halopb.LoadMetadataRequest) LoadMetadataOptions {
	return LoadMetadataOptions{OpID: opIDFrom(r.OpId), Path: r.Path, Recursive: r.Recursive}
}

func setAttributeOptionsFrom(id *halopb.OperationID, a *halopb.SetAttributeOptions) SetAttributeOptions {
	return SetAttributeOptions{
		OpID: opIDFrom(id), Path: a.Path, Recursive: a.Recursive,
		Mode: flagged(a.HasMode, a.Mode), Owner: flagged(a.HasOwner, a.Owner), Group: flagged(a.HasGroup, a.Group),
		Pinned: flagged(a.HasPinned, a.Pinned), TTLMs: flagged(a.HasTtl, a.TtlMs), Persisted: flagged(a.HasPersisted, a.Persisted),
	}
}

// flagged reads a wire field whose has_ flag says whether it is set.
func flagged[T any](has bool, v T) *T {
	if !has {
		return nil
	}
	return &v
}

func fileInfoResponse(fs *journalpb.FileStatus, err error) (*halopb.FileInfoResponse, error) {
	if err != nil {
		return nil, err
	}
	return &halopb.FileInfoResponse{Info: fileInfo(fs)}, nil
}

func fileInfo(fs *journalpb.FileStatus) *halopb.FileInfo {
	return &halopb.FileInfo{
		Id:                     fs.Id,
		Name:                   fs.Name,
		Path:                   fs.Path,
		IsDirectory:            fs.IsDirectory,
		Length:                 fs.Length,
		CreationTimeMs:         fs.CreationTimeMs,
		LastModificationTimeMs: fs.LastModificationTimeMs,
		Owner:                  fs.Owner,
		Group:                  fs.Group,
		Mode:                   fs.Mode,
		Completed:              fs.Completed,
		Pinned:                 fs.Pinned,
		TtlMs:                  fs.TtlMs,
		PersistenceState:       halopb.PersistenceState(fs.PersistenceState),
		BlockIds:               fs.BlockIds,
		BlockSizeBytes:         fs.BlockSizeBytes,
		MountPoint:             fs.MountPoint,
		MountId:                fs.MountId,
		UfsPath:                fs.UfsPath,
		ChildCount:             fs.ChildCount,
	}
}

func mountPointInfo(r *journalpb.MountRecord) *halopb.MountPointInfo {
	return &halopb.MountPointInfo{
		MountId:  r.MountId,
		Path:     r.Path,
		UfsUri:   r.UfsUri,
		ReadOnly: r.ReadOnly,
		Shared:   r.Shared,
		Options:  r.Options,
	}
}
