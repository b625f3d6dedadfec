package master

import (
	"context"
	"fmt"
	"net"
	"strconv"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/ha"
	"github.com/halo-fs/halo/master/identity"
	"github.com/halo-fs/halo/proto/halopb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// What the web UI (package web/masterui) asks of a master, beside Info,
// Workers and ClusterConfiguration.

// Namespace is this master's replica of the namespace, which the UI reads
// as of its applied index.
func (m *Master) Namespace() *fsm.FSM { return m.fsm }

// QuorumInfo is the embedded journal's view of its members, or an error
// saying that the HA mode has none.
func (m *Master) QuorumInfo(ctx context.Context) (*halopb.QuorumInfo, error) {
	q, err := m.Quorum()
	if err != nil {
		return nil, err
	}
	return q.QuorumInfo(ctx)
}

// CommitIndex is the commit index this master last heard of, in modes
// that have one (the embedded journal).
func (m *Master) CommitIndex() (uint64, bool) {
	c, ok := m.replicator.(interface{ CommitIndex() uint64 })
	if !ok {
		return 0, false
	}
	return c.CommitIndex(), true
}

// Election is the leader changes this master saw, in the modes with
// elections.
func (m *Master) Election() (ha.Election, bool) {
	r, ok := m.replicator.(ha.ElectionReporter)
	if !ok {
		return ha.Election{}, false
	}
	return r.Election(), true
}

// LeaderWebURL asks the leader for its web port (masters need not share
// one) and answers the address of its UI.
func (m *Master) LeaderWebURL(ctx context.Context) (string, error) {
	leader := m.Info().LeaderAddress
	if leader == "" {
		return "", fserr.New(fserr.Unavailable, "no leader is known")
	}
	opts := append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, m.cfg.PeerDialOptions...)
	conn, err := grpc.NewClient(leader, opts...)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	info, err := halopb.NewHaloServiceClient(conn).GetMasterInfo(ctx, &halopb.Empty{})
	if err != nil {
		return "", fmt.Errorf("ask leader %s: %w", leader, err)
	}
	if info.WebPort == 0 {
		return "", fserr.New(fserr.Unavailable, "leader %s serves no web port", leader)
	}
	scheme := "http"
	if m.cfg.Authentication == identity.Certificate && m.cfg.TLS != nil {
		scheme = "https"
	}
	host, _, err := net.SplitHostPort(leader)
	if err != nil {
		return "", err
	}
	return scheme + "://" + net.JoinHostPort(host, strconv.Itoa(int(info.WebPort))) + "/", nil
}
