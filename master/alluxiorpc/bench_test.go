package alluxiorpc_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/halo-fs/halo/master/identity"
	"github.com/halo-fs/halo/proto/alluxiopb"
	"github.com/halo-fs/halo/proto/halopb"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
)

// BenchmarkProtocols compares the same operations through Alluxio's
// protocol and Halo's on one in-process master (local journal): the cost
// of the translation layer, not of replication.
//
//	go test -run '^$' -bench Protocols -benchtime 5s ./master/alluxiorpc/
func BenchmarkProtocols(b *testing.B) {
	conn := startMaster(b, nil)
	user := currentUser(b)
	alluxioCtx := authenticate(b, conn, user, "channel-bench")
	haloCtx := metadata.AppendToOutgoingContext(context.Background(), identity.UserMetadataKey, user)
	fs := alluxiopb.NewFileSystemMasterClientServiceClient(conn)
	halo := halopb.NewMasterServiceClient(conn)
	if _, err := fs.CreateDirectory(alluxioCtx, &alluxiopb.CreateDirectoryPRequest{Path: proto.String("/bench")}); err != nil {
		b.Fatal(err)
	}
	var n atomic.Int64
	b.Run("GetStatus/alluxio", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := fs.GetStatus(alluxioCtx, &alluxiopb.GetStatusPRequest{Path: proto.String("/bench")}); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("GetStatus/halo", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := halo.GetStatus(haloCtx, &halopb.GetStatusRequest{Path: "/bench"}); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("CreateFile/alluxio", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				p := fmt.Sprintf("/bench/a%d", n.Add(1))
				if _, err := fs.CreateFile(alluxioCtx, &alluxiopb.CreateFilePRequest{Path: proto.String(p)}); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("CreateFile/halo", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				p := fmt.Sprintf("/bench/h%d", n.Add(1))
				if _, err := halo.CreateFile(haloCtx, &halopb.CreateFileRequest{Path: p}); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}
