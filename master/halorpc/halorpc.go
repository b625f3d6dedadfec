// Package halorpc serves Halo's own gRPC service (package proto/halopb,
// HaloService) on the master's RPC port, as a master.Extension beside
// Alluxio's protocol (package master/alluxiorpc), which carries every
// namespace operation: HaloService is what that protocol cannot carry —
// each master's own report, the quorum's Raft figures, adding a quorum
// member, an explicit metadata load. It owns the handlers, their
// translations, and the check of a request against the master's limits
// before its handler runs; it decides nothing about the namespace. What
// every API shares (metrics per call, typed errors as gRPC statuses,
// message size limits) is the master's own interceptors' work.
package halorpc

import (
	"context"

	"github.com/halo-fs/halo/master"
	"github.com/halo-fs/halo/proto/halopb"
	"google.golang.org/grpc"
)

// Extension is the master extension that serves HaloService.
func Extension(m *master.Master) master.Extension {
	return master.Extension{
		Register: func(s *grpc.Server) { halopb.RegisterHaloServiceServer(s, &service{m: m}) },
		Unary: func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
			if err := validateRequest(req); err != nil {
				return nil, err
			}
			return handler(ctx, req)
		},
	}
}

// validateRequest checks a unary request of HaloService against the
// master's limits, before the handler runs; requests it does not know
// carry nothing that is journaled. The journaled operations check the same
// again, where every API's requests pass.
func validateRequest(req any) error {
	switch r := req.(type) {
	case *halopb.LoadMetadataRequest:
		return loadMetadataOptionsFrom(r).Validate()
	case *halopb.QuorumMemberRequest:
		return master.ValidateQuorumAddress(r.Address)
	}
	return nil
}
