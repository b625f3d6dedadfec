package master

import (
	"context"

	"github.com/halo-fs/halo/conf"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
)

// Extension is a further gRPC API served on the master's RPC port beside
// Halo's own: package master/alluxiorpc serves Alluxio's protocol this way.
// Its interceptors run inside the master's, which map typed errors to gRPC
// statuses and count every call.
type Extension struct {
	Register func(*grpc.Server)
	Unary    grpc.UnaryServerInterceptor
	Stream   grpc.StreamServerInterceptor
}

// Extend adds an API to the RPC port; call it before Start.
func (m *Master) Extend(e Extension) { m.extensions = append(m.extensions, e) }

// Leading reports whether this master serves as the primary, and if not,
// the primary's RPC address when it is known.
func (m *Master) Leading() (bool, string) {
	st := m.replicator.Status()
	return st.Leader, st.LeaderRPCAddress
}

// OpenChannel records that an Alluxio client's channel id belongs to
// user until the returned close is called (see identity.OpenChannel).
func (m *Master) OpenChannel(id, user string) (close func(), err error) {
	return m.ids.OpenChannel(id, user)
}

// RequireAdmin refuses the call in ctx unless a proven superuser makes it.
func (m *Master) RequireAdmin(ctx context.Context, what string) error {
	return m.ids.Admin(ctx, what)
}

// Quorum is the replicator's membership administration, or an error
// saying that the HA mode has none.
func (m *Master) Quorum() (QuorumAdmin, error) { return m.quorumAdmin() }

// ClusterConfiguration is the deployment's resolved configuration, as the
// master publishes it to clients.
func (m *Master) ClusterConfiguration() []conf.KeyValue { return m.cfg.ClusterConfiguration }

// Logger is the master's log.
func (m *Master) Logger() hclog.Logger { return m.log }
