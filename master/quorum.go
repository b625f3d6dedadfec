package master

import (
	"context"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/proto/halopb"
)

// QuorumAdmin is implemented by replicators with a membership to manage
// (the embedded journal).
type QuorumAdmin interface {
	QuorumInfo(ctx context.Context) (*halopb.QuorumInfo, error)
	TransferLeadership(ctx context.Context, address string) error
	AddMember(ctx context.Context, address string) error
	RemoveMember(ctx context.Context, address string) error
}

// quorumAdmin returns the replicator's QuorumAdmin, or an error saying the
// HA mode has none.
func (m *Master) quorumAdmin() (QuorumAdmin, error) {
	if q, ok := m.replicator.(QuorumAdmin); ok {
		return q, nil
	}
	return nil, fserr.New(fserr.FailedPrecondition, "quorum commands need the embedded journal (--ha=raft); this master runs --ha=%s", m.cfg.HAMode)
}

func (s *service) GetQuorumInfo(ctx context.Context, _ *halopb.Empty) (*halopb.QuorumInfo, error) {
	q, err := s.m.quorumAdmin()
	if err != nil {
		return nil, err
	}
	return q.QuorumInfo(ctx)
}

func (s *service) TransferLeadership(ctx context.Context, req *halopb.QuorumMemberRequest) (*halopb.Empty, error) {
	return s.quorumChange(ctx, "transfer leadership", req, QuorumAdmin.TransferLeadership)
}

func (s *service) AddQuorumMember(ctx context.Context, req *halopb.QuorumMemberRequest) (*halopb.Empty, error) {
	return s.quorumChange(ctx, "add a quorum member", req, QuorumAdmin.AddMember)
}

func (s *service) RemoveQuorumMember(ctx context.Context, req *halopb.QuorumMemberRequest) (*halopb.Empty, error) {
	return s.quorumChange(ctx, "remove a quorum member", req, QuorumAdmin.RemoveMember)
}

func (s *service) quorumChange(ctx context.Context, what string, req *halopb.QuorumMemberRequest, change func(QuorumAdmin, context.Context, string) error) (*halopb.Empty, error) {
	if err := s.m.ids.Admin(ctx, what); err != nil {
		return nil, err
	}
	q, err := s.m.quorumAdmin()
	if err != nil {
		return nil, err
	}
	if req.Address == "" {
		return nil, fserr.New(fserr.InvalidArgument, "%s: no -address given", what)
	}
	if err := change(q, ctx, req.Address); err != nil {
		return nil, err
	}
	return &halopb.Empty{}, nil
}
