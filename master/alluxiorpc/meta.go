package alluxiorpc

import (
	"context"
	"net"
	"strconv"

	"github.com/halo-fs/halo/master"
	"github.com/halo-fs/halo/proto/alluxiopb"
	"github.com/halo-fs/halo/proto/halopb"
	"google.golang.org/protobuf/proto"
)

// meta answers `fs masterInfo`, `fsadmin report`, `fsadmin backup` and
// `fsadmin journal checkpoint`.
type meta struct {
	alluxiopb.UnimplementedMetaMasterClientServiceServer
	m *master.Master
}

func (s *meta) GetMasterInfo(context.Context, *alluxiopb.GetMasterInfoPOptions) (*alluxiopb.GetMasterInfoPResponse, error) {
	return &alluxiopb.GetMasterInfoPResponse{MasterInfo: masterInfo(s.m.Info())}, nil
}

// masterInfo is Alluxio's view of Halo's master report. Every field is
// filled whatever the filter asks, as the filter only saves work. The
// version is Halo's: `fsadmin report` shows which software serves.
func masterInfo(in *halopb.MasterInfo) *alluxiopb.MasterInfo {
	out := &alluxiopb.MasterInfo{
		LeaderMasterAddress: proto.String(in.LeaderAddress),
		RpcPort:             proto.Int32(int32(in.RpcPort)),
		WebPort:             proto.Int32(int32(in.WebPort)),
		SafeMode:            proto.Bool(false),
		StartTimeMs:         proto.Int64(in.StartTimeMs),
		UpTimeMs:            proto.Int64(in.UptimeMs),
		Version:             proto.String(in.Version),
		ClusterId:           proto.String(in.ClusterId),
		RaftJournal:         proto.Bool(in.HaMode == "raft"),
		RaftAddress:         in.RaftAddresses,
	}
	if in.ZookeeperEnabled {
		out.ZookeeperAddresses = in.ZookeeperAddresses
	}
	for _, a := range in.MasterAddresses {
		out.MasterAddresses = append(out.MasterAddresses, netAddress(a))
	}
	return out
}

// netAddress turns host:port into Alluxio's address; a malformed one keeps
// its text as the host.
func netAddress(hostPort string) *alluxiopb.NetAddress {
	host, port, err := net.SplitHostPort(hostPort)
	if err != nil {
		return &alluxiopb.NetAddress{Host: proto.String(hostPort)}
	}
	p, _ := strconv.Atoi(port)
	return &alluxiopb.NetAddress{Host: proto.String(host), RpcPort: proto.Int32(int32(p))}
}

func (s *meta) Checkpoint(ctx context.Context, _ *alluxiopb.CheckpointPOptions) (*alluxiopb.CheckpointPResponse, error) {
	if _, _, err := s.m.Checkpoint(ctx); err != nil {
		return nil, err
	}
	return &alluxiopb.CheckpointPResponse{MasterHostname: proto.String(s.m.Info().Hostname)}, nil
}

// Backup takes the backup synchronously: Halo's backups stream the
// namespace from a consistent view and take seconds, so the answer is the
// finished status, which Alluxio's shell prints as it would after polling.
func (s *meta) Backup(ctx context.Context, req *alluxiopb.BackupPRequest) (*alluxiopb.BackupPStatus, error) {
	res, err := s.m.Backup(ctx, &halopb.BackupRequest{
		Directory: req.GetTargetDirectory(),
		Local:     req.GetOptions().GetLocalFileSystem(),
	})
	if err != nil {
		return nil, err
	}
	return &alluxiopb.BackupPStatus{
		BackupId:    proto.String(res.BackupUri),
		BackupState: alluxiopb.BackupState_Completed.Enum(),
		BackupHost:  proto.String(res.BackupHost),
		BackupUri:   proto.String(res.BackupUri),
		EntryCount:  proto.Int64(int64(res.EntryCount)),
	}, nil
}
