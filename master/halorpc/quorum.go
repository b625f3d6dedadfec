package halorpc

import (
	"context"

	"github.com/halo-fs/halo/master"
	"github.com/halo-fs/halo/proto/halopb"
)

// The quorum commands of `fsadmin journal quorum`, over the replicator's
// membership administration (the embedded journal's only).

func (s *service) GetQuorumInfo(ctx context.Context, _ *halopb.Empty) (*halopb.QuorumInfo, error) {
	q, err := s.m.Quorum()
	if err != nil {
		return nil, err
	}
	return q.QuorumInfo(ctx)
}

func (s *service) TransferLeadership(ctx context.Context, req *halopb.QuorumMemberRequest) (*halopb.Empty, error) {
	return s.quorumChange(ctx, "transfer leadership", req, master.QuorumAdmin.TransferLeadership)
}

func (s *service) AddQuorumMember(ctx context.Context, req *halopb.QuorumMemberRequest) (*halopb.Empty, error) {
	return s.quorumChange(ctx, "add a quorum member", req, master.QuorumAdmin.AddMember)
}

func (s *service) RemoveQuorumMember(ctx context.Context, req *halopb.QuorumMemberRequest) (*halopb.Empty, error) {
	return s.quorumChange(ctx, "remove a quorum member", req, master.QuorumAdmin.RemoveMember)
}

func (s *service) quorumChange(ctx context.Context, what string, req *halopb.QuorumMemberRequest, change func(master.QuorumAdmin, context.Context, string) error) (*halopb.Empty, error) {
	if err := s.m.ChangeQuorum(ctx, what, req.Address, change); err != nil {
		return nil, err
	}
	return &halopb.Empty{}, nil
}
