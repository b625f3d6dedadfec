package master

import (
	"context"
	"strings"
	"time"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/proto/halopb"
	"google.golang.org/grpc"
)

// listPageHook, when a test sets it, runs between two pages of every
// listing, when the listing holds no lock.
var listPageHook func()

// service implements halopb.MasterServiceServer on top of a Master.
type service struct {
	halopb.UnimplementedMasterServiceServer
	m *Master
}

// propose stamps time and caller into e and proposes it.
func (s *service) propose(ctx context.Context, opID *halopb.OperationID, e *halopb.Entry) (fsm.Result, error) {
	c, err := s.m.ids.caller(ctx)
	if err != nil {
		return fsm.Result{}, err
	}
	e.OpId = opID
	e.Caller = c
	e.TimeMs = time.Now().UnixMilli()
	res, err := s.m.propose(ctx, e)
	if err != nil {
		return res, err
	}
	return res, res.Error()
}

// propose is the one way into the replicator: every HA mode refuses an
// entry larger than the limit here, before it reaches the journal.
func (m *Master) propose(ctx context.Context, e *halopb.Entry) (fsm.Result, error) {
	if err := checkEntrySize(e, m.cfg.MaxEntryBytes); err != nil {
		return fsm.Result{}, err
	}
	return m.replicator.Propose(ctx, e)
}

// read checks leadership for a linearizable read and returns the caller.
func (s *service) read(ctx context.Context) (*halopb.Caller, error) {
	c, err := s.m.ids.caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.m.replicator.VerifyRead(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// createAnswer answers a create with the inode as the create made it. Only
// a retried create answered from the exactly-once table carries no
// description; it is looked up, and may since have been renamed or
// deleted, which is then reported as the create's success without it.
func (s *service) createAnswer(ctx context.Context, res fsm.Result, made *halopb.FileInfo) (*halopb.FileInfoResponse, error) {
	path := made.Path
	if res.Info != nil {
		return &halopb.FileInfoResponse{Info: res.Info}, nil
	}
	c, err := s.m.ids.caller(ctx)
	if err != nil {
		return nil, err
	}
	info, err := s.m.fsm.GetStatus(c, path)
	if err != nil || info.Id != res.InodeID {
		// The inode has since been renamed or deleted: answer with what
		// the request made, so a retried create still reports its success
		// with the attributes it asked for.
		made.Id = res.InodeID
		return &halopb.FileInfoResponse{Info: made}, nil
	}
	return &halopb.FileInfoResponse{Info: info}, nil
}

func (s *service) CreateFile(ctx context.Context, req *halopb.CreateFileRequest) (*halopb.FileInfoResponse, error) {
	mode := req.Mode
	if mode == 0 {
		mode = 0o666 &^ s.m.cfg.Umask
	}
	res, err := s.propose(ctx, req.OpId, &halopb.Entry{Payload: &halopb.Entry_CreateFile{CreateFile: &halopb.CreateFileEntry{
		Path: req.Path, Mode: mode, Recursive: req.Recursive, Completed: req.Completed,
		BlockSizeBytes: req.BlockSizeBytes, TtlMs: req.TtlMs,
	}}})
	if err != nil {
		return nil, err
	}
	return s.createAnswer(ctx, res, &halopb.FileInfo{
		Path: req.Path, Name: baseName(req.Path), Mode: mode, Completed: req.Completed,
		BlockSizeBytes: req.BlockSizeBytes, TtlMs: req.TtlMs,
	})
}

func (s *service) CreateDirectory(ctx context.Context, req *halopb.CreateDirectoryRequest) (*halopb.FileInfoResponse, error) {
	mode := req.Mode
	if mode == 0 {
		mode = 0o777 &^ s.m.cfg.Umask
	}
	res, err := s.propose(ctx, req.OpId, &halopb.Entry{Payload: &halopb.Entry_CreateDirectory{CreateDirectory: &halopb.CreateDirectoryEntry{
		Path: req.Path, Mode: mode, Recursive: req.Recursive, AllowExists: req.AllowExists,
	}}})
	if err != nil {
		return nil, err
	}
	return s.createAnswer(ctx, res, &halopb.FileInfo{
		Path: req.Path, Name: baseName(req.Path), Mode: mode, IsDirectory: true, Completed: true,
	})
}

func baseName(p string) string {
	return p[strings.LastIndexByte(p, '/')+1:]
}

func (s *service) GetStatus(ctx context.Context, req *halopb.GetStatusRequest) (*halopb.FileInfoResponse, error) {
	c, err := s.read(ctx)
	if err != nil {
		return nil, err
	}
	info, err := s.m.fsm.GetStatus(c, req.Path)
	if err != nil {
		return nil, err
	}
	return &halopb.FileInfoResponse{Info: info}, nil
}

// ListStatus streams the listing a page at a time. Each page is read under
// its own hold of the namespace's read lock and sent after it is released,
// so neither a large tree nor a slow client holds up writers for long.
func (s *service) ListStatus(req *halopb.ListStatusRequest, stream grpc.ServerStreamingServer[halopb.ListStatusResponse]) error {
	ctx := stream.Context()
	c, err := s.read(ctx)
	if err != nil {
		return err
	}
	lister, err := s.m.fsm.NewLister(c, req.Path, req.Recursive, req.StartAfter)
	if err != nil {
		return err
	}
	for {
		page, done, err := lister.Next(fsm.DefaultListPageLimits())
		if err != nil {
			return err
		}
		if len(page) > 0 {
			if err := stream.Send(&halopb.ListStatusResponse{Infos: page}); err != nil {
				return err
			}
		}
		if done {
			return nil
		}
		if listPageHook != nil {
			listPageHook()
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

func (s *service) Rename(ctx context.Context, req *halopb.RenameRequest) (*halopb.Empty, error) {
	_, err := s.propose(ctx, req.OpId, &halopb.Entry{Payload: &halopb.Entry_Rename{Rename: &halopb.RenameEntry{Src: req.Src, Dst: req.Dst}}})
	return empty(err)
}

func (s *service) Delete(ctx context.Context, req *halopb.DeleteRequest) (*halopb.Empty, error) {
	_, err := s.propose(ctx, req.OpId, &halopb.Entry{Payload: &halopb.Entry_Delete{Delete: &halopb.DeleteEntry{Path: req.Path, Recursive: req.Recursive}}})
	return empty(err)
}

func (s *service) SetAttribute(ctx context.Context, req *halopb.SetAttributeRequest) (*halopb.Empty, error) {
	if req.Attr == nil {
		// validateRequest refuses it first; a nil payload must never
		// reach apply, whoever calls.
		return nil, fserr.New(fserr.InvalidArgument, "SetAttribute without attributes")
	}
	_, err := s.propose(ctx, req.OpId, &halopb.Entry{Payload: &halopb.Entry_SetAttribute{SetAttribute: req.Attr}})
	return empty(err)
}

func (s *service) CompleteFile(ctx context.Context, req *halopb.CompleteFileRequest) (*halopb.Empty, error) {
	_, err := s.propose(ctx, req.OpId, &halopb.Entry{Payload: &halopb.Entry_CompleteFile{CompleteFile: &halopb.CompleteFileEntry{
		Path: req.Path, Length: req.Length, BlockIds: req.BlockIds,
	}}})
	return empty(err)
}

func (s *service) Mount(ctx context.Context, req *halopb.MountRequest) (*halopb.Empty, error) {
	// A mount reads the UFS as the master: its own files, and stores with
	// the deployment's credentials.
	if err := s.m.ids.admin(ctx, "mount an under file system"); err != nil {
		return nil, err
	}
	entry, err := s.m.mountEntry(ctx, req)
	if err != nil {
		return nil, err
	}
	_, err = s.propose(ctx, req.OpId, &halopb.Entry{Payload: &halopb.Entry_AddMountPoint{AddMountPoint: entry}})
	return empty(err)
}

func (s *service) Unmount(ctx context.Context, req *halopb.UnmountRequest) (*halopb.Empty, error) {
	_, err := s.propose(ctx, req.OpId, &halopb.Entry{Payload: &halopb.Entry_DeleteMountPoint{DeleteMountPoint: &halopb.DeleteMountPointEntry{Path: req.Path}}})
	return empty(err)
}

func (s *service) GetMountTable(ctx context.Context, _ *halopb.Empty) (*halopb.MountTableResponse, error) {
	if _, err := s.read(ctx); err != nil {
		return nil, err
	}
	return &halopb.MountTableResponse{Mounts: s.m.fsm.MountTable()}, nil
}

func (s *service) LoadMetadata(ctx context.Context, req *halopb.LoadMetadataRequest) (*halopb.LoadMetadataResponse, error) {
	if _, err := s.read(ctx); err != nil {
		return nil, err
	}
	entry, err := s.m.loadMetadataEntry(ctx, req)
	if err != nil {
		return nil, err
	}
	res, err := s.propose(ctx, req.OpId, &halopb.Entry{Payload: &halopb.Entry_LoadMetadata{LoadMetadata: entry}})
	if err != nil {
		return nil, err
	}
	return &halopb.LoadMetadataResponse{Loaded: res.InodeID}, nil
}

func (s *service) GetMasterInfo(ctx context.Context, _ *halopb.Empty) (*halopb.MasterInfo, error) {
	return s.m.Info(), nil
}

func (s *service) Backup(ctx context.Context, req *halopb.BackupRequest) (*halopb.BackupResponse, error) {
	if err := s.m.ids.admin(ctx, "take a backup"); err != nil {
		return nil, err
	}
	return s.m.Backup(ctx, req)
}

func (s *service) Checkpoint(ctx context.Context, _ *halopb.Empty) (*halopb.CheckpointResponse, error) {
	if err := s.m.ids.admin(ctx, "take a checkpoint"); err != nil {
		return nil, err
	}
	info, err := s.m.replicator.Checkpoint(ctx)
	if err != nil {
		return nil, err
	}
	return &halopb.CheckpointResponse{Location: info.Location, Index: info.Index}, nil
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
	return resp, fserr.ToGRPC(err)
}

func (m *Master) streamInterceptor(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	start := time.Now()
	err := handler(srv, ss)
	name := methodName(info.FullMethod)
	m.metrics.RPCs.WithLabelValues(name, fserr.CodeOf(err).String()).Inc()
	m.metrics.RPCLatency.WithLabelValues(name).Observe(time.Since(start).Seconds())
	return fserr.ToGRPC(err)
}
