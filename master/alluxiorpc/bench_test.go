package alluxiorpc_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/halo-fs/halo/proto/alluxiopb"
	"google.golang.org/protobuf/proto"
)

// BenchmarkFileSystemService measures a read and a write through Alluxio's
// protocol, the one every client speaks, on one in-process master (local
// journal): the cost of the RPC and translation layers, not of
// replication.
//
//	go test -run '^$' -bench FileSystemService -benchtime 5s ./master/alluxiorpc/
func BenchmarkFileSystemService(b *testing.B) {
	conn := startMaster(b, nil)
	ctx := authenticate(b, conn, currentUser(b), "channel-bench")
	fs := alluxiopb.NewFileSystemMasterClientServiceClient(conn)
	if _, err := fs.CreateDirectory(ctx, &alluxiopb.CreateDirectoryPRequest{Path: proto.String("/bench")}); err != nil {
		b.Fatal(err)
	}
	var n atomic.Int64
	b.Run("GetStatus", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := fs.GetStatus(ctx, &alluxiopb.GetStatusPRequest{Path: proto.String("/bench")}); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("CreateFile", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				p := fmt.Sprintf("/bench/a%d", n.Add(1))
				if _, err := fs.CreateFile(ctx, &alluxiopb.CreateFilePRequest{Path: proto.String(p)}); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}
