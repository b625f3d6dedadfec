package alluxiorpc_test

import (
	"slices"
	"testing"

	"github.com/halo-fs/halo/proto/alluxiopb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// workerFileID is how Alluxio's workers name a file: the id its blocks
// share in their high bits, with every sequence bit set.
func workerFileID(blockContainer int64) int64 { return blockContainer<<24 | (1<<24 - 1) }

// A worker learns the pinned files, named as it derives a file from its
// block ids, and asks a file's info by that id.
func TestWorkerServicePinnedFilesAndFileInfo(t *testing.T) {
	conn := startMaster(t, nil)
	ctx := authenticate(t, conn, currentUser(t), "channel-pins")
	fs := alluxiopb.NewFileSystemMasterClientServiceClient(conn)
	workers := alluxiopb.NewFileSystemMasterWorkerServiceClient(conn)
	ids := map[string]int64{}
	for _, p := range []string{"/pinned", "/plain"} {
		if _, err := fs.CreateFile(ctx, &alluxiopb.CreateFilePRequest{Path: proto.String(p)}); err != nil {
			t.Fatal(err)
		}
		st, err := fs.GetStatus(ctx, &alluxiopb.GetStatusPRequest{Path: proto.String(p)})
		if err != nil {
			t.Fatal(err)
		}
		ids[p] = st.GetFileInfo().GetFileId()
	}
	if _, err := fs.SetAttribute(ctx, &alluxiopb.SetAttributePRequest{Path: proto.String("/pinned"), Options: &alluxiopb.SetAttributePOptions{Pinned: proto.Bool(true)}}); err != nil {
		t.Fatal(err)
	}

	pins, err := workers.GetPinnedFileIds(ctx, &alluxiopb.GetPinnedFileIdsPRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{workerFileID(ids["/pinned"])}; !slices.Equal(pins.GetPinnedFileIds(), want) {
		t.Errorf("GetPinnedFileIds = %v, want %v (/pinned only)", pins.GetPinnedFileIds(), want)
	}

	info, err := workers.GetFileInfo(ctx, &alluxiopb.GetFileInfoPRequest{FileId: proto.Int64(workerFileID(ids["/plain"]))})
	if err != nil {
		t.Fatalf("GetFileInfo of /plain: %v", err)
	}
	if got := info.GetFileInfo(); got.GetPath() != "/plain" || got.GetFileId() != ids["/plain"] {
		t.Errorf("GetFileInfo = path %q id %d, want /plain, %d", got.GetPath(), got.GetFileId(), ids["/plain"])
	}
	for _, bad := range []struct {
		id   int64
		want codes.Code
	}{
		{workerFileID(ids["/plain"] + 1000), codes.NotFound},
		{ids["/plain"] << 24, codes.InvalidArgument}, // a block id, not a file id
		{-1, codes.InvalidArgument},
	} {
		_, err := workers.GetFileInfo(ctx, &alluxiopb.GetFileInfoPRequest{FileId: proto.Int64(bad.id)})
		if status.Code(err) != bad.want {
			t.Errorf("GetFileInfo(%d): %v, want %v", bad.id, err, bad.want)
		}
	}
}

// A file written ASYNC_THROUGH has its only copy on the workers until the
// persister copies it, so the workers are told to keep its blocks from
// eviction as if it were pinned.
func TestToBePersistedFilesAreListedAsPinned(t *testing.T) {
	conn := startMaster(t, nil)
	ctx := authenticate(t, conn, currentUser(t), "channel-to-persist")
	fs, workers, worker := alluxiopb.NewFileSystemMasterClientServiceClient(conn), alluxiopb.NewBlockMasterWorkerServiceClient(conn), registerByStream(t, ctx, conn)
	writeAsyncThrough(t, ctx, fs, workers, worker, "/async")
	if err := writeFile(t, ctx, fs, workers, worker, "/cached", alluxiopb.WritePType_MUST_CACHE, 1024, []int64{7}, nil); err != nil {
		t.Fatal(err)
	}
	st, err := fs.GetStatus(ctx, &alluxiopb.GetStatusPRequest{Path: proto.String("/async")})
	if err != nil {
		t.Fatal(err)
	}
	if st.GetFileInfo().GetPersistenceState() != "TO_BE_PERSISTED" {
		t.Fatalf("/async is %s, want TO_BE_PERSISTED (its worker is unreachable, so it cannot be persisted here)", st.GetFileInfo().GetPersistenceState())
	}

	pins, err := alluxiopb.NewFileSystemMasterWorkerServiceClient(conn).GetPinnedFileIds(ctx, &alluxiopb.GetPinnedFileIdsPRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{workerFileID(st.GetFileInfo().GetFileId())}; !slices.Equal(pins.GetPinnedFileIds(), want) {
		t.Errorf("GetPinnedFileIds = %v, want %v (/async, TO_BE_PERSISTED, and not the MUST_CACHE /cached)", pins.GetPinnedFileIds(), want)
	}
}
