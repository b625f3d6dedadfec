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

// freeingMaster answers every heartbeat with a command to free blocks,
// after holding it until the test lets it go; it takes every commit.
type freeingMaster struct {
	alluxiopb.UnimplementedBlockMasterWorkerServiceServer
	alluxiopb.UnimplementedFileSystemMasterWorkerServiceServer
	free     []int64
	received chan struct{}
	answer   chan struct{}
}

func (f *freeingMaster) BlockHeartbeat(ctx context.Context, _ *alluxiopb.BlockHeartbeatPRequest) (*alluxiopb.BlockHeartbeatPResponse, error) {
	f.received <- struct{}{}
	select {
	case <-f.answer:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	command := alluxiopb.CommandType_Free
	return &alluxiopb.BlockHeartbeatPResponse{Command: &alluxiopb.Command{CommandType: &command, Data: f.free}}, nil
}

func (f *freeingMaster) CommitBlock(context.Context, *alluxiopb.CommitBlockPRequest) (*alluxiopb.CommitBlockPResponse, error) {
	return &alluxiopb.CommitBlockPResponse{}, nil
}

// A free the master took for a heartbeat before a commit of the same block
// reached it (a load that found the block still cached), delivered after
// that commit: the worker keeps the block, since the master, by then,
// counts it held again.
func TestFreeCrossingACommitOfTheBlockKeepsIt(t *testing.T) {
	store, err := blockstore.Open(blockstore.Config{Tiers: []blockstore.TierConfig{{
		Alias: "MEM", Dirs: []blockstore.DirConfig{{Path: t.TempDir(), Quota: 4 << 20}},
	}}}, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	const block = 9 << 24
	writeTestBlock(t, store, block, 1<<20)
	master := &freeingMaster{free: []int64{block}, received: make(chan struct{}), answer: make(chan struct{})}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	alluxiopb.RegisterBlockMasterWorkerServiceServer(srv, master)
	alluxiopb.RegisterFileSystemMasterWorkerServiceServer(srv, master)
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	w := &Worker{cfg: Config{CallTimeout: 10 * time.Second, HeartbeatTimeout: 10 * time.Second}, store: store,
		log: hclog.NewNullLogger(), identity: &Identity{ID: 1}, metrics: newMetrics()}
	l := newLink(w, "fake master")
	l.conn, l.channel, l.registered = conn, "channel", true

	done := make(chan error, 1)
	go func() { done <- l.heartbeat(context.Background()) }()
	<-master.received
	if err := l.commit(context.Background(), block, 1<<20, "MEM", 1<<20); err != nil {
		t.Fatal(err)
	}
	close(master.answer)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !store.HasBlock(block) {
		t.Error("the worker dropped a block on a free that crossed its commit")
	}
}
