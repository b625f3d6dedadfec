package alluxiorpc_test

import (
	"context"
	"testing"

	"github.com/halo-fs/halo/proto/alluxiopb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// writeFile runs Alluxio's client's write conversation: create with a
// write type, one block id per block, the worker's commits, completion.
func writeFile(t *testing.T, ctx context.Context, fs alluxiopb.FileSystemMasterClientServiceClient, workers alluxiopb.BlockMasterWorkerServiceClient,
	worker int64, path string, wt alluxiopb.WritePType, blockSize int64, committed []int64, ufsLength *int64) error {
	t.Helper()
	if _, err := fs.CreateFile(ctx, &alluxiopb.CreateFilePRequest{Path: proto.String(path), Options: &alluxiopb.CreateFilePOptions{
		BlockSizeBytes: proto.Int64(blockSize), WriteType: wt.Enum(),
	}}); err != nil {
		t.Fatalf("create %s: %v", path, err)
	}
	for _, length := range committed {
		resp, err := fs.GetNewBlockIdForFile(ctx, &alluxiopb.GetNewBlockIdForFilePRequest{Path: proto.String(path)})
		if err != nil {
			t.Fatalf("block id for %s: %v", path, err)
		}
		if length < 0 {
			continue // handed out, never written
		}
		if _, err := workers.CommitBlock(ctx, &alluxiopb.CommitBlockPRequest{WorkerId: proto.Int64(worker), BlockId: resp.Id,
			Length: proto.Int64(length), TierAlias: proto.String("MEM"), UsedBytesOnTier: proto.Int64(length)}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := fs.CompleteFile(ctx, &alluxiopb.CompleteFilePRequest{Path: proto.String(path), Options: &alluxiopb.CompleteFilePOptions{UfsLength: ufsLength}})
	return err
}

// writeAsyncThrough writes path ASYNC_THROUGH as one 7-byte block
// committed by worker, as Alluxio's client completes such a file.
func writeAsyncThrough(t *testing.T, ctx context.Context, fs alluxiopb.FileSystemMasterClientServiceClient, workers alluxiopb.BlockMasterWorkerServiceClient, worker int64, path string) {
	t.Helper()
	if _, err := fs.CreateFile(ctx, &alluxiopb.CreateFilePRequest{Path: proto.String(path), Options: &alluxiopb.CreateFilePOptions{
		BlockSizeBytes: proto.Int64(1024), WriteType: alluxiopb.WritePType_ASYNC_THROUGH.Enum(),
	}}); err != nil {
		t.Fatal(err)
	}
	id, err := fs.GetNewBlockIdForFile(ctx, &alluxiopb.GetNewBlockIdForFilePRequest{Path: proto.String(path)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := workers.CommitBlock(ctx, &alluxiopb.CommitBlockPRequest{WorkerId: proto.Int64(worker), BlockId: id.Id, Length: proto.Int64(7), TierAlias: proto.String("MEM")}); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.CompleteFile(ctx, &alluxiopb.CompleteFilePRequest{Path: proto.String(path), Options: &alluxiopb.CompleteFilePOptions{
		AsyncPersistOptions: &alluxiopb.ScheduleAsyncPersistencePOptions{},
	}}); err != nil {
		t.Fatal(err)
	}
}

// dataMaster starts a master with one registered worker and returns an
// authenticated context, its file system and worker services, and the
// worker's id.
func dataMaster(t *testing.T) (context.Context, alluxiopb.FileSystemMasterClientServiceClient, alluxiopb.BlockMasterWorkerServiceClient, int64) {
	t.Helper()
	conn := startMaster(t, nil)
	ctx := authenticate(t, conn, currentUser(t), "channel-data")
	return ctx, alluxiopb.NewFileSystemMasterClientServiceClient(conn), alluxiopb.NewBlockMasterWorkerServiceClient(conn), registerByStream(t, ctx, conn)
}

func TestFileWrittenThroughWorkersListsItsBlocks(t *testing.T) {
	ctx, fs, workers, worker := dataMaster(t)

	if err := writeFile(t, ctx, fs, workers, worker, "/mc", alluxiopb.WritePType_MUST_CACHE, 1024, []int64{1024, 1024, 100}, nil); err != nil {
		t.Fatalf("complete: %v", err)
	}
	info, err := fs.GetStatus(ctx, &alluxiopb.GetStatusPRequest{Path: proto.String("/mc")})
	if err != nil {
		t.Fatal(err)
	}
	fi := info.GetFileInfo()
	if fi.GetLength() != 2148 || len(fi.GetBlockIds()) != 3 || fi.GetInAlluxioPercentage() != 100 || fi.GetPersistenceState() != "NOT_PERSISTED" || !fi.GetCompleted() {
		t.Fatalf("after a MUST_CACHE write of 3 blocks: %v", fi)
	}
	for i, fbi := range fi.GetFileBlockInfos() {
		want := []int64{1024, 1024, 100}[i]
		if fbi.GetOffset() != int64(i)*1024 || fbi.GetBlockInfo().GetLength() != want || len(fbi.GetBlockInfo().GetLocations()) != 1 ||
			fbi.GetBlockInfo().GetLocations()[0].GetWorkerAddress().GetHost() != workerAddress.GetHost() {
			t.Errorf("block %d: %v", i, fbi)
		}
	}

	// A block of a file only cached that no worker holds any more is
	// lost: Alluxio's state LOST says so.
	if _, err := workers.BlockHeartbeat(ctx, &alluxiopb.BlockHeartbeatPRequest{WorkerId: proto.Int64(worker), RemovedBlockIds: fi.GetBlockIds()[:1]}); err != nil {
		t.Fatal(err)
	}
	if info, _ := fs.GetStatus(ctx, &alluxiopb.GetStatusPRequest{Path: proto.String("/mc")}); info.GetFileInfo().GetPersistenceState() != "LOST" ||
		info.GetFileInfo().GetInAlluxioPercentage() != 52 {
		t.Errorf("after its worker dropped a block of a MUST_CACHE file: %v, want LOST and 52%% cached", info.GetFileInfo())
	}

	if err := writeFile(t, ctx, fs, workers, worker, "/ct", alluxiopb.WritePType_CACHE_THROUGH, 1024, []int64{10}, proto.Int64(10)); err != nil {
		t.Fatalf("complete CACHE_THROUGH: %v", err)
	}
	if info, _ := fs.GetStatus(ctx, &alluxiopb.GetStatusPRequest{Path: proto.String("/ct")}); info.GetFileInfo().GetPersistenceState() != "PERSISTED" || info.GetFileInfo().GetLength() != 10 {
		t.Errorf("after a CACHE_THROUGH write: %v", info.GetFileInfo())
	}
	if err := writeFile(t, ctx, fs, workers, worker, "/th", alluxiopb.WritePType_THROUGH, 1024, nil, proto.Int64(5000)); err != nil {
		t.Fatalf("complete THROUGH: %v", err)
	}
	if info, _ := fs.GetStatus(ctx, &alluxiopb.GetStatusPRequest{Path: proto.String("/th")}); info.GetFileInfo().GetPersistenceState() != "PERSISTED" ||
		info.GetFileInfo().GetLength() != 5000 || info.GetFileInfo().GetInAlluxioPercentage() != 0 || len(info.GetFileInfo().GetFileBlockInfos()) != 5 {
		t.Errorf("after a THROUGH write: %v", info.GetFileInfo())
	}
}

// A write whose blocks did not all reach a worker must not complete: a
// file complete with fewer bytes than written would be silently short.
func TestIncompleteWriteIsNotCompleted(t *testing.T) {
	ctx, fs, workers, worker := dataMaster(t)

	err := writeFile(t, ctx, fs, workers, worker, "/lost-last", alluxiopb.WritePType_MUST_CACHE, 1024, []int64{1024, -1}, nil)
	if status.Code(err) != codes.FailedPrecondition {
		t.Errorf("completing with a block handed out but never committed: %v, want FailedPrecondition", err)
	}
	err = writeFile(t, ctx, fs, workers, worker, "/short", alluxiopb.WritePType_MUST_CACHE, 1024, []int64{1024}, proto.Int64(2000))
	if status.Code(err) != codes.FailedPrecondition {
		t.Errorf("completing 1024 cached bytes of 2000 written: %v, want FailedPrecondition", err)
	}
	err = writeFile(t, ctx, fs, workers, worker, "/torn", alluxiopb.WritePType_MUST_CACHE, 1024, []int64{1000, 10}, nil)
	if status.Code(err) != codes.FailedPrecondition {
		t.Errorf("completing with a short block before the last: %v, want FailedPrecondition", err)
	}
	for _, p := range []string{"/lost-last", "/short", "/torn"} {
		if info, _ := fs.GetStatus(ctx, &alluxiopb.GetStatusPRequest{Path: proto.String(p)}); info.GetFileInfo().GetCompleted() {
			t.Errorf("%s appears complete: %v", p, info.GetFileInfo())
		}
	}
}

// A file written ASYNC_THROUGH completes at once, cached, and waits for
// the leader's persister: TO_BE_PERSISTED until its UFS copy is written.
func TestAsyncThroughCompletesToBePersisted(t *testing.T) {
	ctx, fs, workers, worker := dataMaster(t)
	writeAsyncThrough(t, ctx, fs, workers, worker, "/a")
	st, _ := fs.GetStatus(ctx, &alluxiopb.GetStatusPRequest{Path: proto.String("/a")})
	if fi := st.GetFileInfo(); !fi.GetCompleted() || fi.GetLength() != 7 || fi.GetPersistenceState() != "TO_BE_PERSISTED" {
		t.Errorf("after an ASYNC_THROUGH write: %v, want complete, 7 bytes, TO_BE_PERSISTED", fi)
	}
	// Its worker is not reachable here, so the persister cannot copy it:
	// it stays queued, and free refuses to drop its only copy.
	if _, err := fs.Free(ctx, &alluxiopb.FreePRequest{Path: proto.String("/a")}); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("free of a file not yet persisted: %v, want FailedPrecondition", err)
	}
}

// Free and delete drop the workers' copies: the next heartbeat tells the
// worker to free them, and the file no longer counts as cached. A file
// only cached is never freed.
func TestFreeAndDeleteTellWorkersToDropBlocks(t *testing.T) {
	ctx, fs, workers, worker := dataMaster(t)
	heartbeat := func() *alluxiopb.Command {
		resp, err := workers.BlockHeartbeat(ctx, &alluxiopb.BlockHeartbeatPRequest{WorkerId: proto.Int64(worker)})
		if err != nil {
			t.Fatal(err)
		}
		return resp.GetCommand()
	}
	heartbeat() // the registration's blocks 1, 2, 3 are checked first

	if err := writeFile(t, ctx, fs, workers, worker, "/ct", alluxiopb.WritePType_CACHE_THROUGH, 1024, []int64{10}, proto.Int64(10)); err != nil {
		t.Fatal(err)
	}
	if err := writeFile(t, ctx, fs, workers, worker, "/mc", alluxiopb.WritePType_MUST_CACHE, 1024, []int64{20}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Free(ctx, &alluxiopb.FreePRequest{Path: proto.String("/mc")}); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("free of a MUST_CACHE file: %v, want FailedPrecondition", err)
	}
	if _, err := fs.Free(ctx, &alluxiopb.FreePRequest{Path: proto.String("/ct")}); err != nil {
		t.Fatal(err)
	}
	st, _ := fs.GetStatus(ctx, &alluxiopb.GetStatusPRequest{Path: proto.String("/ct")})
	if cmd := heartbeat(); cmd.GetCommandType() != alluxiopb.CommandType_Free || len(cmd.GetData()) != 1 || cmd.GetData()[0] != st.GetFileInfo().GetBlockIds()[0] {
		t.Errorf("heartbeat after free: %v, want Free of %v", cmd, st.GetFileInfo().GetBlockIds())
	}
	if st, _ := fs.GetStatus(ctx, &alluxiopb.GetStatusPRequest{Path: proto.String("/ct")}); st.GetFileInfo().GetInAlluxioPercentage() != 0 {
		t.Errorf("freed file still %d%% cached", st.GetFileInfo().GetInAlluxioPercentage())
	}
	mc, _ := fs.GetStatus(ctx, &alluxiopb.GetStatusPRequest{Path: proto.String("/mc")})
	if _, err := fs.Remove(ctx, &alluxiopb.DeletePRequest{Path: proto.String("/mc")}); err != nil {
		t.Fatal(err)
	}
	if cmd := heartbeat(); cmd.GetCommandType() != alluxiopb.CommandType_Free || len(cmd.GetData()) != 1 || cmd.GetData()[0] != mc.GetFileInfo().GetBlockIds()[0] {
		t.Errorf("heartbeat after rm: %v, want Free of %v", cmd, mc.GetFileInfo().GetBlockIds())
	}
}

// `fs persist` of a file only cached queues it for the persister, as an
// ASYNC_THROUGH write does; a file not yet complete cannot be persisted.
func TestScheduleAsyncPersistenceQueuesACachedFile(t *testing.T) {
	ctx, fs, workers, worker := dataMaster(t)
	if err := writeFile(t, ctx, fs, workers, worker, "/mc", alluxiopb.WritePType_MUST_CACHE, 1024, []int64{7}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.ScheduleAsyncPersistence(ctx, &alluxiopb.ScheduleAsyncPersistencePRequest{Path: proto.String("/mc")}); err != nil {
		t.Fatalf("ScheduleAsyncPersistence of a complete MUST_CACHE file: %v", err)
	}
	st, err := fs.GetStatus(ctx, &alluxiopb.GetStatusPRequest{Path: proto.String("/mc")})
	if err != nil {
		t.Fatal(err)
	}
	if got := st.GetFileInfo().GetPersistenceState(); got != "TO_BE_PERSISTED" {
		t.Errorf("after ScheduleAsyncPersistence: %s, want TO_BE_PERSISTED (its worker is unreachable here)", got)
	}

	if _, err := fs.CreateFile(ctx, &alluxiopb.CreateFilePRequest{Path: proto.String("/open"), Options: &alluxiopb.CreateFilePOptions{WriteType: alluxiopb.WritePType_MUST_CACHE.Enum()}}); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.ScheduleAsyncPersistence(ctx, &alluxiopb.ScheduleAsyncPersistencePRequest{Path: proto.String("/open")}); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("ScheduleAsyncPersistence of a file being written: %v, want FailedPrecondition", err)
	}
	if _, err := fs.ScheduleAsyncPersistence(ctx, &alluxiopb.ScheduleAsyncPersistencePRequest{Path: proto.String("/missing")}); status.Code(err) != codes.NotFound {
		t.Errorf("ScheduleAsyncPersistence of a missing file: %v, want NotFound", err)
	}
}
