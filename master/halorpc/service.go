package halorpc

import (
	"context"

	"github.com/halo-fs/halo/master"
	"github.com/halo-fs/halo/proto/halopb"
	"github.com/halo-fs/halo/proto/journalpb"
	"google.golang.org/grpc"
)

// service implements halopb.MasterServiceServer: each handler translates
// the wire request to one of the master's operations and its answer back
// to the wire, and does nothing else.
type service struct {
	halopb.UnimplementedMasterServiceServer
	m *master.Master
}

func (s *service) CreateFile(ctx context.Context, req *halopb.CreateFileRequest) (*halopb.FileInfoResponse, error) {
	info, err := s.m.CreateFile(ctx, createFileOptionsFrom(req))
	return fileInfoResponse(info, err)
}

func (s *service) CreateDirectory(ctx context.Context, req *halopb.CreateDirectoryRequest) (*halopb.FileInfoResponse, error) {
	info, err := s.m.CreateDirectory(ctx, createDirectoryOptionsFrom(req))
	return fileInfoResponse(info, err)
}

func (s *service) GetStatus(ctx context.Context, req *halopb.GetStatusRequest) (*halopb.FileInfoResponse, error) {
	info, err := s.m.GetStatus(ctx, req.Path)
	return fileInfoResponse(info, err)
}

func (s *service) ListStatus(req *halopb.ListStatusRequest, stream grpc.ServerStreamingServer[halopb.ListStatusResponse]) error {
	o := master.ListOptions{Path: req.Path, Recursive: req.Recursive, StartAfter: req.StartAfter}
	return s.m.List(stream.Context(), o, func(page []*journalpb.FileStatus) error {
		infos := make([]*halopb.FileInfo, len(page))
		for i, fs := range page {
			infos[i] = fileInfo(fs)
		}
		return stream.Send(&halopb.ListStatusResponse{Infos: infos})
	})
}

func (s *service) Rename(ctx context.Context, req *halopb.RenameRequest) (*halopb.Empty, error) {
	return empty(s.m.Rename(ctx, opIDFrom(req.OpId), req.Src, req.Dst))
}

func (s *service) Delete(ctx context.Context, req *halopb.DeleteRequest) (*halopb.Empty, error) {
	return empty(s.m.Delete(ctx, deleteOptionsFrom(req)))
}

func (s *service) SetAttribute(ctx context.Context, req *halopb.SetAttributeRequest) (*halopb.Empty, error) {
	if req.Attr == nil {
		// validateRequest refuses it first; a request without attributes
		// must never reach apply, whoever calls.
		return nil, errNoAttributes()
	}
	return empty(s.m.SetAttribute(ctx, setAttributeOptionsFrom(req.OpId, req.Attr)))
}

func (s *service) CompleteFile(ctx context.Context, req *halopb.CompleteFileRequest) (*halopb.Empty, error) {
	return empty(s.m.CompleteFile(ctx, completeFileOptionsFrom(req)))
}

func (s *service) Mount(ctx context.Context, req *halopb.MountRequest) (*halopb.Empty, error) {
	return empty(s.m.Mount(ctx, mountOptionsFrom(req)))
}

func (s *service) Unmount(ctx context.Context, req *halopb.UnmountRequest) (*halopb.Empty, error) {
	return empty(s.m.Unmount(ctx, opIDFrom(req.OpId), req.Path))
}

func (s *service) GetMountTable(ctx context.Context, _ *halopb.Empty) (*halopb.MountTableResponse, error) {
	mounts, err := s.m.MountTable(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*halopb.MountPointInfo, len(mounts))
	for i, mt := range mounts {
		out[i] = mountPointInfo(mt)
	}
	return &halopb.MountTableResponse{Mounts: out}, nil
}

func (s *service) LoadMetadata(ctx context.Context, req *halopb.LoadMetadataRequest) (*halopb.LoadMetadataResponse, error) {
	loaded, err := s.m.LoadMetadata(ctx, loadMetadataOptionsFrom(req))
	if err != nil {
		return nil, err
	}
	return &halopb.LoadMetadataResponse{Loaded: loaded}, nil
}

func (s *service) GetMasterInfo(ctx context.Context, _ *halopb.Empty) (*halopb.MasterInfo, error) {
	return s.m.Info(), nil
}

func (s *service) Backup(ctx context.Context, req *halopb.BackupRequest) (*halopb.BackupResponse, error) {
	return s.m.Backup(ctx, req)
}

func (s *service) Checkpoint(ctx context.Context, _ *halopb.Empty) (*halopb.CheckpointResponse, error) {
	location, index, err := s.m.Checkpoint(ctx)
	if err != nil {
		return nil, err
	}
	return &halopb.CheckpointResponse{Location: location, Index: index}, nil
}

func empty(err error) (*halopb.Empty, error) {
	if err != nil {
		return nil, err
	}
	return &halopb.Empty{}, nil
}
