package alluxiorpc_test

import (
	"context"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/halo-fs/halo/conf"
	"github.com/halo-fs/halo/internal/ports"
	"github.com/halo-fs/halo/internal/sharedsecret"
	"github.com/halo-fs/halo/master"
	"github.com/halo-fs/halo/master/boot"
	"github.com/halo-fs/halo/proto/alluxiopb"
	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// startMaster runs a single master (local journal) in the test's process
// and returns a connection to its RPC port.
func startMaster(t testing.TB, overrides map[string]string, dial ...grpc.DialOption) *grpc.ClientConn {
	t.Helper()
	_, conn := startRunningMaster(t, overrides, dial...)
	return conn
}

// startRunningMaster is startMaster that also returns the master, for
// tests that stop it.
func startRunningMaster(t testing.TB, overrides map[string]string, dial ...grpc.DialOption) (*boot.Running, *grpc.ClientConn) {
	t.Helper()
	port, err := ports.Free("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	webPort, err := ports.Free("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	props := map[string]string{
		"alluxio.home":                        home,
		"alluxio.master.hostname":             "127.0.0.1",
		"alluxio.master.rpc.port":             strconv.Itoa(port),
		"alluxio.master.web.port":             strconv.Itoa(webPort),
		"alluxio.master.journal.folder":       home + "/journal",
		"alluxio.master.mount.table.root.ufs": home + "/underFSStorage",
	}
	for k, v := range overrides {
		props[k] = v
	}
	cfg, err := conf.Load(conf.LoadOptions{ConfDir: t.TempDir(), Overrides: props, HA: "none"})
	if err != nil {
		t.Fatal(err)
	}
	// Long enough for a benchmark's master restoring millions of inodes
	// from a backup (-i) on a loaded machine.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if _, err := boot.FormatJournal(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	running, err := boot.Open(ctx, cfg, hclog.New(&hclog.LoggerOptions{Output: panicWatch{}, Level: hclog.Error}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { running.Close(); checkNoPanic(t) })
	if len(dial) == 0 {
		dial = []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	}
	conn, err := grpc.NewClient(net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), dial...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return running, conn
}

// loggedPanic holds the first handler panic a test's master logged: the
// master survives it, but it is a bug (see checkNoPanic).
var loggedPanic atomic.Pointer[string]

// panicWatch is the masters' log; it keeps panics for checkNoPanic.
type panicWatch struct{}

func (panicWatch) Write(p []byte) (int, error) {
	if strings.Contains(string(p), "panicked") {
		line := string(p)
		loggedPanic.CompareAndSwap(nil, &line)
	}
	return len(p), nil
}

// checkNoPanic fails the test if a master logged a handler's panic.
func checkNoPanic(t testing.TB) {
	t.Helper()
	if p := loggedPanic.Load(); p != nil {
		t.Fatalf("the master logged a panic: %s", *p)
	}
}

// authenticate opens a SIMPLE-authenticated channel as user and returns a
// context whose calls carry its channel id; the channel stays
// authenticated until the test ends.
func authenticate(t testing.TB, conn *grpc.ClientConn, user, channel string) context.Context {
	t.Helper()
	openAuthentication(t, conn, user, channel)
	return metadata.AppendToOutgoingContext(context.Background(), "channel-id", channel)
}

// openAuthentication authenticates a channel as user and returns its
// open authentication stream, which lasts until the test ends.
func openAuthentication(t testing.TB, conn *grpc.ClientConn, user, channel string) alluxiopb.SaslAuthenticationService_AuthenticateClient {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	stream, err := alluxiopb.NewSaslAuthenticationServiceClient(conn).Authenticate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	err = stream.Send(&alluxiopb.SaslMessage{
		MessageType:          alluxiopb.SaslMessageType_CHALLENGE.Enum(),
		Message:              []byte("\x00" + user + "\x00noPassword"),
		ClientId:             proto.String(channel),
		AuthenticationScheme: alluxiopb.ChannelAuthenticationScheme_SIMPLE.Enum(),
	})
	if err != nil {
		t.Fatal(err)
	}
	reply, err := stream.Recv()
	if err != nil {
		t.Fatalf("authenticate: %v", err)
	}
	if reply.GetMessageType() != alluxiopb.SaslMessageType_SUCCESS {
		t.Fatalf("authenticate answered %v, want SUCCESS", reply)
	}
	return stream
}

// Clients keep a channel's authentication stream open for the channel's
// life, so a clean stop must end those streams itself: waiting for them
// kept a stopped master's process and its clients' connections for the
// five seconds after which the stop gives up waiting, and Alluxio's client
// paid for that in every hand-over.
func TestStopEndsOpenAuthenticationStreams(t *testing.T) {
	running, conn := startRunningMaster(t, nil)
	stream := openAuthentication(t, conn, currentUser(t), "stopping-channel")
	go running.Close()
	_, err := stream.Recv()
	if st := status.Convert(err); st.Code() != codes.Unavailable || !strings.Contains(st.Message(), "stopping") {
		t.Fatalf("the authentication stream ended with %v; want the master's UNAVAILABLE saying it is stopping", err)
	}
}

func currentUser(t testing.TB) string {
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	return u.Username
}

func TestDiscoveryAndConfiguration(t *testing.T) {
	conn := startMaster(t, map[string]string{"alluxio.user.block.size.bytes.default": "32MB"})
	ctx := context.Background()
	v, err := alluxiopb.NewServiceVersionClientServiceClient(conn).GetServiceVersion(ctx, &alluxiopb.GetServiceVersionPRequest{
		ServiceType: alluxiopb.ServiceType_META_MASTER_CLIENT_SERVICE.Enum(),
	})
	if err != nil || v.GetVersion() != 2 {
		t.Fatalf("meta master client service version = %v, %v; want 2", v, err)
	}
	_, err = alluxiopb.NewServiceVersionClientServiceClient(conn).GetServiceVersion(ctx, &alluxiopb.GetServiceVersionPRequest{
		ServiceType: alluxiopb.ServiceType_TABLE_MASTER_CLIENT_SERVICE.Enum(),
	})
	if status.Code(err) != codes.Unimplemented {
		t.Fatalf("table master service version: %v, want Unimplemented", err)
	}
	cfg, err := alluxiopb.NewMetaMasterConfigurationServiceClient(conn).GetConfiguration(ctx, &alluxiopb.GetConfigurationPOptions{RawValue: proto.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*alluxiopb.ConfigProperty{}
	for _, p := range cfg.ClusterConfigs {
		got[p.GetName()] = p
	}
	if got["alluxio.version"].GetValue() != "2.9.3" {
		t.Errorf("alluxio.version = %v, want 2.9.3", got["alluxio.version"])
	}
	if p := got["alluxio.user.block.size.bytes.default"]; p.GetValue() != "32MB" || p.GetSource() != string(conf.SourceCLI) {
		t.Errorf("block size property = %v, want 32MB from %s", p, conf.SourceCLI)
	}
	info, err := alluxiopb.NewMetaMasterClientServiceClient(conn).GetMasterInfo(ctx, &alluxiopb.GetMasterInfoPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if mi := info.GetMasterInfo(); mi.GetVersion() != master.Version || mi.GetRpcPort() == 0 || mi.GetLeaderMasterAddress() == "" {
		t.Fatalf("master info %v lacks Halo's version, the port or the leader", mi)
	}
	hash, err := alluxiopb.NewMetaMasterConfigurationServiceClient(conn).GetConfigHash(ctx, &alluxiopb.GetConfigHashPOptions{})
	if err != nil || hash.GetClusterConfigHash() != cfg.GetClusterConfigHash() || hash.GetClusterConfigHash() == "" {
		t.Fatalf("config hash %v, %v; want %q as GetConfiguration gave", hash, err, cfg.GetClusterConfigHash())
	}
}

func TestAuthenticationRefusals(t *testing.T) {
	conn := startMaster(t, nil)
	cases := map[string]*alluxiopb.SaslMessage{
		"no scheme": {MessageType: alluxiopb.SaslMessageType_CHALLENGE.Enum(), Message: []byte("\x00u\x00noPassword"), ClientId: proto.String("c1")},
		"custom": {MessageType: alluxiopb.SaslMessageType_CHALLENGE.Enum(), Message: []byte("\x00u\x00noPassword"), ClientId: proto.String("c2"),
			AuthenticationScheme: alluxiopb.ChannelAuthenticationScheme_CUSTOM.Enum()},
		"not plain": {MessageType: alluxiopb.SaslMessageType_CHALLENGE.Enum(), Message: []byte("u"), ClientId: proto.String("c3"),
			AuthenticationScheme: alluxiopb.ChannelAuthenticationScheme_SIMPLE.Enum()},
		"bad user": {MessageType: alluxiopb.SaslMessageType_CHALLENGE.Enum(), Message: []byte("\x00a/b\x00noPassword"), ClientId: proto.String("c4"),
			AuthenticationScheme: alluxiopb.ChannelAuthenticationScheme_SIMPLE.Enum()},
		"no client id": {MessageType: alluxiopb.SaslMessageType_CHALLENGE.Enum(), Message: []byte("\x00u\x00noPassword"),
			AuthenticationScheme: alluxiopb.ChannelAuthenticationScheme_SIMPLE.Enum()},
		"impersonation": {MessageType: alluxiopb.SaslMessageType_CHALLENGE.Enum(), Message: []byte("root\x00u\x00noPassword"), ClientId: proto.String("c5"),
			AuthenticationScheme: alluxiopb.ChannelAuthenticationScheme_SIMPLE.Enum()},
	}
	for name, msg := range cases {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			stream, err := alluxiopb.NewSaslAuthenticationServiceClient(conn).Authenticate(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := stream.Send(msg); err != nil {
				t.Fatal(err)
			}
			reply, err := stream.Recv()
			if err == nil {
				t.Fatalf("authentication answered %v, want a refusal", reply)
			}
			if c := status.Code(err); c == codes.OK || c == codes.Unknown || c == codes.Internal {
				t.Fatalf("refusal %v has no meaningful status", err)
			}
		})
	}
}

func TestChannelUserIsTheAuthenticatedOne(t *testing.T) {
	conn := startMaster(t, nil)
	fs := alluxiopb.NewFileSystemMasterClientServiceClient(conn)
	// A channel that never authenticated is told to: Alluxio's client then
	// authenticates again and retries.
	stranger := metadata.AppendToOutgoingContext(context.Background(), "channel-id", "unknown-channel")
	_, err := fs.CreateDirectory(stranger, &alluxiopb.CreateDirectoryPRequest{Path: proto.String("/x")})
	if status.Code(err) != codes.Unauthenticated {
		t.Fatalf("create on an unauthenticated channel: %v, want Unauthenticated", err)
	}
	// The master's user (the test's) owns "/" and opens it to everyone.
	owner := authenticate(t, conn, currentUser(t), "channel-0")
	_, err = fs.SetAttribute(owner, &alluxiopb.SetAttributePRequest{Path: proto.String("/"), Options: &alluxiopb.SetAttributePOptions{
		Mode: &alluxiopb.PMode{OwnerBits: alluxiopb.Bits_ALL.Enum(), GroupBits: alluxiopb.Bits_ALL.Enum(), OtherBits: alluxiopb.Bits_ALL.Enum()}}})
	if err != nil {
		t.Fatalf("chmod 777 /: %v", err)
	}
	alice := authenticate(t, conn, "alice", "channel-1")
	bob := authenticate(t, conn, "bob", "channel-2")
	for user, ctx := range map[string]context.Context{"alice": alice, "bob": bob} {
		_, err := fs.CreateDirectory(ctx, &alluxiopb.CreateDirectoryPRequest{Path: proto.String("/" + user),
			Options: &alluxiopb.CreateDirectoryPOptions{Mode: &alluxiopb.PMode{
				OwnerBits: alluxiopb.Bits_ALL.Enum(), GroupBits: alluxiopb.Bits_READ_EXECUTE.Enum(), OtherBits: alluxiopb.Bits_NONE.Enum()}}})
		if err != nil {
			t.Fatalf("create /%s as %s: %v", user, user, err)
		}
	}
	for _, user := range []string{"alice", "bob"} {
		st, err := fs.GetStatus(alice, &alluxiopb.GetStatusPRequest{Path: proto.String("/" + user)})
		if err != nil {
			t.Fatal(err)
		}
		if st.GetFileInfo().GetOwner() != user || st.GetFileInfo().GetMode() != 0o750 || !st.GetFileInfo().GetFolder() {
			t.Fatalf("/%s is %v; want a folder of %s with mode 0750", user, st.GetFileInfo(), user)
		}
	}
	// bob may not create inside alice's 0750 folder.
	_, err = fs.CreateFile(bob, &alluxiopb.CreateFilePRequest{Path: proto.String("/alice/f")})
	if status.Code(err) != codes.PermissionDenied {
		t.Fatalf("bob creating in /alice: %v, want PermissionDenied", err)
	}
}

// TestTTLIsSetClearedAndKept: Alluxio's setTtl sends a ttl, unsetTtl sends
// -1, and chmod sends none, which must leave the TTL alone.
func TestTTLIsSetClearedAndKept(t *testing.T) {
	conn := startMaster(t, nil)
	ctx := authenticate(t, conn, currentUser(t), "channel-ttl")
	fs := alluxiopb.NewFileSystemMasterClientServiceClient(conn)
	if _, err := fs.CreateFile(ctx, &alluxiopb.CreateFilePRequest{Path: proto.String("/f")}); err != nil {
		t.Fatal(err)
	}
	set := func(o *alluxiopb.SetAttributePOptions) {
		t.Helper()
		if _, err := fs.SetAttribute(ctx, &alluxiopb.SetAttributePRequest{Path: proto.String("/f"), Options: o}); err != nil {
			t.Fatal(err)
		}
	}
	ttlNow := func() int64 {
		t.Helper()
		st, err := fs.GetStatus(ctx, &alluxiopb.GetStatusPRequest{Path: proto.String("/f")})
		if err != nil {
			t.Fatal(err)
		}
		return st.GetFileInfo().GetTtl()
	}
	set(&alluxiopb.SetAttributePOptions{CommonOptions: &alluxiopb.FileSystemMasterCommonPOptions{Ttl: proto.Int64(100000), TtlAction: alluxiopb.TtlAction_DELETE.Enum()}})
	if got := ttlNow(); got != 100000 {
		t.Fatalf("ttl after setTtl = %d, want 100000", got)
	}
	set(&alluxiopb.SetAttributePOptions{Mode: &alluxiopb.PMode{OwnerBits: alluxiopb.Bits_READ_WRITE.Enum(), GroupBits: alluxiopb.Bits_NONE.Enum(), OtherBits: alluxiopb.Bits_NONE.Enum()},
		CommonOptions: &alluxiopb.FileSystemMasterCommonPOptions{SyncIntervalMs: proto.Int64(-1)}})
	if got := ttlNow(); got != 100000 {
		t.Fatalf("ttl after chmod = %d, want it kept at 100000", got)
	}
	set(&alluxiopb.SetAttributePOptions{CommonOptions: &alluxiopb.FileSystemMasterCommonPOptions{Ttl: proto.Int64(-1)}})
	if got := ttlNow(); got != -1 {
		t.Fatalf("ttl after unsetTtl = %d, want -1 (none)", got)
	}
}

// TestHaloOnlyValuesAreNotPublished: a SECRET master does not publish its
// authentication type, which Alluxio's client cannot parse (it failed to
// start with a ClassCastException); it publishes SIMPLE as it is.
func TestHaloOnlyValuesAreNotPublished(t *testing.T) {
	published := func(conn *grpc.ClientConn) map[string]string {
		t.Helper()
		cfg, err := alluxiopb.NewMetaMasterConfigurationServiceClient(conn).GetConfiguration(context.Background(), &alluxiopb.GetConfigurationPOptions{})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, p := range cfg.ClusterConfigs {
			out[p.GetName()] = p.GetValue()
		}
		return out
	}
	secretFile := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secretFile, []byte("a test secret of more than sixteen bytes"), 0o600); err != nil {
		t.Fatal(err)
	}
	secret := startMaster(t, map[string]string{"alluxio.security.authentication.type": "SECRET", "halo.security.authentication.secret.file": secretFile},
		grpc.WithTransportCredentials(sharedsecret.NewCredentials(insecure.NewCredentials(), []byte("a test secret of more than sixteen bytes"))))
	if v, ok := published(secret)["alluxio.security.authentication.type"]; ok {
		t.Errorf("a SECRET master publishes alluxio.security.authentication.type=%q", v)
	}
	if v := published(startMaster(t, nil))["alluxio.security.authentication.type"]; v != "SIMPLE" {
		t.Errorf("a SIMPLE master publishes alluxio.security.authentication.type=%q, want SIMPLE", v)
	}
}
