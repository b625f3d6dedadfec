package alluxiorpc

import (
	"context"

	"github.com/halo-fs/halo/master"
	"github.com/halo-fs/halo/proto/alluxiopb"
	"google.golang.org/protobuf/proto"
)

// blocks is the client side of Alluxio's block master: capacity and the
// worker list. Halo has no workers yet, so the cluster has none and no
// capacity, which `fsadmin report` prints as such.
type blocks struct {
	alluxiopb.UnimplementedBlockMasterClientServiceServer
	m *master.Master
}

func (b *blocks) GetBlockMasterInfo(context.Context, *alluxiopb.GetBlockMasterInfoPOptions) (*alluxiopb.GetBlockMasterInfoPResponse, error) {
	return &alluxiopb.GetBlockMasterInfoPResponse{BlockMasterInfo: &alluxiopb.BlockMasterInfo{
		CapacityBytes:           proto.Int64(0),
		CapacityBytesOnTiers:    map[string]int64{},
		FreeBytes:               proto.Int64(0),
		LiveWorkerNum:           proto.Int32(0),
		LostWorkerNum:           proto.Int32(0),
		UsedBytes:               proto.Int64(0),
		UsedBytesOnTiers:        map[string]int64{},
		DecommissionedWorkerNum: proto.Int32(0),
	}}, nil
}

func (b *blocks) GetWorkerInfoList(context.Context, *alluxiopb.GetWorkerInfoListPOptions) (*alluxiopb.GetWorkerInfoListPResponse, error) {
	return &alluxiopb.GetWorkerInfoListPResponse{}, nil
}

func (b *blocks) GetWorkerReport(context.Context, *alluxiopb.GetWorkerReportPOptions) (*alluxiopb.GetWorkerInfoListPResponse, error) {
	return &alluxiopb.GetWorkerInfoListPResponse{}, nil
}

func (b *blocks) GetCapacityBytes(context.Context, *alluxiopb.GetCapacityBytesPOptions) (*alluxiopb.GetCapacityBytesPResponse, error) {
	return &alluxiopb.GetCapacityBytesPResponse{Bytes: proto.Int64(0)}, nil
}

func (b *blocks) GetUsedBytes(context.Context, *alluxiopb.GetUsedBytesPOptions) (*alluxiopb.GetUsedBytesPResponse, error) {
	return &alluxiopb.GetUsedBytesPResponse{Bytes: proto.Int64(0)}, nil
}
