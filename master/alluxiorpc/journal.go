package alluxiorpc

import (
	"context"
	"net"
	"strconv"

	"github.com/halo-fs/halo/master"
	"github.com/halo-fs/halo/proto/alluxiopb"
	"google.golang.org/protobuf/proto"
)

// journal is `fsadmin journal quorum`: Alluxio's names for the embedded
// journal's membership commands.
type journal struct {
	alluxiopb.UnimplementedJournalMasterClientServiceServer
	m *master.Master
}

func (j *journal) GetQuorumInfo(ctx context.Context, _ *alluxiopb.GetQuorumInfoPRequest) (*alluxiopb.GetQuorumInfoPResponse, error) {
	info, err := j.m.QuorumInfo(ctx)
	if err != nil {
		return nil, err
	}
	resp := &alluxiopb.GetQuorumInfoPResponse{Domain: alluxiopb.JournalDomain_MASTER.Enum()}
	for _, member := range info.Members {
		state := alluxiopb.QuorumServerState_UNAVAILABLE
		if member.State == "AVAILABLE" {
			state = alluxiopb.QuorumServerState_AVAILABLE
		}
		resp.ServerInfo = append(resp.ServerInfo, &alluxiopb.QuorumServerInfo{
			ServerAddress: netAddress(member.Address),
			ServerState:   state.Enum(),
			IsLeader:      proto.Bool(member.Leader),
			Priority:      proto.Int32(0),
		})
	}
	return resp, nil
}

func (j *journal) RemoveQuorumServer(ctx context.Context, req *alluxiopb.RemoveQuorumServerPRequest) (*alluxiopb.RemoveQuorumServerPResponse, error) {
	if err := j.change(ctx, "remove a quorum member", req.GetServerAddress(), master.QuorumAdmin.RemoveMember); err != nil {
		return nil, err
	}
	return &alluxiopb.RemoveQuorumServerPResponse{}, nil
}

// TransferLeadership finishes the transfer before it answers, so the
// transfer id it returns has nothing left to report.
func (j *journal) TransferLeadership(ctx context.Context, req *alluxiopb.TransferLeadershipPRequest) (*alluxiopb.TransferLeadershipPResponse, error) {
	if err := j.change(ctx, "transfer leadership", req.GetServerAddress(), master.QuorumAdmin.TransferLeadership); err != nil {
		return nil, err
	}
	return &alluxiopb.TransferLeadershipPResponse{TransferId: proto.String(hostPort(req.GetServerAddress()))}, nil
}

func (j *journal) GetTransferLeaderMessage(context.Context, *alluxiopb.GetTransferLeaderMessagePRequest) (*alluxiopb.GetTransferLeaderMessagePResponse, error) {
	return &alluxiopb.GetTransferLeaderMessagePResponse{TransMsg: &alluxiopb.TransferLeaderMessage{Msg: proto.String("")}}, nil
}

func (j *journal) change(ctx context.Context, what string, addr *alluxiopb.NetAddress, change func(master.QuorumAdmin, context.Context, string) error) error {
	address := ""
	if addr.GetHost() != "" && addr.GetRpcPort() > 0 {
		address = hostPort(addr)
	}
	return j.m.ChangeQuorum(ctx, what, address, change)
}

func hostPort(a *alluxiopb.NetAddress) string {
	return net.JoinHostPort(a.GetHost(), strconv.Itoa(int(a.GetRpcPort())))
}
