// Package halorpc serves Halo's own gRPC API (package proto/halopb, the
// MasterService that package client and the halo CLI speak) on the
// master's RPC port, as a master.Extension beside Alluxio's protocol
// (package master/alluxiorpc). It owns the handlers, the translations
// between halopb messages and the master's operations, and the check of
// a request against the master's limits before its handler runs; it
// decides nothing about the namespace. What every API shares (metrics per
// call, typed errors as gRPC statuses, message size limits) is the
// master's own interceptors' work.
package halorpc

import (
	"context"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/master"
	"github.com/halo-fs/halo/proto/halopb"
	"google.golang.org/grpc"
)

// Extension is the master extension that serves Halo's API.
func Extension(m *master.Master) master.Extension {
	return master.Extension{
		Register: func(s *grpc.Server) {
			svc := &service{m: m}
			halopb.RegisterMasterServiceServer(s, svc)
			halopb.RegisterHaloServiceServer(s, &haloService{s: svc})
		},
		Unary: func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
			if err := validateRequest(req); err != nil {
				return nil, err
			}
			return handler(ctx, req)
		},
	}
}

// validateRequest checks a unary request of Halo's API against the
// master's limits, before the handler runs; requests it does not know
// carry nothing that is journaled. The journaled operations check the same
// again, where every API's requests pass.
func validateRequest(req any) error {
	switch r := req.(type) {
	case *halopb.CreateFileRequest:
		return createFileOptionsFrom(r).Validate()
	case *halopb.CreateDirectoryRequest:
		return createDirectoryOptionsFrom(r).Validate()
	case *halopb.RenameRequest:
		return master.ValidateRename(r.Src, r.Dst)
	case *halopb.DeleteRequest:
		return deleteOptionsFrom(r).Validate()
	case *halopb.SetAttributeRequest:
		if r.Attr == nil {
			return errNoAttributes()
		}
		return setAttributeOptionsFrom(r.OpId, r.Attr).Validate()
	case *halopb.CompleteFileRequest:
		return completeFileOptionsFrom(r).Validate()
	case *halopb.MountRequest:
		return mountOptionsFrom(r).Validate()
	case *halopb.UnmountRequest:
		return master.ValidateUnmount(r.Path)
	case *halopb.LoadMetadataRequest:
		return loadMetadataOptionsFrom(r).Validate()
	case *halopb.BackupRequest:
		return master.ValidateBackupFolder(r.Directory)
	case *halopb.QuorumMemberRequest:
		return master.ValidateQuorumAddress(r.Address)
	}
	return nil
}

func errNoAttributes() error {
	return fserr.New(fserr.InvalidArgument, "SetAttribute without attributes")
}
