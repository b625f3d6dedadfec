package alluxiorpc_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/proto/alluxiopb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// rawCodec sends and receives bytes as they are, so a test can put on the
// wire what no generated client would.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *v.(*[]byte), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	*v.(*[]byte) = append([]byte(nil), data...)
	return nil
}
func (rawCodec) Name() string { return "proto" }

var _ encoding.Codec = rawCodec{}

// invokeRaw calls method with body as the request's bytes.
func invokeRaw(ctx context.Context, conn *grpc.ClientConn, method string, body []byte) error {
	var reply []byte
	return conn.Invoke(ctx, method, &body, &reply, grpc.ForceCodec(rawCodec{}))
}

func TestBadRequestsGetClearErrors(t *testing.T) {
	conn := startMaster(t, nil)
	ctx := authenticate(t, conn, currentUser(t), "channel-bad")
	fs := alluxiopb.NewFileSystemMasterClientServiceClient(conn)

	// A mode without its other bits: proto2 required fields are missing.
	partial, err := proto.MarshalOptions{AllowPartial: true}.Marshal(&alluxiopb.CreateDirectoryPRequest{
		Path: proto.String("/partial"),
		Options: &alluxiopb.CreateDirectoryPOptions{Mode: &alluxiopb.PMode{
			OwnerBits: alluxiopb.Bits_ALL.Enum(), GroupBits: alluxiopb.Bits_ALL.Enum()}},
	})
	if err != nil {
		t.Fatal(err)
	}
	err = invokeRaw(ctx, conn, "/alluxio.grpc.file.FileSystemMasterClientService/CreateDirectory", partial)
	if status.Code(err) == codes.OK || !strings.Contains(status.Convert(err).Message(), "otherBits") {
		t.Errorf("a mode without otherBits: %v; want a refusal naming the missing field", err)
	}

	// A field Alluxio 2.9.3 does not define, inside the options.
	known, err := proto.Marshal(&alluxiopb.CreateDirectoryPOptions{Recursive: proto.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	options := protowire.AppendVarint(protowire.AppendTag(known, 999, protowire.VarintType), 1)
	body := protowire.AppendString(protowire.AppendTag(nil, 1, protowire.BytesType), "/unknown")
	body = protowire.AppendBytes(protowire.AppendTag(body, 2, protowire.BytesType), options)
	err = invokeRaw(ctx, conn, "/alluxio.grpc.file.FileSystemMasterClientService/CreateDirectory", body)
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(status.Convert(err).Message(), "CreateDirectoryPOptions") {
		t.Errorf("an unknown field in the options: %v; want InvalidArgument naming CreateDirectoryPOptions", err)
	}
	if _, err := fs.GetStatus(ctx, &alluxiopb.GetStatusPRequest{Path: proto.String("/unknown")}); status.Code(err) != codes.NotFound {
		t.Errorf("the refused create made /unknown: %v", err)
	}

	// Paths Halo refuses, with the reason.
	for _, p := range []string{"", "relative", "/a//b", "/a/../b"} {
		_, err := fs.CreateFile(ctx, &alluxiopb.CreateFilePRequest{Path: proto.String(p)})
		if status.Code(err) != codes.InvalidArgument || status.Convert(err).Message() == "" {
			t.Errorf("create %q: %v; want InvalidArgument with a reason", p, err)
		}
	}

	// A request that is not a protobuf message at all.
	err = invokeRaw(ctx, conn, "/alluxio.grpc.file.FileSystemMasterClientService/GetStatus", []byte{0xff, 0xff, 0xff})
	if status.Code(err) == codes.OK {
		t.Errorf("garbage bytes as GetStatus: %v, want an error", err)
	}

	// A service Halo does not offer, asked for its version as a client
	// checks compatibility.
	_, err = alluxiopb.NewServiceVersionClientServiceClient(conn).GetServiceVersion(ctx,
		&alluxiopb.GetServiceVersionPRequest{ServiceType: alluxiopb.ServiceType_UNKNOWN_SERVICE.Enum()})
	if status.Code(err) != codes.Unimplemented || !strings.Contains(status.Convert(err).Message(), "UNKNOWN_SERVICE") {
		t.Errorf("version of an unknown service: %v; want Unimplemented naming it", err)
	}
}

// fuzzMethods are the unary methods of every Alluxio service the master
// serves, for FuzzAlluxioRequests.
func fuzzMethods() []string {
	var out []string
	for _, d := range []grpc.ServiceDesc{
		alluxiopb.FileSystemMasterClientService_ServiceDesc,
		alluxiopb.MetaMasterClientService_ServiceDesc,
		alluxiopb.MetaMasterConfigurationService_ServiceDesc,
		alluxiopb.JournalMasterClientService_ServiceDesc,
		alluxiopb.BlockMasterClientService_ServiceDesc,
		alluxiopb.MetricsMasterClientService_ServiceDesc,
		alluxiopb.ServiceVersionClientService_ServiceDesc,
	} {
		for _, m := range d.Methods {
			out = append(out, "/"+d.ServiceName+"/"+m.MethodName)
		}
	}
	return out
}

// FuzzAlluxioRequests sends arbitrary bytes as the request of any Alluxio
// method, on an authenticated channel; the master must answer (any code)
// and go on serving writes.
func FuzzAlluxioRequests(f *testing.F) {
	methods := fuzzMethods()
	seed := func(method string, m proto.Message) {
		for i, name := range methods {
			if strings.HasSuffix(name, "/"+method) {
				b, err := proto.MarshalOptions{AllowPartial: true}.Marshal(m)
				if err != nil {
					f.Fatal(err)
				}
				f.Add(uint16(i), b)
			}
		}
	}
	seed("CreateFile", &alluxiopb.CreateFilePRequest{Path: proto.String("/f"), Options: &alluxiopb.CreateFilePOptions{Recursive: proto.Bool(true)}})
	seed("CreateDirectory", &alluxiopb.CreateDirectoryPRequest{Path: proto.String("/d")})
	seed("ListStatusPartial", &alluxiopb.ListStatusPartialPRequest{Path: proto.String("/"), Options: &alluxiopb.ListStatusPartialPOptions{BatchSize: proto.Int32(1)}})
	seed("SetAttribute", &alluxiopb.SetAttributePRequest{Path: proto.String("/"), Options: &alluxiopb.SetAttributePOptions{Pinned: proto.Bool(true)}})
	seed("Rename", &alluxiopb.RenamePRequest{Path: proto.String("/d"), DstPath: proto.String("/d/e")})
	seed("Remove", &alluxiopb.DeletePRequest{Path: proto.String("/"), Options: &alluxiopb.DeletePOptions{Recursive: proto.Bool(true)}})
	seed("Mount", &alluxiopb.MountPRequest{AlluxioPath: proto.String("/m"), UfsPath: proto.String("/")})
	seed("GetMasterInfo", &alluxiopb.GetMasterInfoPOptions{})
	seed("TransferLeadership", &alluxiopb.TransferLeadershipPRequest{ServerAddress: &alluxiopb.NetAddress{Host: proto.String("127.0.0.1"), RpcPort: proto.Int32(1)}})
	f.Add(uint16(0), []byte{0xff})

	conn := startMaster(f, nil)
	ctx := authenticate(f, conn, currentUser(f), "channel-fuzz")
	fs := alluxiopb.NewFileSystemMasterClientServiceClient(conn)
	var probe atomic.Int64
	f.Fuzz(func(t *testing.T, method uint16, body []byte) {
		callCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		name := methods[int(method)%len(methods)]
		if err := invokeRaw(callCtx, conn, name, body); status.Code(err) == codes.DeadlineExceeded {
			t.Fatalf("%s with %x did not answer: %v", name, body, err)
		}
		checkNoPanic(t)
		path := "/probe-" + strings.Repeat("x", int(probe.Add(1)%7)+1)
		if _, err := fs.CreateDirectory(callCtx, &alluxiopb.CreateDirectoryPRequest{Path: proto.String(path),
			Options: &alluxiopb.CreateDirectoryPOptions{AllowExists: proto.Bool(true), Recursive: proto.Bool(true)}}); err != nil {
			t.Fatalf("a normal mkdir after the fuzzed request: %v", err)
		}
	})
}

// TestMalformedOperationSequenceIsRefused: the sequence number Halo's
// client sends beside an operation id is part of the exactly-once key, so
// a call carrying a malformed one is refused before anything is done.
func TestMalformedOperationSequenceIsRefused(t *testing.T) {
	conn := startMaster(t, nil)
	ctx := authenticate(t, conn, currentUser(t), "channel-seq")
	fs := alluxiopb.NewFileSystemMasterClientServiceClient(conn)
	for _, seq := range []string{"0", "-1", "x", "18446744073709551616"} {
		call := metadata.AppendToOutgoingContext(ctx, client.OpSeqMetadataKey, seq)
		_, err := fs.CreateDirectory(call, &alluxiopb.CreateDirectoryPRequest{Path: proto.String("/seq")})
		if status.Code(err) != codes.InvalidArgument || !strings.Contains(status.Convert(err).Message(), client.OpSeqMetadataKey) {
			t.Errorf("sequence %q: %v; want InvalidArgument naming %s", seq, err, client.OpSeqMetadataKey)
		}
	}
	if _, err := fs.GetStatus(ctx, &alluxiopb.GetStatusPRequest{Path: proto.String("/seq")}); status.Code(err) != codes.NotFound {
		t.Fatalf("GetStatus(/seq) after refused creates: %v, want NotFound", err)
	}
}
