package alluxiorpc

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/master"
	"github.com/halo-fs/halo/master/blockmaster"
	"github.com/halo-fs/halo/proto/alluxiopb"
	"google.golang.org/protobuf/proto"
)

// servedByStandbys are the services every master serves, standbys too:
// those workers call, and the channel authentication they make first. The
// worker table is soft state each master builds from the reports it gets,
// so a worker that reports to every master finds the new leader already
// knowing it after a failover. A real Alluxio worker talks to the primary
// only, which serves it as Alluxio's would; Alluxio's clients find the
// primary with unauthenticated version probes, which standbys still
// refuse, so authenticating a channel on a standby gets a client nothing.
var servedByStandbys = []string{
	"/" + alluxiopb.BlockMasterWorkerService_ServiceDesc.ServiceName + "/",
	"/" + alluxiopb.FileSystemMasterWorkerService_ServiceDesc.ServiceName + "/",
	"/" + alluxiopb.SaslAuthenticationService_ServiceDesc.ServiceName + "/",
}

// workerServices are the services only workers call: the caller must be
// identified (an authenticated channel under SIMPLE and SECRET), as with
// Alluxio, so that no anonymous caller adds workers.
var workerServices = servedByStandbys[:2]

// registerLeaseTerm is how long a register lease given to a worker lasts.
// Halo gives every worker one at once: registration does not lock the
// namespace, so there is nothing to throttle.
const registerLeaseTerm = time.Minute

// blockWorkers is Alluxio's BlockMasterWorkerService over the master's
// worker table.
type blockWorkers struct {
	alluxiopb.UnimplementedBlockMasterWorkerServiceServer
	m *master.Master
}

func (b *blockWorkers) GetWorkerId(_ context.Context, req *alluxiopb.GetWorkerIdPRequest) (*alluxiopb.GetWorkerIdPResponse, error) {
	id, err := b.m.Workers().IDFor(workerAddress(req.GetWorkerNetAddress()))
	if err != nil {
		return nil, err
	}
	return &alluxiopb.GetWorkerIdPResponse{WorkerId: proto.Int64(id)}, nil
}

func (b *blockWorkers) RequestRegisterLease(_ context.Context, req *alluxiopb.GetRegisterLeasePRequest) (*alluxiopb.GetRegisterLeasePResponse, error) {
	return &alluxiopb.GetRegisterLeasePResponse{
		WorkerId: proto.Int64(req.GetWorkerId()),
		Allowed:  proto.Bool(true),
		ExpiryMs: proto.Int64(time.Now().Add(registerLeaseTerm).UnixMilli()),
	}, nil
}

func (b *blockWorkers) RegisterWorker(_ context.Context, req *alluxiopb.RegisterWorkerPRequest) (*alluxiopb.RegisterWorkerPResponse, error) {
	r := registration(req)
	if err := b.m.Workers().Register(req.GetWorkerId(), r); err != nil {
		return nil, err
	}
	return &alluxiopb.RegisterWorkerPResponse{}, nil
}

// RegisterWorkerStream takes a registration in batches: the first names
// the tiers, later ones only add blocks. Each batch is acknowledged so
// the worker sends the next; the whole is applied when the worker closes
// its side, so a registration cut short leaves the table as it was.
func (b *blockWorkers) RegisterWorkerStream(stream alluxiopb.BlockMasterWorkerService_RegisterWorkerStreamServer) error {
	var (
		id    int64
		whole *blockmaster.Registration
	)
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		switch {
		case whole == nil && len(req.GetStorageTiers()) == 0:
			return fserr.New(fserr.InvalidArgument, "worker %d: the first message of a register stream names no storage tiers", req.GetWorkerId())
		case whole == nil:
			id = req.GetWorkerId()
			r := registration(req)
			whole = &r
		case req.GetWorkerId() != id:
			return fserr.New(fserr.InvalidArgument, "a register stream begun by worker %d continues as worker %d", id, req.GetWorkerId())
		default:
			addBlocks(whole.Blocks, req.GetCurrentBlocks(), req.GetCurrentBlocksOnTiers())
		}
		if err := stream.Send(&alluxiopb.RegisterWorkerPResponse{}); err != nil {
			return err
		}
	}
	if whole == nil {
		return fserr.New(fserr.InvalidArgument, "a register stream ended before its first message")
	}
	return b.m.Workers().Register(id, *whole)
}

// BlockHeartbeat applies the worker's changes and answers a command:
// register when this master does not know the worker, delete the
// registered blocks no file has when this master leads and has caught up
// with the journal (BlocksToDelete), else nothing.
func (b *blockWorkers) BlockHeartbeat(ctx context.Context, req *alluxiopb.BlockHeartbeatPRequest) (*alluxiopb.BlockHeartbeatPResponse, error) {
	h := blockmaster.Heartbeat{
		Used:        req.GetUsedBytesOnTiers(),
		Capacity:    req.GetOptions().GetCapacityBytesOnTiers(),
		Added:       map[string][]int64{},
		Removed:     req.GetRemovedBlockIds(),
		LostStorage: storageLists(req.GetLostStorage()),
	}
	addBlocks(h.Added, req.GetAddedBlocks(), req.GetAddedBlocksOnTiers())
	if b.m.Workers().Heartbeat(req.GetWorkerId(), h) == blockmaster.Register {
		return heartbeatAnswer(alluxiopb.CommandType_Register, nil), nil
	}
	if orphans := b.m.BlocksToDelete(ctx, req.GetWorkerId()); len(orphans) > 0 {
		return heartbeatAnswer(alluxiopb.CommandType_Delete, orphans), nil
	}
	if freed := b.m.Workers().TakeFreed(req.GetWorkerId()); len(freed) > 0 {
		return heartbeatAnswer(alluxiopb.CommandType_Free, freed), nil
	}
	return heartbeatAnswer(alluxiopb.CommandType_Nothing, nil), nil
}

func heartbeatAnswer(command alluxiopb.CommandType, blocks []int64) *alluxiopb.BlockHeartbeatPResponse {
	return &alluxiopb.BlockHeartbeatPResponse{Command: &alluxiopb.Command{CommandType: &command, Data: blocks}}
}

// CommitBlock records where the block is. The file's block list is the
// namespace's, journaled when the client completes the file; the worker's
// commit adds only the location.
func (b *blockWorkers) CommitBlock(_ context.Context, req *alluxiopb.CommitBlockPRequest) (*alluxiopb.CommitBlockPResponse, error) {
	err := b.m.Workers().Commit(req.GetWorkerId(), req.GetTierAlias(), req.GetBlockId(), req.GetLength(), req.GetUsedBytesOnTier())
	if err != nil {
		return nil, err
	}
	return &alluxiopb.CommitBlockPResponse{}, nil
}

// CommitBlockInUfs is a block written to the UFS only: no worker holds
// it, so the table has nothing to record and the namespace learns the
// length when the file is completed.
func (b *blockWorkers) CommitBlockInUfs(_ context.Context, req *alluxiopb.CommitBlockInUfsPRequest) (*alluxiopb.CommitBlockInUfsPResponse, error) {
	if req.GetLength() < 0 {
		return nil, fserr.New(fserr.InvalidArgument, "block %d: negative length %d", req.GetBlockId(), req.GetLength())
	}
	return &alluxiopb.CommitBlockInUfsPResponse{}, nil
}

// fileSystemWorkers is Alluxio's FileSystemMasterWorkerService.
type fileSystemWorkers struct {
	alluxiopb.UnimplementedFileSystemMasterWorkerServiceServer
	m *master.Master
}

// GetPinnedFileIds lists the pinned files, named as workers name files
// (workerFileID).
func (f *fileSystemWorkers) GetPinnedFileIds(ctx context.Context, _ *alluxiopb.GetPinnedFileIdsPRequest) (*alluxiopb.GetPinnedFileIdsPResponse, error) {
	ids, err := f.m.PinnedFileIDs(ctx)
	if err != nil {
		return nil, err
	}
	for i, id := range ids {
		ids[i] = workerFileID(id)
	}
	return &alluxiopb.GetPinnedFileIdsPResponse{PinnedFileIds: ids}, nil
}

// GetFileInfo describes the file a worker names (workerFileID).
func (f *fileSystemWorkers) GetFileInfo(ctx context.Context, req *alluxiopb.GetFileInfoPRequest) (*alluxiopb.GetFileInfoPResponse, error) {
	id := req.GetFileId()
	if id < 0 || id&blockSequenceMask != blockSequenceMask {
		return nil, fserr.New(fserr.InvalidArgument, "%d is not a file id as workers name files (the file's id shifted left %d bits, every lower bit set)", id, fsm.BlockSequenceBits)
	}
	st, err := f.m.StatusByID(ctx, uint64(id>>fsm.BlockSequenceBits))
	if err != nil {
		return nil, err
	}
	return &alluxiopb.GetFileInfoPResponse{FileInfo: fileInfo(st)}, nil
}

// blockSequenceMask covers the bits of a block id that number the block
// within its file.
const blockSequenceMask = 1<<fsm.BlockSequenceBits - 1

// workerFileID is file id as Alluxio's workers name a file: the id its
// blocks carry in their high bits (fsm.BlockSequenceBits) with the
// sequence bits all set, so that a worker finds a block's file by setting
// them (Alluxio's BlockId.getFileId).
func workerFileID(id int64) int64 {
	return id<<fsm.BlockSequenceBits | blockSequenceMask
}

// GetUfsInfo describes a mount for a worker, with the options the master
// itself opens its UFS with (site UFS options under the mount's own).
func (f *fileSystemWorkers) GetUfsInfo(ctx context.Context, req *alluxiopb.GetUfsInfoPRequest) (*alluxiopb.GetUfsInfoPResponse, error) {
	mounts, err := f.m.MountTable(ctx)
	if err != nil {
		return nil, err
	}
	for _, mt := range mounts {
		if int64(mt.MountId) == req.GetMountId() {
			return &alluxiopb.GetUfsInfoPResponse{UfsInfo: &alluxiopb.UfsInfo{
				Uri: proto.String(mt.UfsUri),
				Properties: &alluxiopb.MountPOptions{
					ReadOnly:   proto.Bool(mt.ReadOnly),
					Shared:     proto.Bool(mt.Shared),
					Properties: f.m.MountUfsOptions(mt.Options),
				},
			}}, nil
		}
	}
	return nil, fserr.New(fserr.NotFound, "no mount point has id %d", req.GetMountId())
}

// FileSystemHeartbeat answers Nothing: Halo's masters persist files
// themselves and ask workers for no persistence.
func (f *fileSystemWorkers) FileSystemHeartbeat(context.Context, *alluxiopb.FileSystemHeartbeatPRequest) (*alluxiopb.FileSystemHeartbeatPResponse, error) {
	nothing := alluxiopb.CommandType_Nothing
	return &alluxiopb.FileSystemHeartbeatPResponse{Command: &alluxiopb.FileSystemCommand{CommandType: &nothing}}, nil
}

func registration(req *alluxiopb.RegisterWorkerPRequest) blockmaster.Registration {
	r := blockmaster.Registration{
		Tiers:       req.GetStorageTiers(),
		Capacity:    req.GetTotalBytesOnTiers(),
		Used:        req.GetUsedBytesOnTiers(),
		Blocks:      map[string][]int64{},
		LostStorage: storageLists(req.GetLostStorage()),
	}
	addBlocks(r.Blocks, req.GetCurrentBlocks(), req.GetCurrentBlocksOnTiers())
	return r
}

// addBlocks adds to into the block ids of both of Alluxio's forms: per
// location (tier and medium), and the older per tier alias.
func addBlocks(into map[string][]int64, byLocation []*alluxiopb.LocationBlockIdListEntry, byTier map[string]*alluxiopb.TierList) {
	for _, e := range byLocation {
		tier := e.GetKey().GetTierAlias()
		into[tier] = append(into[tier], e.GetValue().GetBlockId()...)
	}
	for tier, l := range byTier {
		into[tier] = append(into[tier], l.GetTiers()...)
	}
}

func storageLists(in map[string]*alluxiopb.StorageList) map[string][]string {
	if len(in) == 0 {
		return nil
	}
	out := make(map[string][]string, len(in))
	for tier, l := range in {
		out[tier] = l.GetStorage()
	}
	return out
}

func workerAddress(a *alluxiopb.WorkerNetAddress) blockmaster.Address {
	addr := blockmaster.Address{
		Host:             a.GetHost(),
		RPCPort:          int(a.GetRpcPort()),
		DataPort:         int(a.GetDataPort()),
		WebPort:          int(a.GetWebPort()),
		DomainSocketPath: a.GetDomainSocketPath(),
	}
	for _, t := range a.GetTieredIdentity().GetTiers() {
		addr.Locality = append(addr.Locality, blockmaster.LocalityTier{Name: t.GetTierName(), Value: t.GetValue()})
	}
	return addr
}

func workerNetAddress(a blockmaster.Address) *alluxiopb.WorkerNetAddress {
	out := &alluxiopb.WorkerNetAddress{
		Host:             proto.String(a.Host),
		RpcPort:          proto.Int32(int32(a.RPCPort)),
		DataPort:         proto.Int32(int32(a.DataPort)),
		WebPort:          proto.Int32(int32(a.WebPort)),
		DomainSocketPath: proto.String(a.DomainSocketPath),
		TieredIdentity:   &alluxiopb.TieredIdentity{},
		ContainerHost:    proto.String(""),
	}
	for _, t := range a.Locality {
		out.TieredIdentity.Tiers = append(out.TieredIdentity.Tiers, &alluxiopb.LocalityTier{TierName: proto.String(t.Name), Value: proto.String(t.Value)})
	}
	return out
}
