package alluxiorpc_test

import (
	"context"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/halo-fs/halo/proto/alluxiopb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

var workerAddress = &alluxiopb.WorkerNetAddress{
	Host: proto.String("127.0.0.5"), RpcPort: proto.Int32(29999), DataPort: proto.Int32(29999), WebPort: proto.Int32(30000),
	TieredIdentity: &alluxiopb.TieredIdentity{Tiers: []*alluxiopb.LocalityTier{{TierName: proto.String("node"), Value: proto.String("127.0.0.5")}}},
}

func memBlocks(ids ...int64) []*alluxiopb.LocationBlockIdListEntry {
	return []*alluxiopb.LocationBlockIdListEntry{{
		Key:   &alluxiopb.BlockStoreLocationProto{TierAlias: proto.String("MEM"), MediumType: proto.String("MEM")},
		Value: &alluxiopb.BlockIdList{BlockId: ids},
	}}
}

// registerByStream registers a worker the way Alluxio 2.9's does: id,
// lease, then the register stream in two batches, each acknowledged.
func registerByStream(t *testing.T, ctx context.Context, conn *grpc.ClientConn) int64 {
	t.Helper()
	workers := alluxiopb.NewBlockMasterWorkerServiceClient(conn)
	idResp, err := workers.GetWorkerId(ctx, &alluxiopb.GetWorkerIdPRequest{WorkerNetAddress: workerAddress})
	if err != nil {
		t.Fatal(err)
	}
	id := idResp.GetWorkerId()
	lease, err := workers.RequestRegisterLease(ctx, &alluxiopb.GetRegisterLeasePRequest{WorkerId: proto.Int64(id), BlockCount: proto.Int64(3)})
	if err != nil || !lease.GetAllowed() {
		t.Fatalf("register lease: %v, %v", lease, err)
	}
	stream, err := workers.RegisterWorkerStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	batches := []*alluxiopb.RegisterWorkerPRequest{
		{
			WorkerId:          proto.Int64(id),
			StorageTiers:      []string{"MEM"},
			TotalBytesOnTiers: map[string]int64{"MEM": 100 << 20},
			UsedBytesOnTiers:  map[string]int64{"MEM": 3 << 20},
			CurrentBlocks:     memBlocks(1, 2),
		},
		{WorkerId: proto.Int64(id), CurrentBlocks: memBlocks(3)},
	}
	for _, b := range batches {
		if err := stream.Send(b); err != nil {
			t.Fatal(err)
		}
		if _, err := stream.Recv(); err != nil {
			t.Fatalf("register batch not acknowledged: %v", err)
		}
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); status.Code(err) != codes.OK && err.Error() != "EOF" {
		t.Fatalf("register stream ended with %v", err)
	}
	return id
}

func TestAlluxioWorkerRegistersHeartbeatsAndCommits(t *testing.T) {
	conn := startMaster(t, nil)
	ctx := authenticate(t, conn, currentUser(t), "channel-worker")
	workers := alluxiopb.NewBlockMasterWorkerServiceClient(conn)
	clients := alluxiopb.NewBlockMasterClientServiceClient(conn)

	unknown, err := workers.BlockHeartbeat(ctx, &alluxiopb.BlockHeartbeatPRequest{WorkerId: proto.Int64(12345)})
	if err != nil || unknown.GetCommand().GetCommandType() != alluxiopb.CommandType_Register {
		t.Fatalf("heartbeat of an unknown worker: %v, %v; want the Register command", unknown, err)
	}

	id := registerByStream(t, ctx, conn)
	hb, err := workers.BlockHeartbeat(ctx, &alluxiopb.BlockHeartbeatPRequest{
		WorkerId:         proto.Int64(id),
		UsedBytesOnTiers: map[string]int64{"MEM": 4 << 20},
		RemovedBlockIds:  []int64{1},
		AddedBlocks:      memBlocks(4),
		Options:          &alluxiopb.BlockHeartbeatPOptions{CapacityBytesOnTiers: map[string]int64{"MEM": 100 << 20}},
	})
	// No file has blocks 1-3: the worker is told to delete those it still
	// holds after this heartbeat.
	if err != nil || hb.GetCommand().GetCommandType() != alluxiopb.CommandType_Delete || !slices.Equal(hb.GetCommand().GetData(), []int64{2, 3}) {
		t.Fatalf("heartbeat: %v, %v; want the Delete command for blocks 2 and 3", hb, err)
	}
	_, err = workers.CommitBlock(ctx, &alluxiopb.CommitBlockPRequest{
		WorkerId: proto.Int64(id), UsedBytesOnTier: proto.Int64(5 << 20), TierAlias: proto.String("MEM"),
		BlockId: proto.Int64(5), Length: proto.Int64(1 << 20), MediumType: proto.String("MEM"),
	})
	if err != nil {
		t.Fatal(err)
	}

	info, err := clients.GetBlockMasterInfo(ctx, &alluxiopb.GetBlockMasterInfoPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	bi := info.GetBlockMasterInfo()
	if bi.GetLiveWorkerNum() != 1 || bi.GetCapacityBytes() != 100<<20 || bi.GetUsedBytes() != 5<<20 || bi.GetFreeBytes() != 95<<20 || bi.GetCapacityBytesOnTiers()["MEM"] != 100<<20 {
		t.Fatalf("block master info: %v", bi)
	}
	list, err := clients.GetWorkerInfoList(ctx, &alluxiopb.GetWorkerInfoListPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ws := list.GetWorkerInfos(); len(ws) != 1 || ws[0].GetId() != id || ws[0].GetAddress().GetHost() != "127.0.0.5" || ws[0].GetState() != "In Service" {
		t.Fatalf("worker list: %v", ws)
	}
	for _, want := range []struct {
		block  int64
		length int64
		held   bool
	}{{1, 0, false}, {3, 0, false}, {4, -1, true}, {5, 1 << 20, true}} {
		got, err := clients.GetBlockInfo(ctx, &alluxiopb.GetBlockInfoPRequest{BlockId: proto.Int64(want.block)})
		if !want.held {
			if status.Code(err) != codes.NotFound {
				t.Errorf("block %d, removed or deleted: %v, %v; want NotFound", want.block, got, err)
			}
			continue
		}
		locs := got.GetBlockInfo().GetLocations()
		if err != nil || got.GetBlockInfo().GetLength() != want.length || len(locs) != 1 || locs[0].GetWorkerId() != id || locs[0].GetTierAlias() != "MEM" {
			t.Errorf("block %d: %v, %v; want length %d on worker %d in MEM", want.block, got, err, want.length, id)
		}
	}
}

func TestAlluxioWorkerBadInput(t *testing.T) {
	conn := startMaster(t, nil)
	ctx := authenticate(t, conn, currentUser(t), "channel-bad-worker")
	workers := alluxiopb.NewBlockMasterWorkerServiceClient(conn)
	if _, err := workers.GetWorkerId(ctx, &alluxiopb.GetWorkerIdPRequest{WorkerNetAddress: &alluxiopb.WorkerNetAddress{Host: proto.String("h")}}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("GetWorkerId without an RPC port: %v, want InvalidArgument", err)
	}
	if _, err := workers.RegisterWorker(ctx, &alluxiopb.RegisterWorkerPRequest{WorkerId: proto.Int64(99), StorageTiers: []string{"MEM"}}); status.Code(err) != codes.NotFound {
		t.Errorf("RegisterWorker of an id never given: %v, want NotFound", err)
	}
	if _, err := workers.CommitBlock(ctx, &alluxiopb.CommitBlockPRequest{WorkerId: proto.Int64(99), BlockId: proto.Int64(1), TierAlias: proto.String("MEM")}); status.Code(err) != codes.NotFound {
		t.Errorf("CommitBlock from an unknown worker: %v, want NotFound", err)
	}
	stream, err := workers.RegisterWorkerStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&alluxiopb.RegisterWorkerPRequest{WorkerId: proto.Int64(99)}); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); status.Code(err) != codes.InvalidArgument {
		t.Errorf("a register stream that names no tiers: %v, want InvalidArgument", err)
	}
}

func TestAlluxioWorkerFileSystemService(t *testing.T) {
	conn := startMaster(t, map[string]string{"alluxio.master.mount.table.root.ufs": t.TempDir()})
	ctx := authenticate(t, conn, currentUser(t), "channel-fs-worker")
	fsWorkers := alluxiopb.NewFileSystemMasterWorkerServiceClient(conn)
	root := rootMount(t, ctx, conn)
	ufs, err := fsWorkers.GetUfsInfo(ctx, &alluxiopb.GetUfsInfoPRequest{MountId: proto.Int64(root.GetMountId())})
	if err != nil || ufs.GetUfsInfo().GetUri() != root.GetUfsUri() {
		t.Fatalf("GetUfsInfo(%d): %v, %v; want %s", root.GetMountId(), ufs, err, root.GetUfsUri())
	}
	if _, err := fsWorkers.GetUfsInfo(ctx, &alluxiopb.GetUfsInfoPRequest{MountId: proto.Int64(root.GetMountId() + 1000)}); status.Code(err) != codes.NotFound {
		t.Errorf("GetUfsInfo of an unknown mount: %v, want NotFound", err)
	}
	if _, err := fsWorkers.GetPinnedFileIds(ctx, &alluxiopb.GetPinnedFileIdsPRequest{}); err != nil {
		t.Error(err)
	}
	hb, err := fsWorkers.FileSystemHeartbeat(ctx, &alluxiopb.FileSystemHeartbeatPRequest{WorkerId: proto.Int64(1)})
	if err != nil || hb.GetCommand().GetCommandType() != alluxiopb.CommandType_Nothing {
		t.Errorf("FileSystemHeartbeat: %v, %v", hb, err)
	}
}

// rootMount waits for the root mount, which the master makes once it
// leads, and returns it.
func rootMount(t testing.TB, ctx context.Context, conn *grpc.ClientConn) *alluxiopb.MountPointInfo {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		mounts, err := alluxiopb.NewFileSystemMasterClientServiceClient(conn).GetMountTable(ctx, &alluxiopb.GetMountTablePRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if root := mounts.GetMountPoints()["/"]; root != nil {
			return root
		}
		runtime.Gosched()
	}
	t.Fatal("the master made no root mount within a minute")
	return nil
}

// Alluxio's worker checks its services' versions when it reconnects (to a
// new leader after a failover); a master that does not answer them is
// never used again. Both are version 2 in Alluxio 2.9.3.
func TestAlluxioWorkerServiceVersions(t *testing.T) {
	conn := startMaster(t, nil)
	ctx := authenticate(t, conn, currentUser(t), "channel-versions")
	for _, service := range []alluxiopb.ServiceType{alluxiopb.ServiceType_BLOCK_MASTER_WORKER_SERVICE, alluxiopb.ServiceType_FILE_SYSTEM_MASTER_WORKER_SERVICE} {
		v, err := alluxiopb.NewServiceVersionClientServiceClient(conn).GetServiceVersion(ctx, &alluxiopb.GetServiceVersionPRequest{ServiceType: service.Enum()})
		if err != nil || v.GetVersion() != 2 {
			t.Errorf("version of %s: %v, %v; want 2", service, v, err)
		}
	}
}

// A caller the master cannot identify adds no worker: under SIMPLE the
// channel must be authenticated first, as with Alluxio.
func TestAnonymousCallerRegistersNoWorker(t *testing.T) {
	conn := startMaster(t, nil)
	workers := alluxiopb.NewBlockMasterWorkerServiceClient(conn)
	_, err := workers.GetWorkerId(context.Background(), &alluxiopb.GetWorkerIdPRequest{WorkerNetAddress: workerAddress})
	if code := status.Code(err); code != codes.PermissionDenied && code != codes.Unauthenticated {
		t.Errorf("GetWorkerId from an unauthenticated caller: %v, want a refusal", err)
	}
	// Bounded: a master that took the stream would wait for its messages.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := workers.RegisterWorkerStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); status.Code(err) != codes.PermissionDenied && status.Code(err) != codes.Unauthenticated {
		t.Errorf("RegisterWorkerStream from an unauthenticated caller: %v, want a refusal", err)
	}
}

// The leader tells a registered worker to delete the blocks no file has,
// once it has caught up with the journal; blocks of a file still being
// written stay, and so do blocks a worker adds after registering.
func TestLeaderDeletesUnknownRegisteredBlocks(t *testing.T) {
	conn := startMaster(t, map[string]string{"alluxio.master.mount.table.root.ufs": t.TempDir()})
	ctx := authenticate(t, conn, currentUser(t), "channel-orphans")
	rootMount(t, ctx, conn)
	made, err := alluxiopb.NewFileSystemMasterClientServiceClient(conn).CreateFile(ctx, &alluxiopb.CreateFilePRequest{
		Path: proto.String("/being-written"), Options: &alluxiopb.CreateFilePOptions{}})
	if err != nil {
		t.Fatal(err)
	}
	kept := made.GetFileInfo().GetFileId()<<24 | 1
	const orphan = 999
	workers := alluxiopb.NewBlockMasterWorkerServiceClient(conn)
	idResp, err := workers.GetWorkerId(ctx, &alluxiopb.GetWorkerIdPRequest{WorkerNetAddress: workerAddress})
	if err != nil {
		t.Fatal(err)
	}
	id := idResp.GetWorkerId()
	_, err = workers.RegisterWorker(ctx, &alluxiopb.RegisterWorkerPRequest{
		WorkerId: proto.Int64(id), StorageTiers: []string{"MEM"},
		TotalBytesOnTiers: map[string]int64{"MEM": 100 << 20}, UsedBytesOnTiers: map[string]int64{"MEM": 2 << 20},
		CurrentBlocks: memBlocks(kept, orphan),
	})
	if err != nil {
		t.Fatal(err)
	}
	heartbeat := func() *alluxiopb.Command {
		t.Helper()
		hb, err := workers.BlockHeartbeat(ctx, &alluxiopb.BlockHeartbeatPRequest{WorkerId: proto.Int64(id), AddedBlocks: memBlocks(orphan + 1)})
		if err != nil {
			t.Fatal(err)
		}
		return hb.GetCommand()
	}
	if c := heartbeat(); c.GetCommandType() != alluxiopb.CommandType_Delete || len(c.GetData()) != 1 || c.GetData()[0] != orphan {
		t.Fatalf("first heartbeat after registering blocks %d and %d: %v; want Delete [%d]", kept, orphan, c, orphan)
	}
	if c := heartbeat(); c.GetCommandType() != alluxiopb.CommandType_Nothing {
		t.Errorf("second heartbeat: %v; want Nothing, the blocks were checked", c)
	}
	clients := alluxiopb.NewBlockMasterClientServiceClient(conn)
	for _, b := range []int64{kept, orphan + 1} {
		if _, err := clients.GetBlockInfo(ctx, &alluxiopb.GetBlockInfoPRequest{BlockId: proto.Int64(b)}); err != nil {
			t.Errorf("block %d lost its location: %v", b, err)
		}
	}
	if _, err := clients.GetBlockInfo(ctx, &alluxiopb.GetBlockInfoPRequest{BlockId: proto.Int64(orphan)}); status.Code(err) != codes.NotFound {
		t.Errorf("block %d, deleted: %v; want NotFound", orphan, err)
	}
}

// A worker reads and writes a mount's UFS as the master does: GetUfsInfo
// gives the UFS options of the masters' site properties (an S3 endpoint
// and credentials, say) under the mount's own.
func TestGetUfsInfoGivesTheOptionsTheMasterReachesTheUfsWith(t *testing.T) {
	conn := startMaster(t, map[string]string{"alluxio.master.mount.table.root.ufs": t.TempDir(), "alluxio.underfs.s3.endpoint": "http://127.0.0.1:9", "aws.accessKeyId": "site-key"})
	ctx := authenticate(t, conn, currentUser(t), "channel-ufs-options")
	root := rootMount(t, ctx, conn)
	info, err := alluxiopb.NewFileSystemMasterWorkerServiceClient(conn).GetUfsInfo(ctx, &alluxiopb.GetUfsInfoPRequest{MountId: proto.Int64(root.GetMountId())})
	if err != nil {
		t.Fatal(err)
	}
	got := info.GetUfsInfo().GetProperties().GetProperties()
	if got["alluxio.underfs.s3.endpoint"] != "http://127.0.0.1:9" || got["aws.accessKeyId"] != "site-key" {
		t.Errorf("GetUfsInfo of the root mount gives options %v, want the site's S3 endpoint and access key", got)
	}
}
