package master

import (
	"context"
	"strings"
	"time"

	"github.com/halo-fs/halo/conf"
	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/fserr/rpcerr"
	"github.com/halo-fs/halo/ha"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
)

// Extension is a gRPC API served on the master's RPC port: package
// master/halorpc serves Halo's own API this way, package master/alluxiorpc
// Alluxio's protocol. Its interceptors run inside the master's, which map
// typed errors to gRPC statuses and count every call, in the order the
// extensions were added.
type Extension struct {
	Register func(*grpc.Server)
	Unary    grpc.UnaryServerInterceptor
	Stream   grpc.StreamServerInterceptor
}

// Extend adds an API to the RPC port; call it before Start.
func (m *Master) Extend(e Extension) { m.extensions = append(m.extensions, e) }

// unaryInterceptor maps typed errors to gRPC statuses and records metrics,
// for the calls of every extension.
func (m *Master) unaryInterceptor(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	start := time.Now()
	resp, err := handler(ctx, req)
	m.recordCall(info.FullMethod, start, err)
	return resp, rpcerr.ToGRPC(err)
}

func (m *Master) streamInterceptor(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	start := time.Now()
	err := handler(srv, ss)
	m.recordCall(info.FullMethod, start, err)
	return rpcerr.ToGRPC(err)
}

// recordCall counts a call that started at start by its method's short
// name ("CreateFile" of "/alluxio.grpc.file.FileSystemMasterClientService/CreateFile")
// and outcome.
func (m *Master) recordCall(fullMethod string, start time.Time, err error) {
	name := fullMethod[strings.LastIndexByte(fullMethod, '/')+1:]
	m.metrics.RPCs.WithLabelValues(name, fserr.CodeOf(err).String()).Inc()
	m.metrics.RPCLatency.WithLabelValues(name).Observe(time.Since(start).Seconds())
}

// Leading reports whether this master serves as the primary, and if not,
// the primary's RPC address when it is known.
func (m *Master) Leading() (bool, string) {
	st := m.replicator.Status()
	return st.Leader, st.LeaderRPCAddress
}

// LeadingOnceSettled is Leading once the HA mode has a live leader to
// name: on a standby whose leader fell silent it waits (bounded) for the
// election, so that it neither names a dead leader nor refuses a call it
// is about to be able to serve.
// A stopping master waits no more: its graceful stop waits for the call.
func (m *Master) LeadingOnceSettled(ctx context.Context) (bool, string) {
	if a, ok := m.replicator.(ha.LeaderAwaiter); ok {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go func() {
			select {
			case <-m.stopping:
				cancel()
			case <-ctx.Done():
			}
		}()
		a.AwaitLiveLeader(ctx)
	}
	return m.Leading()
}

// ServesStaleReads says whether this master answers reads whatever its
// role (halo.test.unsafe.stale.reads, test only).
func (m *Master) ServesStaleReads() bool { return m.cfg.UnsafeStaleReads }

// OpenChannel records that an Alluxio client's channel id belongs to
// user until the returned close is called (see identity.OpenChannel).
func (m *Master) OpenChannel(id, user string) (close func(), err error) {
	return m.ids.OpenChannel(id, user)
}

// Identify refuses the call in ctx unless the master can tell who makes
// it (an authenticated channel or, under SIMPLE, a user name).
func (m *Master) Identify(ctx context.Context) error {
	_, err := m.ids.Caller(ctx)
	return err
}

// ClusterConfiguration is the deployment's resolved configuration, as the
// master publishes it to clients.
func (m *Master) ClusterConfiguration() []conf.KeyValue { return m.cfg.ClusterConfiguration }

// Logger is the master's log.
func (m *Master) Logger() hclog.Logger { return m.log }
