package halorpc

import (
	"context"

	"github.com/halo-fs/halo/proto/halopb"
)

// haloService implements halopb.HaloServiceServer, what Alluxio's
// protocol cannot carry, with the same handlers as MasterService.
type haloService struct {
	halopb.UnimplementedHaloServiceServer
	s *service
}

func (h *haloService) GetMasterInfo(ctx context.Context, req *halopb.Empty) (*halopb.MasterInfo, error) {
	return h.s.GetMasterInfo(ctx, req)
}

func (h *haloService) GetQuorumInfo(ctx context.Context, req *halopb.Empty) (*halopb.QuorumInfo, error) {
	return h.s.GetQuorumInfo(ctx, req)
}

func (h *haloService) AddQuorumMember(ctx context.Context, req *halopb.QuorumMemberRequest) (*halopb.Empty, error) {
	return h.s.AddQuorumMember(ctx, req)
}

func (h *haloService) LoadMetadata(ctx context.Context, req *halopb.LoadMetadataRequest) (*halopb.LoadMetadataResponse, error) {
	return h.s.LoadMetadata(ctx, req)
}
