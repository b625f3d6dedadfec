package worker

import (
	"context"
	"testing"

	"github.com/halo-fs/halo/proto/alluxiopb"
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
	store := memStore(t, 4<<20)
	const block = 9 << 24
	writeTestBlock(t, store, block, 1<<20)
	master := &freeingMaster{free: []int64{block}, received: make(chan struct{}), answer: make(chan struct{})}
	_, l := linkedWorker(store, serveFakeMaster(t, master), "fake master")

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
