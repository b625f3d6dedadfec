package master

import (
	"context"
	"strings"
	"time"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/fserr/rpcerr"
	"github.com/halo-fs/halo/proto/halopb"
	"github.com/halo-fs/halo/proto/journalpb"
	"google.golang.org/grpc"
)

// service implements halopb.MasterServiceServer, Halo's own protocol: each
// handler translates the wire request to an operation of ops.go and its
// answer back to the wire, and does nothing else.
type service struct {
	halopb.UnimplementedMasterServiceServer
	m *Master
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
	o := ListOptions{Path: req.Path, Recursive: req.Recursive, StartAfter: req.StartAfter}
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
	if err := s.m.ids.Admin(ctx, "take a backup"); err != nil {
		return nil, err
	}
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

// methodName turns "/halo.v1.MasterService/CreateFile" into "CreateFile".
func methodName(full string) string {
	if i := strings.LastIndexByte(full, '/'); i >= 0 {
		return full[i+1:]
	}
	return full
}

// unaryInterceptor refuses requests over the limits, maps typed errors to
// gRPC statuses and records metrics.
func (m *Master) unaryInterceptor(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	start := time.Now()
	err := validateRequest(req)
	var resp any
	if err == nil {
		resp, err = handler(ctx, req)
	}
	name := methodName(info.FullMethod)
	m.metrics.RPCs.WithLabelValues(name, fserr.CodeOf(err).String()).Inc()
	m.metrics.RPCLatency.WithLabelValues(name).Observe(time.Since(start).Seconds())
	return resp, rpcerr.ToGRPC(err)
}

func (m *Master) streamInterceptor(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	start := time.Now()
	err := handler(srv, ss)
	name := methodName(info.FullMethod)
	m.metrics.RPCs.WithLabelValues(name, fserr.CodeOf(err).String()).Inc()
	m.metrics.RPCLatency.WithLabelValues(name).Observe(time.Since(start).Seconds())
	return rpcerr.ToGRPC(err)
}
