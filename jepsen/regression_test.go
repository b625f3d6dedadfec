package jepsen

import (
	"context"
	"testing"
	"time"

	"github.com/halo-fs/halo/internal/testinfra/masters"
	"github.com/halo-fs/halo/jepsen/traffic"
	"github.com/halo-fs/halo/proto/halopb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
)

// Regression tests for bugs the failover tests found, one per bug, named
// after what broke. Each reproduces its bug deterministically.

// TestRegressionCreateAnswersWithItsOwnInode: the failover matrix found
// creates (files and directories) answered NotFound although they had
// taken effect — Porcupine's first illegal operation was
// create(g07/a) -> NotFound, overlapping a delete(g07/a) -> ok that
// removed the very file. The master answered a committed create by reading
// the path again, so a delete, rename or create that committed in between
// changed the answer: NotFound, or another inode's status. A create retried
// after a lost answer (contract 3: answered with its first result from the
// exactly-once table) meets the same read, which makes the race
// deterministic: create, delete, then retry the create with its operation
// id.
func TestRegressionCreateAnswersWithItsOwnInode(t *testing.T) {
	d := Deploy(t, masters.ModeRaft, 3, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	leader, err := d.WaitLeader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(leader.RPCAddress(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	api := halopb.NewMasterServiceClient(conn)
	ctx = metadata.AppendToOutgoingContext(ctx, "halo-user", traffic.User)
	op := func(seq uint64) *halopb.OperationID { return &halopb.OperationID{ClientHi: 7, ClientLo: 7, Seq: seq} }
	create := &halopb.CreateFileRequest{OpId: op(1), Path: "/regression/f", Recursive: true, Completed: true, BlockSizeBytes: 4242}

	first, err := api.CreateFile(ctx, create)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if _, err := api.Delete(ctx, &halopb.DeleteRequest{OpId: op(2), Path: "/regression/f"}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	retried, err := api.CreateFile(ctx, create)
	if err != nil {
		t.Fatalf("the create, retried after a delete, failed: %v; want its first result", err)
	}
	if got := retried.GetInfo(); got.GetId() != first.GetInfo().GetId() || got.GetBlockSizeBytes() != 4242 {
		t.Errorf("retried create answered inode %d (block size %d); want its own inode %d (4242)", got.GetId(), got.GetBlockSizeBytes(), first.GetInfo().GetId())
	}

	// Someone else creates the path anew: the retry must still describe
	// the retried create's inode, not the newcomer.
	if _, err := api.CreateFile(ctx, &halopb.CreateFileRequest{OpId: op(3), Path: "/regression/f", Completed: true, BlockSizeBytes: 999}); err != nil {
		t.Fatalf("second create: %v", err)
	}
	retried, err = api.CreateFile(ctx, create)
	if err != nil {
		t.Fatalf("the create, retried after the path was created anew, failed: %v", err)
	}
	if got := retried.GetInfo(); got.GetId() != first.GetInfo().GetId() || got.GetBlockSizeBytes() != 4242 {
		t.Errorf("retried create answered inode %d (block size %d); want its own inode %d (4242)", got.GetId(), got.GetBlockSizeBytes(), first.GetInfo().GetId())
	}

	mkdir := &halopb.CreateDirectoryRequest{OpId: op(4), Path: "/regression/d"}
	firstDir, err := api.CreateDirectory(ctx, mkdir)
	if err != nil {
		t.Fatalf("mkdir: %v", err)
	}
	if _, err := api.Delete(ctx, &halopb.DeleteRequest{OpId: op(5), Path: "/regression/d"}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	retriedDir, err := api.CreateDirectory(ctx, mkdir)
	if err != nil {
		t.Fatalf("the mkdir, retried after a delete, failed: %v; want its first result", err)
	}
	if got := retriedDir.GetInfo(); got.GetId() != firstDir.GetInfo().GetId() || !got.GetIsDirectory() {
		t.Errorf("retried mkdir answered inode %d (directory %v); want its own directory %d", got.GetId(), got.GetIsDirectory(), firstDir.GetInfo().GetId())
	}
}
