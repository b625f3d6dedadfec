package halorpc

import (
	"context"

	"github.com/halo-fs/halo/master"
	"github.com/halo-fs/halo/proto/halopb"
)

// service implements halopb.HaloServiceServer: each handler translates
// the wire request to one of the master's operations and its answer back
// to the wire, and does nothing else.
type service struct {
	halopb.UnimplementedHaloServiceServer
	m *master.Master
}

// GetMasterInfo answers on every master, whatever its role: report tables
// show each master's own answer.
func (s *service) GetMasterInfo(context.Context, *halopb.Empty) (*halopb.MasterInfo, error) {
	return s.m.Info(), nil
}

func (s *service) LoadMetadata(ctx context.Context, req *halopb.LoadMetadataRequest) (*halopb.LoadMetadataResponse, error) {
	loaded, err := s.m.LoadMetadata(ctx, loadMetadataOptionsFrom(req))
	if err != nil {
		return nil, err
	}
	return &halopb.LoadMetadataResponse{Loaded: loaded}, nil
}

// Checkpoint writes a checkpoint of this master's namespace, whatever its
// role.
func (s *service) Checkpoint(ctx context.Context, _ *halopb.Empty) (*halopb.CheckpointResponse, error) {
	location, index, err := s.m.Checkpoint(ctx)
	if err != nil {
		return nil, err
	}
	return &halopb.CheckpointResponse{Location: location, Index: index}, nil
}

// GetQuorumInfo is `fsadmin journal quorum info` with Raft's figures, over
// the replicator's membership administration (the embedded journal's
// only).
func (s *service) GetQuorumInfo(ctx context.Context, _ *halopb.Empty) (*halopb.QuorumInfo, error) {
	return s.m.QuorumInfo(ctx)
}

func (s *service) AddQuorumMember(ctx context.Context, req *halopb.QuorumMemberRequest) (*halopb.Empty, error) {
	if err := s.m.ChangeQuorum(ctx, "add a quorum member", req.Address, master.QuorumAdmin.AddMember); err != nil {
		return nil, err
	}
	return &halopb.Empty{}, nil
}
