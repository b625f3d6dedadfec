package alluxiorpc

import (
	"context"
	"slices"
	"time"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/master"
	"github.com/halo-fs/halo/master/blockmaster"
	"github.com/halo-fs/halo/proto/alluxiopb"
	"google.golang.org/protobuf/proto"
)

// blocks is the client side of Alluxio's block master: capacity, the
// worker list and block locations, read from this master's worker table.
type blocks struct {
	alluxiopb.UnimplementedBlockMasterClientServiceServer
	m *master.Master
}

func (b *blocks) GetBlockMasterInfo(context.Context, *alluxiopb.GetBlockMasterInfoPOptions) (*alluxiopb.GetBlockMasterInfoPResponse, error) {
	s := b.m.Workers().Summary()
	return &alluxiopb.GetBlockMasterInfoPResponse{BlockMasterInfo: &alluxiopb.BlockMasterInfo{
		CapacityBytes:           proto.Int64(s.Capacity),
		CapacityBytesOnTiers:    s.CapacityOnTiers,
		FreeBytes:               proto.Int64(s.Capacity - s.Used),
		LiveWorkerNum:           proto.Int32(int32(s.Live)),
		LostWorkerNum:           proto.Int32(int32(s.Lost)),
		UsedBytes:               proto.Int64(s.Used),
		UsedBytesOnTiers:        s.UsedOnTiers,
		DecommissionedWorkerNum: proto.Int32(0),
	}}, nil
}

// GetWorkerInfoList lists the live workers, as Alluxio's does.
func (b *blocks) GetWorkerInfoList(context.Context, *alluxiopb.GetWorkerInfoListPOptions) (*alluxiopb.GetWorkerInfoListPResponse, error) {
	return b.workerList(func(w blockmaster.WorkerInfo) bool { return w.State == blockmaster.Live }), nil
}

func (b *blocks) GetWorkerReport(_ context.Context, opts *alluxiopb.GetWorkerReportPOptions) (*alluxiopb.GetWorkerInfoListPResponse, error) {
	switch opts.GetWorkerRange() {
	case alluxiopb.WorkerRange_LIVE:
		return b.workerList(func(w blockmaster.WorkerInfo) bool { return w.State == blockmaster.Live }), nil
	case alluxiopb.WorkerRange_LOST:
		return b.workerList(func(w blockmaster.WorkerInfo) bool { return w.State == blockmaster.Lost }), nil
	case alluxiopb.WorkerRange_DECOMMISSIONED:
		return &alluxiopb.GetWorkerInfoListPResponse{}, nil
	case alluxiopb.WorkerRange_SPECIFIED:
		named := opts.GetAddresses()
		return b.workerList(func(w blockmaster.WorkerInfo) bool { return slices.Contains(named, w.Address.Host) }), nil
	default:
		return b.workerList(func(blockmaster.WorkerInfo) bool { return true }), nil
	}
}

func (b *blocks) workerList(keep func(blockmaster.WorkerInfo) bool) *alluxiopb.GetWorkerInfoListPResponse {
	now := time.Now()
	out := &alluxiopb.GetWorkerInfoListPResponse{}
	for _, w := range b.m.Workers().Workers() {
		if keep(w) {
			out.WorkerInfos = append(out.WorkerInfos, workerInfo(w, now))
		}
	}
	return out
}

// workerStates are Alluxio's names of a worker's state.
var workerStates = map[blockmaster.State]string{
	blockmaster.Live: "In Service",
	blockmaster.Lost: "Out of Service",
}

func workerInfo(w blockmaster.WorkerInfo, now time.Time) *alluxiopb.WorkerInfo {
	return &alluxiopb.WorkerInfo{
		Id:                   proto.Int64(w.ID),
		Address:              workerNetAddress(w.Address),
		LastContactSec:       proto.Int32(int32(now.Sub(w.LastContact) / time.Second)),
		State:                proto.String(workerStates[w.State]),
		CapacityBytes:        proto.Int64(w.Capacity),
		UsedBytes:            proto.Int64(w.Used),
		StartTimeMs:          proto.Int64(w.Started.UnixMilli()),
		CapacityBytesOnTiers: w.CapacityOnTiers,
		UsedBytesOnTiers:     w.UsedOnTiers,
	}
}

func (b *blocks) GetCapacityBytes(context.Context, *alluxiopb.GetCapacityBytesPOptions) (*alluxiopb.GetCapacityBytesPResponse, error) {
	return &alluxiopb.GetCapacityBytesPResponse{Bytes: proto.Int64(b.m.Workers().Summary().Capacity)}, nil
}

func (b *blocks) GetUsedBytes(context.Context, *alluxiopb.GetUsedBytesPOptions) (*alluxiopb.GetUsedBytesPResponse, error) {
	return &alluxiopb.GetUsedBytesPResponse{Bytes: proto.Int64(b.m.Workers().Summary().Used)}, nil
}

// GetBlockInfo answers from the locations workers reported; a block no
// live worker holds is unknown here.
func (b *blocks) GetBlockInfo(_ context.Context, req *alluxiopb.GetBlockInfoPRequest) (*alluxiopb.GetBlockInfoPResponse, error) {
	blk, ok := b.m.Workers().Block(req.GetBlockId())
	if !ok {
		return nil, fserr.New(fserr.NotFound, "block %d is held by no live worker", req.GetBlockId())
	}
	info := &alluxiopb.BlockInfo{BlockId: proto.Int64(blk.ID), Length: proto.Int64(blk.Length)}
	info.Locations = blockLocations(blk.Locations)
	return &alluxiopb.GetBlockInfoPResponse{BlockInfo: info}, nil
}

func blockLocations(locs []blockmaster.Location) []*alluxiopb.BlockLocation {
	out := make([]*alluxiopb.BlockLocation, len(locs))
	for i, l := range locs {
		out[i] = &alluxiopb.BlockLocation{
			WorkerId:      proto.Int64(l.WorkerID),
			WorkerAddress: workerNetAddress(l.Address),
			TierAlias:     proto.String(l.Tier),
			MediumType:    proto.String(l.Tier),
		}
	}
	return out
}
