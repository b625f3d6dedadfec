package jepsen

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/internal/testinfra/masters"
	"github.com/halo-fs/halo/jepsen/traffic"
	"github.com/halo-fs/halo/proto/alluxiopb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
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
	api := alluxiopb.NewFileSystemMasterClientServiceClient(conn)
	ctx, endChannel, err := client.AuthenticateChannel(ctx, conn, traffic.User)
	if err != nil {
		t.Fatal(err)
	}
	defer endChannel()
	// Operation ids as Halo's client sends them: its client id plus the
	// sequence in Alluxio's operation id, the sequence in a header.
	common := func(seq uint64) *alluxiopb.FileSystemMasterCommonPOptions {
		return &alluxiopb.FileSystemMasterCommonPOptions{OperationId: &alluxiopb.FsOpPId{MostSignificantBits: proto.Int64(7), LeastSignificantBits: proto.Int64(7 + int64(seq))}}
	}
	op := func(seq uint64) context.Context {
		return metadata.AppendToOutgoingContext(ctx, client.OpSeqMetadataKey, strconv.FormatUint(seq, 10))
	}
	createFile := func(seq uint64, blockSize int64) (*alluxiopb.CreateFilePResponse, error) {
		return api.CreateFile(op(seq), &alluxiopb.CreateFilePRequest{Path: proto.String("/regression/f"), Options: &alluxiopb.CreateFilePOptions{
			Recursive: proto.Bool(true), BlockSizeBytes: proto.Int64(blockSize), CommonOptions: common(seq),
		}})
	}
	remove := func(seq uint64, path string) error {
		_, err := api.Remove(op(seq), &alluxiopb.DeletePRequest{Path: proto.String(path), Options: &alluxiopb.DeletePOptions{CommonOptions: common(seq)}})
		return err
	}

	first, err := createFile(1, 4242)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if err := remove(2, "/regression/f"); err != nil {
		t.Fatalf("delete: %v", err)
	}
	retried, err := createFile(1, 4242)
	if err != nil {
		t.Fatalf("the create, retried after a delete, failed: %v; want its first result", err)
	}
	if got := retried.GetFileInfo(); got.GetFileId() != first.GetFileInfo().GetFileId() || got.GetBlockSizeBytes() != 4242 {
		t.Errorf("retried create answered inode %d (block size %d); want its own inode %d (4242)", got.GetFileId(), got.GetBlockSizeBytes(), first.GetFileInfo().GetFileId())
	}

	// Someone else creates the path anew: the retry must still describe
	// the retried create's inode, not the newcomer.
	if _, err := createFile(3, 999); err != nil {
		t.Fatalf("second create: %v", err)
	}
	retried, err = createFile(1, 4242)
	if err != nil {
		t.Fatalf("the create, retried after the path was created anew, failed: %v", err)
	}
	if got := retried.GetFileInfo(); got.GetFileId() != first.GetFileInfo().GetFileId() || got.GetBlockSizeBytes() != 4242 {
		t.Errorf("retried create answered inode %d (block size %d); want its own inode %d (4242)", got.GetFileId(), got.GetBlockSizeBytes(), first.GetFileInfo().GetFileId())
	}

	mkdir := func() (string, error) {
		var header metadata.MD
		_, err := api.CreateDirectory(op(4), &alluxiopb.CreateDirectoryPRequest{Path: proto.String("/regression/d"), Options: &alluxiopb.CreateDirectoryPOptions{CommonOptions: common(4)}}, grpc.Header(&header))
		return strings.Join(header.Get(client.FileIDMetadataKey), ","), err
	}
	firstDir, err := mkdir()
	if err != nil {
		t.Fatalf("mkdir: %v", err)
	}
	if err := remove(5, "/regression/d"); err != nil {
		t.Fatalf("delete: %v", err)
	}
	retriedDir, err := mkdir()
	if err != nil {
		t.Fatalf("the mkdir, retried after a delete, failed: %v; want its first result", err)
	}
	if retriedDir != firstDir || firstDir == "" {
		t.Errorf("retried mkdir answered directory id %q; want its own directory %q", retriedDir, firstDir)
	}
}
