package worker_test

import (
	"context"
	"strings"
	"testing"

	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/proto/alluxiopb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// Without a master to say where a mount's UFS is, UFS reads and caches
// fail clearly, naming the mount; copying a block from another worker is
// refused as not served. (The UFS paths themselves run in e2e, with real
// masters.)
func TestUfsRequestsWithoutAMasterFailClearly(t *testing.T) {
	cfg := testConfig(t, "127.0.0.1", t.TempDir())
	openWorker(t, cfg)
	c := dialWorker(t, cfg)
	ufsBlock := &alluxiopb.OpenUfsBlockOptions{UfsPath: proto.String("/nowhere/f"), BlockSize: proto.Int64(10), MountId: proto.Int64(7)}

	_, err := client.OpenBlock(context.Background(), c, &alluxiopb.ReadRequest{BlockId: proto.Int64(1 << 24), Length: proto.Int64(10), OpenUfsBlockOptions: ufsBlock})
	if status.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), "mount 7") {
		t.Errorf("a UFS read with no master: %v, want Unavailable naming mount 7", err)
	}
	_, err = c.Cache(context.Background(), &alluxiopb.CacheRequest{BlockId: proto.Int64(1 << 24), OpenUfsBlockOptions: ufsBlock, Length: proto.Int64(10)})
	if status.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), "mount 7") {
		t.Errorf("a UFS cache with no master: %v, want Unavailable naming mount 7", err)
	}
	_, err = c.Cache(context.Background(), &alluxiopb.CacheRequest{BlockId: proto.Int64(1 << 24), SourceHost: proto.String("127.0.0.2"), SourcePort: proto.Int32(1)})
	if status.Code(err) != codes.Unimplemented {
		t.Errorf("a cache from another worker: %v, want Unimplemented", err)
	}
}
