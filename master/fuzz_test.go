package master

import (
	"context"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/fserr/rpcerr"
	"github.com/halo-fs/halo/internal/sharedsecret"
	"github.com/halo-fs/halo/master/identity"
	"github.com/halo-fs/halo/proto/alluxiopb"
	"github.com/halo-fs/halo/proto/halopb"
	"github.com/halo-fs/halo/ufs"
	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
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
type fuzzCall func(ctx context.Context, api rpcAPI, payload []byte, grow int) error

func fileSystem(a rpcAPI) alluxiopb.FileSystemMasterClientServiceClient { return a.fs }
func metaMaster(a rpcAPI) alluxiopb.MetaMasterClientServiceClient       { return a.meta }
func journalMaster(a rpcAPI) alluxiopb.JournalMasterClientServiceClient { return a.journal }
func haloService(a rpcAPI) halopb.HaloServiceClient                     { return a.halo }

// fuzzCalls covers the services Halo's client calls. Backup is left out
// (it writes a folder the request names), and mounts find no UFS scheme
// registered.
var fuzzCalls = []fuzzCall{
	unary(fileSystem, alluxiopb.FileSystemMasterClientServiceClient.CreateFile, func(r *alluxiopb.CreateFilePRequest, n int) { r.Path = grownPtr(r.Path, n) }),
	unary(fileSystem, alluxiopb.FileSystemMasterClientServiceClient.CreateDirectory, func(r *alluxiopb.CreateDirectoryPRequest, n int) { r.Path = grownPtr(r.Path, n) }),
	unary(fileSystem, alluxiopb.FileSystemMasterClientServiceClient.GetStatus, func(r *alluxiopb.GetStatusPRequest, n int) { r.Path = grownPtr(r.Path, n) }),
	listStatus,
	unary(fileSystem, alluxiopb.FileSystemMasterClientServiceClient.Rename, func(r *alluxiopb.RenamePRequest, n int) { r.DstPath = grownPtr(r.DstPath, n) }),
	unary(fileSystem, alluxiopb.FileSystemMasterClientServiceClient.Remove, func(r *alluxiopb.DeletePRequest, n int) { r.Path = grownPtr(r.Path, n) }),
	unary(fileSystem, alluxiopb.FileSystemMasterClientServiceClient.SetAttribute, func(r *alluxiopb.SetAttributePRequest, n int) {
		if r.Options != nil && n > 0 {
			r.Options.Owner = proto.String(strings.Repeat("o", n))
		}
	}),
	unary(fileSystem, alluxiopb.FileSystemMasterClientServiceClient.CompleteFile, func(r *alluxiopb.CompleteFilePRequest, n int) { r.Path = grownPtr(r.Path, n) }),
	unary(fileSystem, alluxiopb.FileSystemMasterClientServiceClient.Mount, func(r *alluxiopb.MountPRequest, n int) {
		if n > 0 {
			r.Options = &alluxiopb.MountPOptions{Properties: map[string]string{"fuzz.value": strings.Repeat("v", n)}}
		}
	}),
	unary(fileSystem, alluxiopb.FileSystemMasterClientServiceClient.Unmount, func(r *alluxiopb.UnmountPRequest, n int) { r.AlluxioPath = grownPtr(r.AlluxioPath, n) }),
	unary(haloService, halopb.HaloServiceClient.LoadMetadata, func(r *halopb.LoadMetadataRequest, n int) { r.Path = grown(r.Path, n) }),
	unary(fileSystem, alluxiopb.FileSystemMasterClientServiceClient.GetMountTable, nil),
	unary(haloService, halopb.HaloServiceClient.GetMasterInfo, nil),
	unary(metaMaster, alluxiopb.MetaMasterClientServiceClient.Checkpoint, nil),
	unary(haloService, halopb.HaloServiceClient.GetQuorumInfo, nil),
	unary(haloService, halopb.HaloServiceClient.AddQuorumMember, func(r *halopb.QuorumMemberRequest, n int) { r.Address = grown(r.Address, n) }),
	unary(fileSystem, alluxiopb.FileSystemMasterClientServiceClient.ListStatusPartial, func(r *alluxiopb.ListStatusPartialPRequest, n int) { r.Path = grownPtr(r.Path, n) }),
	unary(metaMaster, alluxiopb.MetaMasterClientServiceClient.GetMasterInfo, nil),
	unary(journalMaster, alluxiopb.JournalMasterClientServiceClient.GetQuorumInfo, nil),
	unary(fileSystem, alluxiopb.FileSystemMasterClientServiceClient.Exists, func(r *alluxiopb.ExistsPRequest, n int) { r.Path = grownPtr(r.Path, n) }),
}

// unary makes a fuzzCall of one unary method of the service pick gives:
// its request is decoded from the payload, then grown by n bytes where
// grow says.
func unary[Client any, Req proto.Message, Resp any](
	pick func(rpcAPI) Client,
	send func(Client, context.Context, Req, ...grpc.CallOption) (Resp, error),
	grow func(Req, int),
) fuzzCall {
	return func(ctx context.Context, api rpcAPI, payload []byte, n int) error {
		var zero Req
		req := zero.ProtoReflect().Type().New().Interface().(Req)
		fill(req, payload)
		if grow != nil {
			grow(req, n)
		}
		_, err := send(pick(api), ctx, req)
		return err
	}
}

func listStatus(ctx context.Context, api rpcAPI, payload []byte, n int) error {
	req := &alluxiopb.ListStatusPRequest{}
	fill(req, payload)
	req.Path = grownPtr(req.Path, n)
	stream, err := api.fs.ListStatus(ctx, req)
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

// grownPtr is grown for a proto2 field.
func grownPtr(s *string, n int) *string {
	if n == 0 {
		return s
	}
	var v string
	if s != nil {
		v = *s
	}
	return proto.String(grown(v, n))
}

// grown lengthens a path-like field by n bytes of short components.
func grown(s string, n int) string {
	if n == 0 {
		return s
	}
	return s + strings.Repeat("/g", n/2)
}

// FuzzMasterRPC sends random requests of every method, with random
// sizes and user names, to one in-process master, and checks after each
// that the master did not crash, still leads, still journals a normal
// write, and does not hold memory in proportion to what it was sent.
func FuzzMasterRPC(f *testing.F) {
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
		{6, "halo", string(mustMarshal(&alluxiopb.SetAttributePRequest{Path: proto.String("/"), Options: &alluxiopb.SetAttributePOptions{Recursive: proto.Bool(true)}})), fuzzEntryLimit},
		{6, "halo", string(mustMarshal(&alluxiopb.SetAttributePRequest{Path: proto.String("/"), Options: &alluxiopb.SetAttributePOptions{Recursive: proto.Bool(true), Owner: proto.String(":")}})), 0},
		{7, "halo", "/f", 0},
		{7, "halo", "/f", fuzzEntryLimit},
		{8, "halo", "/m", 0},
		{8, "halo", "/m", MaxMountOptionValueBytes + 1},
		{9, "halo", "/m", 0},
		{10, "halo", "/", 0},
		{11, "halo", "", 0},
		{12, "", "", 0},
		{13, "halo", "", 0},
		{14, "halo", "", 0},
		{15, "halo", "127.0.0.1:1", MaxAddressBytes},
		{16, "halo", "/", 0},
		{17, "halo", "", 0},
		{18, "halo", "", 0},
		{19, "halo", "/f", fuzzEntryLimit},
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
	api := rpcAPIOf(conn)
	var runs atomic.Int64
	f.Fuzz(func(t *testing.T, method uint8, user string, payload []byte, grow uint32) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		call := fuzzCalls[int(method)%len(fuzzCalls)]
		// A name the master refuses leaves the call without a channel,
		// which the master refuses in turn.
		callCtx := ctx
		if asUser, end, err := client.AuthenticateChannel(ctx, conn, user); err == nil {
			defer end()
			callCtx = asUser
		}
		_ = call(callCtx, api, payload, int(grow%(fuzzMaxGrow+1)))
		assertServingWrites(t, ctx, m, api)
		if runs.Add(1)%64 == 0 {
			assertHeapBounded(t)
		}
	})
}

// assertServingWrites checks that m leads and journals a normal write.
func assertServingWrites(t *testing.T, ctx context.Context, m *Master, api rpcAPI) {
	t.Helper()
	before := m.fsm.AppliedIndex()
	admin := api.as(t, "halo")
	all := alluxiopb.Bits_ALL.Enum()
	_, err := api.fs.SetAttribute(admin, &alluxiopb.SetAttributePRequest{Path: proto.String("/"), Options: &alluxiopb.SetAttributePOptions{
		Mode: &alluxiopb.PMode{OwnerBits: all, GroupBits: all, OtherBits: all},
	}})
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

func mustMarshal(m proto.Message) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
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
