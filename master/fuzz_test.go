package master

import (
	"context"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/halo-fs/halo/fserr/rpcerr"
	"github.com/halo-fs/halo/internal/sharedsecret"
	"github.com/halo-fs/halo/master/identity"
	"github.com/halo-fs/halo/proto/halopb"
	"github.com/halo-fs/halo/ufs"
	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// The fuzzed master's entry limit is small, so that fuzzed sizes cross it
// and the RPC receive limit above it within a few MiB.
const (
	fuzzEntryLimit = 128 << 10
	fuzzMaxGrow    = 2 * (fuzzEntryLimit + rpcHeadroomBytes)
	// fuzzHeapLimit is far above what the fuzzed namespace needs; a master
	// that kept something of every request would cross it.
	fuzzHeapLimit = 1 << 30
)

// fuzzCall sends one fuzzed request of one method; its error is not
// judged, only what the master does afterwards.
type fuzzCall func(ctx context.Context, api halopb.MasterServiceClient, payload []byte, grow int) error

// fuzzCalls covers the MasterService. Backup is left out (it writes a
// folder the request names), and mounts find no UFS scheme registered.
var fuzzCalls = []fuzzCall{
	unary(halopb.MasterServiceClient.CreateFile, func(r *halopb.CreateFileRequest, n int) { r.Path = grown(r.Path, n) }),
	unary(halopb.MasterServiceClient.CreateDirectory, func(r *halopb.CreateDirectoryRequest, n int) { r.Path = grown(r.Path, n) }),
	unary(halopb.MasterServiceClient.GetStatus, func(r *halopb.GetStatusRequest, n int) { r.Path = grown(r.Path, n) }),
	listStatus,
	unary(halopb.MasterServiceClient.Rename, func(r *halopb.RenameRequest, n int) { r.Dst = grown(r.Dst, n) }),
	unary(halopb.MasterServiceClient.Delete, func(r *halopb.DeleteRequest, n int) { r.Path = grown(r.Path, n) }),
	unary(halopb.MasterServiceClient.SetAttribute, func(r *halopb.SetAttributeRequest, n int) {
		if r.Attr != nil && n > 0 {
			r.Attr.HasOwner, r.Attr.Owner = true, strings.Repeat("o", n)
		}
	}),
	unary(halopb.MasterServiceClient.CompleteFile, func(r *halopb.CompleteFileRequest, n int) {
		for i := 0; i < n/8; i++ {
			r.BlockIds = append(r.BlockIds, 1<<56+uint64(i))
		}
	}),
	unary(halopb.MasterServiceClient.Mount, func(r *halopb.MountRequest, n int) {
		if n > 0 {
			r.Options = map[string]string{"fuzz.value": strings.Repeat("v", n)}
		}
	}),
	unary(halopb.MasterServiceClient.Unmount, func(r *halopb.UnmountRequest, n int) { r.Path = grown(r.Path, n) }),
	unary(halopb.MasterServiceClient.LoadMetadata, func(r *halopb.LoadMetadataRequest, n int) { r.Path = grown(r.Path, n) }),
	unary(halopb.MasterServiceClient.GetMountTable, nil),
	unary(halopb.MasterServiceClient.GetMasterInfo, nil),
	unary(halopb.MasterServiceClient.Checkpoint, nil),
	unary(halopb.MasterServiceClient.GetQuorumInfo, nil),
	unary(halopb.MasterServiceClient.AddQuorumMember, func(r *halopb.QuorumMemberRequest, n int) { r.Address = grown(r.Address, n) }),
}

// unary makes a fuzzCall of one unary method: its request is decoded from
// the payload, then grown by n bytes where grow says.
func unary[Req proto.Message, Resp any](
	send func(halopb.MasterServiceClient, context.Context, Req, ...grpc.CallOption) (Resp, error),
	grow func(Req, int),
) fuzzCall {
	return func(ctx context.Context, api halopb.MasterServiceClient, payload []byte, n int) error {
		var zero Req
		req := zero.ProtoReflect().Type().New().Interface().(Req)
		fill(req, payload)
		if grow != nil {
			grow(req, n)
		}
		_, err := send(api, ctx, req)
		return err
	}
}

func listStatus(ctx context.Context, api halopb.MasterServiceClient, payload []byte, n int) error {
	req := &halopb.ListStatusRequest{}
	fill(req, payload)
	req.Path = grown(req.Path, n)
	stream, err := api.ListStatus(ctx, req)
	if err != nil {
		return err
	}
	for i := 0; i < 10_000; i++ {
		if _, err := stream.Recv(); err != nil {
			return err
		}
	}
	return nil
}

// fill decodes payload into req; bytes that are no message of its type
// become its first string field instead, so that plain text seeds reach
// the paths.
func fill(req proto.Message, payload []byte) {
	if proto.Unmarshal(payload, req) == nil {
		return
	}
	fields := req.ProtoReflect().Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		if fd := fields.Get(i); fd.Kind() == protoreflect.StringKind && fd.Cardinality() != protoreflect.Repeated {
			req.ProtoReflect().Set(fd, protoreflect.ValueOfString(string(payload)))
			return
		}
	}
}

// grown lengthens a path-like field by n bytes of short components.
func grown(s string, n int) string {
	if n == 0 {
		return s
	}
	return s + strings.Repeat("/g", n/2)
}

// FuzzMasterService sends random requests of every method, with random
// sizes and user names, to one in-process master, and checks after each
// that the master did not crash, still leads, still journals a normal
// write, and does not hold memory in proportion to what it was sent.
func FuzzMasterService(f *testing.F) {
	for _, seed := range []struct {
		method  uint8
		user    string
		payload string
		grow    uint32
	}{
		{0, "halo", "/f", 0},
		{0, "halo", "/f", fuzzEntryLimit},
		{0, "halo", "/f", fuzzMaxGrow},
		{1, "alice", "/d", 0},
		{1, "halo", "/d", 4096},
		{2, "halo", "/", 0},
		{3, "halo", "/", 0},
		{4, "halo", "/f", 10},
		{5, "halo", "/d", 0},
		{6, "halo", "/", 0},
		{6, "halo", "\x12\x05\x0a\x01/\x28\x01", fuzzEntryLimit},
		{6, "halo", "\x12\x08\x0a\x01/\x28\x01\x32\x01:", 0},
		{7, "halo", "/f", 0},
		{7, "halo", "/f", fuzzEntryLimit},
		{7, "halo", "/f", 8 * (MaxBlocksPerFile + 1)},
		{8, "halo", "/m", 0},
		{8, "halo", "/m", MaxMountOptionValueBytes + 1},
		{9, "halo", "/m", 0},
		{10, "halo", "/", 0},
		{11, "halo", "", 0},
		{12, "", "", 0},
		{13, "halo", "", 0},
		{14, "halo", "", 0},
		{15, "halo", "127.0.0.1:1", MaxAddressBytes},
		{0, "", "/no-user", 0},
		{0, strings.Repeat("u", identity.MaxNameBytes+1), "/long-user", 0},
		{0, strings.Repeat("u", maxHeaderListBytes), "/huge-user", 0},
		{0, "a:b", "/colon-user", 0},
		{0, "jürgen", "/unicode-user", 0},
		{0, "\x00\xff", "/binary-user", 0},
	} {
		f.Add(seed.method, seed.user, []byte(seed.payload), seed.grow)
	}
	m, _ := startLocalMasterWith(f, func(c *Config) {
		c.MaxEntryBytes = fuzzEntryLimit
		c.UFS = ufs.NewRegistry()
		c.Logger = hclog.NewNullLogger()
	})
	conn, err := grpc.NewClient(m.RPCAddr(), grpc.WithTransportCredentials(sharedsecret.NewCredentials(insecure.NewCredentials(), testSecret)))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { conn.Close() })
	api := halopb.NewMasterServiceClient(conn)
	var runs atomic.Int64
	f.Fuzz(func(t *testing.T, method uint8, user string, payload []byte, grow uint32) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		call := fuzzCalls[int(method)%len(fuzzCalls)]
		_ = call(metadata.AppendToOutgoingContext(ctx, identity.UserMetadataKey, user), api, payload, int(grow%(fuzzMaxGrow+1)))
		assertServingWrites(t, ctx, m, api)
		if runs.Add(1)%64 == 0 {
			assertHeapBounded(t)
		}
	})
}

// assertServingWrites checks that m leads and journals a normal write.
func assertServingWrites(t *testing.T, ctx context.Context, m *Master, api halopb.MasterServiceClient) {
	t.Helper()
	before := m.fsm.AppliedIndex()
	admin := metadata.AppendToOutgoingContext(ctx, identity.UserMetadataKey, "halo")
	_, err := api.SetAttribute(admin, &halopb.SetAttributeRequest{Attr: &halopb.SetAttributeOptions{Path: "/", HasMode: true, Mode: 0o777}})
	if err != nil {
		t.Fatalf("a normal write after the fuzzed request: %v", rpcerr.FromGRPC(err))
	}
	if after := m.fsm.AppliedIndex(); after <= before {
		t.Fatalf("a normal write was answered but not journaled (applied index %d, then %d)", before, after)
	}
	if st := m.Info().State; st != "PRIMARY" {
		t.Fatalf("the master is %s after the fuzzed request", st)
	}
}

func assertHeapBounded(t *testing.T) {
	t.Helper()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if ms.HeapAlloc > fuzzHeapLimit {
		t.Fatalf("the heap holds %d MiB after garbage collection, more than %d MiB", ms.HeapAlloc>>20, fuzzHeapLimit>>20)
	}
}
