// Package alluxiorpc serves Alluxio 2.9's own gRPC protocol (package
// proto/alluxiopb) on the master's RPC port, beside Halo's, so that
// Alluxio's shell, its Hadoop client and its jobs talk to Halo masters
// unchanged. Each handler translates Alluxio's request into the master's
// operations and the answer back; it decides nothing about the namespace.
//
// As in Alluxio, only the primary serves clients: a standby answers their
// calls UNAVAILABLE, which sends Alluxio's client on to the next master.
// The services workers call are served by every master (see
// servedByStandbys).
package alluxiorpc

import (
	"context"
	"runtime/debug"
	"strings"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/master"
	"github.com/halo-fs/halo/proto/alluxiopb"
	"google.golang.org/grpc"
)

// servicePrefix starts the full method name of every Alluxio service.
const servicePrefix = "/alluxio.grpc."

// Extension is the master extension that serves Alluxio's protocol.
func Extension(m *master.Master) master.Extension {
	return master.Extension{
		Register: func(s *grpc.Server) { register(s, m) },
		Unary: func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (_ any, err error) {
			if !strings.HasPrefix(info.FullMethod, servicePrefix) {
				return handler(ctx, req)
			}
			if err := admit(ctx, m, info.FullMethod); err != nil {
				return nil, err
			}
			if err := refuseUnknownFields(req); err != nil {
				return nil, err
			}
			if _, err := opSeq(ctx); err != nil {
				return nil, err
			}
			defer recoverAsError(m, info.FullMethod, &err)
			return handler(ctx, req)
		},
		Stream: func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
			if !strings.HasPrefix(info.FullMethod, servicePrefix) {
				return handler(srv, ss)
			}
			if err := admit(ss.Context(), m, info.FullMethod); err != nil {
				return err
			}
			defer recoverAsError(m, info.FullMethod, &err)
			return handler(srv, strictStream{ss})
		},
	}
}

func register(s *grpc.Server, m *master.Master) {
	alluxiopb.RegisterSaslAuthenticationServiceServer(s, &sasl{m: m})
	alluxiopb.RegisterServiceVersionClientServiceServer(s, versions{})
	alluxiopb.RegisterMetaMasterConfigurationServiceServer(s, newConfiguration(m))
	alluxiopb.RegisterMetaMasterClientServiceServer(s, &meta{m: m})
	alluxiopb.RegisterFileSystemMasterClientServiceServer(s, &fileSystem{m: m})
	alluxiopb.RegisterJournalMasterClientServiceServer(s, &journal{m: m})
	alluxiopb.RegisterBlockMasterClientServiceServer(s, &blocks{m: m})
	alluxiopb.RegisterMetricsMasterClientServiceServer(s, metrics{})
	alluxiopb.RegisterBlockMasterWorkerServiceServer(s, &blockWorkers{m: m})
	alluxiopb.RegisterFileSystemMasterWorkerServiceServer(s, &fileSystemWorkers{m: m})
}

// admit refuses a call on a standby unless its service is served by
// standbys, and a worker's call from an unidentified caller.
func admit(ctx context.Context, m *master.Master, method string) error {
	if hasPrefix(method, workerServices) {
		if err := m.Identify(ctx); err != nil {
			return err
		}
	}
	if hasPrefix(method, servedByStandbys) {
		return nil
	}
	if m.ServesStaleReads() && staleReads[method] {
		return nil
	}
	return primaryOnly(ctx, m)
}

// staleReads are the calls a standby answers from its own replica under
// the test-only halo.test.unsafe.stale.reads: the namespace reads.
var staleReads = map[string]bool{
	fileSystemMethod("GetStatus"):         true,
	fileSystemMethod("Exists"):            true,
	fileSystemMethod("ListStatus"):        true,
	fileSystemMethod("ListStatusPartial"): true,
	fileSystemMethod("GetMountTable"):     true,
}

func fileSystemMethod(name string) string {
	return "/" + alluxiopb.FileSystemMasterClientService_ServiceDesc.ServiceName + "/" + name
}

// primaryOnly refuses an Alluxio call on a standby, naming the primary
// when this master knows it. During a failover it first waits for the
// election: Alluxio's client polls the masters with exponential backoff,
// and an immediate refusal from every one would let that backoff, not the
// election, decide when it finds the new primary.
func primaryOnly(ctx context.Context, m *master.Master) error {
	leading, primary := m.LeadingOnceSettled(ctx)
	if leading {
		return nil
	}
	if primary == "" {
		return &fserr.Error{Code: fserr.NotLeader, Message: "this master is a standby and knows no primary yet"}
	}
	return &fserr.Error{Code: fserr.NotLeader, Message: "this master is a standby; the primary is " + primary, LeaderHint: primary}
}

// recoverAsError turns a handler's panic into an Internal error for that
// call: a request a translation did not foresee must not end the master.
func recoverAsError(m *master.Master, method string, err *error) {
	if r := recover(); r != nil {
		m.Logger().Error("Alluxio RPC handler panicked", "method", method, "panic", r, "stack", string(debug.Stack()))
		*err = fserr.New(fserr.Internal, "internal error in %s: %v", method, r)
	}
}

func hasPrefix(method string, prefixes []string) bool {
	for _, prefix := range prefixes {
		if strings.HasPrefix(method, prefix) {
			return true
		}
	}
	return false
}
