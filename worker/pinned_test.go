package worker

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/halo-fs/halo/proto/alluxiopb"
	"github.com/halo-fs/halo/worker/blockstore"
	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// pinningMaster answers heartbeats with nothing to do and
// GetPinnedFileIds with a fixed list.
type pinningMaster struct {
	alluxiopb.UnimplementedFileSystemMasterWorkerServiceServer
	alluxiopb.UnimplementedBlockMasterWorkerServiceServer
	pinned []int64
}

func (p *pinningMaster) BlockHeartbeat(context.Context, *alluxiopb.BlockHeartbeatPRequest) (*alluxiopb.BlockHeartbeatPResponse, error) {
	return &alluxiopb.BlockHeartbeatPResponse{Command: &alluxiopb.Command{CommandType: alluxiopb.CommandType_Nothing.Enum()}}, nil
}

func (p *pinningMaster) GetPinnedFileIds(context.Context, *alluxiopb.GetPinnedFileIdsPRequest) (*alluxiopb.GetPinnedFileIdsPResponse, error) {
	return &alluxiopb.GetPinnedFileIdsPResponse{PinnedFileIds: p.pinned}, nil
}

func servePinningMaster(t *testing.T, pinned []int64) *grpc.ClientConn {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	master := &pinningMaster{pinned: pinned}
	alluxiopb.RegisterFileSystemMasterWorkerServiceServer(srv, master)
	alluxiopb.RegisterBlockMasterWorkerServiceServer(srv, master)
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func writeTestBlock(t *testing.T, s *blockstore.Store, id int64, n int) {
	t.Helper()
	b, err := s.CreateBlock(1, id, "", int64(n))
	if err != nil {
		t.Fatalf("create block %d: %v", id, err)
	}
	if _, err := b.Write(make([]byte, n)); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Commit(); err != nil {
		t.Fatalf("commit block %d: %v", id, err)
	}
}

// The pinned files the master lists reach the store with a heartbeat:
// when the tier fills up, the older block, of a pinned file, stays and
// the newer one, of a file not pinned, is evicted.
func TestPinnedFilesFromTheMasterAreKeptFromEviction(t *testing.T) {
	const blockSize = 1 << 20
	store, err := blockstore.Open(blockstore.Config{Tiers: []blockstore.TierConfig{{
		Alias: "MEM", Dirs: []blockstore.DirConfig{{Path: t.TempDir(), Quota: 2 * blockSize}},
	}}}, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	const pinnedFile, otherFile = 5, 6
	pinnedBlock, otherBlock := int64(pinnedFile<<24), int64(otherFile<<24)
	conn := servePinningMaster(t, []int64{pinnedFile<<24 | 0xFFFFFF}) // as Alluxio names files
	w := &Worker{cfg: Config{CallTimeout: 10 * time.Second, HeartbeatTimeout: 10 * time.Second}, store: store,
		log: hclog.NewNullLogger(), identity: &Identity{ID: 1}}
	l := newLink(w, "fake master")
	l.conn, l.channel = conn, "channel"

	if err := l.heartbeat(context.Background()); err != nil {
		t.Fatal(err)
	}
	writeTestBlock(t, store, pinnedBlock, blockSize)
	writeTestBlock(t, store, otherBlock, blockSize)
	writeTestBlock(t, store, otherFile<<24|1, blockSize)
	if !store.HasBlock(pinnedBlock) || store.HasBlock(otherBlock) {
		t.Errorf("after filling the tier: pinned file's block kept %t, other file's block kept %t; want true, false",
			store.HasBlock(pinnedBlock), store.HasBlock(otherBlock))
	}
}
