package master

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/conf"
	"github.com/halo-fs/halo/ha"
	localmode "github.com/halo-fs/halo/ha/local"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/fserr/rpcerr"
	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/internal/sharedsecret"
	"github.com/halo-fs/halo/journal"
	"github.com/halo-fs/halo/master/identity"
	webport "github.com/halo-fs/halo/master/web"
	"github.com/halo-fs/halo/proto/alluxiopb"
	"github.com/halo-fs/halo/proto/halopb"
	"github.com/halo-fs/halo/proto/journalpb"
	"github.com/halo-fs/halo/ufs"
	"github.com/halo-fs/halo/ufs/local"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// startLocalMaster runs a single master (local journal) on 127.0.0.1 with
// free ports, in SECRET mode with testSecret (dial proves it), so that
// "halo" is its superuser; "alice" is in no special group.
func startLocalMaster(t *testing.T) (*Master, string) {
	t.Helper()
	return startLocalMasterWith(t, func(*Config) {})
}

// startLocalMasterWith is startLocalMaster with edit applied to the
// master's configuration.
func startLocalMasterWith(t testing.TB, edit func(*Config)) (*Master, string) {
	t.Helper()
	dir := formatJournal(t)
	j, err := journal.Open(journal.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	cfg := fsm.DefaultConfig()
	cfg.RootOwner, cfg.RootGroup, cfg.RootMode = "halo", "halo", 0o777
	f := fsm.New(cfg)
	log := testLogger(t, "master")
	if _, err := localmode.RecoverFSM(j, f, log); err != nil {
		t.Fatal(err)
	}
	registry := ufs.NewRegistry()
	registry.Register("file", local.Open)
	mcfg := Config{
		Hostname:        "127.0.0.1",
		RPCPort:         0,
		WebPort:         0,
		HAMode:          conf.HANone,
		MasterAddresses: []string{"127.0.0.1:19998"},
		JournalFolder:   dir,
		SuperUser:       "halo",
		SuperGroup:      "supergroup",
		UFS:             registry,
		Logger:          log,
		Authentication:  identity.Secret,
		Secret:          testSecret,
		Umask:           0o022,
		DigestInterval:  time.Nanosecond,
	}
	edit(&mcfg)
	m := New(mcfg, f, func(metrics *webport.Metrics) ha.Replicator {
		return localmode.New(localmode.Options{Journal: j, FSM: f, Logger: log, Metrics: metrics.Journal})
	})
	m.ids = identity.New(identity.Config{
		SuperUser: m.cfg.SuperUser, SuperGroup: m.cfg.SuperGroup, Authentication: m.cfg.Authentication, PermissionsDisabled: m.cfg.PermissionsDisabled,
		TrustAssertedSuperuser: m.cfg.TrustAssertedSuperuser,
		GroupLookup:            func(name string) []string { return map[string][]string{"halo": {"halo"}}[name] },
	})
	m.Extend(HaloAPI(m))
	m.Extend(AlluxioAPI(m))
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Stop() })
	return m, dir
}

// rpcAPI is the services a client calls on a master: Alluxio's and
// HaloService.
type rpcAPI struct {
	conn    *grpc.ClientConn
	fs      alluxiopb.FileSystemMasterClientServiceClient
	meta    alluxiopb.MetaMasterClientServiceClient
	journal alluxiopb.JournalMasterClientServiceClient
	halo    halopb.HaloServiceClient
}

// dial connects to a master started by startLocalMaster, proving testSecret.
func dial(t testing.TB, addr string) rpcAPI {
	t.Helper()
	return dialWith(t, addr, sharedsecret.NewCredentials(insecure.NewCredentials(), testSecret))
}

func dialWith(t testing.TB, addr string, creds credentials.TransportCredentials) rpcAPI {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return rpcAPIOf(conn)
}

func rpcAPIOf(conn *grpc.ClientConn) rpcAPI {
	return rpcAPI{
		conn:    conn,
		fs:      alluxiopb.NewFileSystemMasterClientServiceClient(conn),
		meta:    alluxiopb.NewMetaMasterClientServiceClient(conn),
		journal: alluxiopb.NewJournalMasterClientServiceClient(conn),
		halo:    halopb.NewHaloServiceClient(conn),
	}
}

// as is a context for calls on c as user: a channel authenticated as
// user, as Halo's client makes one per connection.
func (c rpcAPI) as(t testing.TB, user string) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	ctx, end, err := client.AuthenticateChannel(ctx, c.conn, user)
	if err != nil {
		t.Fatalf("authenticating a channel as %q: %v", user, err)
	}
	t.Cleanup(end)
	return ctx
}

// asCaller is ctx as the handler of a call from user, over a connection
// that proved the secret, sees it: the operations are called as handlers
// call them.
func asCaller(t testing.TB, m *Master, ctx context.Context, user string) context.Context {
	t.Helper()
	id := "test-channel-of-" + user
	end, err := m.OpenChannel(id, user)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(end)
	ctx = peer.NewContext(ctx, &peer.Peer{AuthInfo: sharedsecret.AuthInfo{}})
	return metadata.NewIncomingContext(ctx, metadata.Pairs(identity.ChannelMetadataKey, id))
}

// Requests of Alluxio's file system service, as the tests send them.

func mkdirRequest(path string, recursive bool) *alluxiopb.CreateDirectoryPRequest {
	return &alluxiopb.CreateDirectoryPRequest{Path: proto.String(path), Options: &alluxiopb.CreateDirectoryPOptions{Recursive: proto.Bool(recursive)}}
}

func createRequest(path string) *alluxiopb.CreateFilePRequest {
	return &alluxiopb.CreateFilePRequest{Path: proto.String(path)}
}

func deleteRequest(path string) *alluxiopb.DeletePRequest {
	return &alluxiopb.DeletePRequest{Path: proto.String(path)}
}

func statusRequest(path string) *alluxiopb.GetStatusPRequest {
	return &alluxiopb.GetStatusPRequest{Path: proto.String(path)}
}

func mountRequest(path, ufsURI string) *alluxiopb.MountPRequest {
	return &alluxiopb.MountPRequest{AlluxioPath: proto.String(path), UfsPath: proto.String(ufsURI)}
}

func list(t *testing.T, c rpcAPI, ctx context.Context, path string, recursive bool) ([]string, error) {
	t.Helper()
	stream, err := c.fs.ListStatus(ctx, &alluxiopb.ListStatusPRequest{Path: proto.String(path), Options: &alluxiopb.ListStatusPOptions{Recursive: proto.Bool(recursive)}})
	if err != nil {
		return nil, rpcerr.FromGRPC(err)
	}
	var names []string
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return names, nil
		}
		if err != nil {
			return nil, rpcerr.FromGRPC(err)
		}
		for _, fi := range resp.GetFileInfos() {
			names = append(names, fi.GetPath())
		}
	}
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	return signedGet(t, url, nil)
}

func TestMasterEndToEnd(t *testing.T) {
	m, dir := startLocalMaster(t)
	c := dial(t, m.RPCAddr())
	alice := c.as(t, "alice")

	if _, err := c.fs.CreateDirectory(alice, mkdirRequest("/home/alice", true)); err != nil {
		t.Fatalf("CreateDirectory: %v", err)
	}
	fi, err := c.fs.CreateFile(alice, createRequest("/home/alice/a.txt"))
	if err != nil {
		t.Fatalf("CreateFile: %v", err)
	}
	if fi.GetFileInfo().GetPath() != "/home/alice/a.txt" || fi.GetFileInfo().GetOwner() != "alice" || fi.GetFileInfo().GetMode() != 0o644 {
		t.Errorf("CreateFile returned %+v, want /home/alice/a.txt owned by alice with mode 0644", fi.GetFileInfo())
	}
	_, err = c.fs.CreateFile(alice, createRequest("/home/alice/a.txt"))
	wantCode(t, "creating an existing file", rpcerr.FromGRPC(err), fserr.AlreadyExists)
	if st, _ := status.FromError(err); st.Code() != codes.AlreadyExists {
		t.Errorf("gRPC status %v for AlreadyExists", st.Code())
	}

	if names, err := list(t, c, alice, "/", true); err != nil || !slices.Equal(names, []string{"/home", "/home/alice", "/home/alice/a.txt"}) {
		t.Fatalf("ListStatus / recursive = %v, %v", names, err)
	}
	if _, err := c.fs.Rename(alice, &alluxiopb.RenamePRequest{Path: proto.String("/home/alice/a.txt"), DstPath: proto.String("/home/alice/b.txt")}); err != nil {
		t.Fatalf("Rename: %v", err)
	}
	if names, err := list(t, c, alice, "/home/alice", false); err != nil || !slices.Equal(names, []string{"/home/alice/b.txt"}) {
		t.Fatalf("ListStatus after rename = %v, %v", names, err)
	}
	_, err = c.fs.GetStatus(alice, statusRequest("/home/alice/a.txt"))
	wantCode(t, "GetStatus of the old name", rpcerr.FromGRPC(err), fserr.NotFound)
	_, err = c.fs.Remove(alice, deleteRequest("/home/alice"))
	wantCode(t, "non-recursive delete of a full directory", rpcerr.FromGRPC(err), fserr.DirectoryNotEmpty)
	if _, err := c.fs.Remove(alice, deleteRequest("/home/alice/b.txt")); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if names, err := list(t, c, alice, "/home/alice", false); err != nil || len(names) != 0 {
		t.Fatalf("ListStatus after delete = %v, %v", names, err)
	}
	_, err = c.fs.CreateFile(c.as(t, "bob"), createRequest("/home/alice/bob.txt"))
	wantCode(t, "bob writing in alice's directory", rpcerr.FromGRPC(err), fserr.PermissionDenied)

	// Mutations so far: mkdir, create, rename, delete (the refused ones
	// are journaled too: they are decided by apply).
	info, err := c.halo.GetMasterInfo(context.Background(), &halopb.Empty{})
	if err != nil {
		t.Fatalf("GetMasterInfo: %v", err)
	}
	_, rpcPort, _ := net.SplitHostPort(m.RPCAddr())
	_, webPort, _ := net.SplitHostPort(m.WebAddr())
	if info.State != "PRIMARY" || info.LeaderAddress != m.RPCAddr() || info.JournalType != "LOCAL" || info.HaMode != "none" ||
		info.Version != Version || info.Hostname != "127.0.0.1" || info.ClusterId != "test-cluster" || info.JournalFolder != dir ||
		strconv.Itoa(int(info.RpcPort)) != rpcPort || strconv.Itoa(int(info.WebPort)) != webPort ||
		info.InodeCount != 3 || info.AppliedIndex != m.fsm.AppliedIndex() || info.AppliedIndex < 4 ||
		info.ZookeeperEnabled || !slices.Equal(info.MasterAddresses, []string{"127.0.0.1:19998"}) || info.StartTimeMs == 0 {
		t.Errorf("GetMasterInfo = %+v", info)
	}

	web := "http://" + m.WebAddr()
	code, body := httpGet(t, web+"/health/ready")
	var ready map[string]any
	if err := json.Unmarshal([]byte(body), &ready); err != nil || code != http.StatusOK || ready["role"] != "PRIMARY" || ready["ready"] != true || ready["journal_type"] != "LOCAL" {
		t.Errorf("/health/ready = %d %s", code, body)
	}
	if code, body := httpGet(t, web+"/health/live"); code != http.StatusOK || !strings.Contains(body, `"live":true`) {
		t.Errorf("/health/live = %d %s", code, body)
	}
	code, body = httpGet(t, web+"/metrics")
	for _, want := range []string{
		"halo_master_inodes 3",
		"halo_master_is_leader 1",
		`halo_master_rpc_total{code="OK",method="CreateFile"} 1`,
		`halo_master_rpc_total{code="AlreadyExists",method="CreateFile"} 1`,
		`halo_master_rpc_total{code="OK",method="ListStatus"} 3`,
		"halo_master_journal_batch_entries_count",
	} {
		if code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("/metrics (status %d) lacks %q", code, want)
		}
	}

	// The digest is the hash of the very bytes a checkpoint holds.
	var cpBytes bytes.Buffer
	hdr, err := m.fsm.WriteCheckpoint(&cpBytes)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(cpBytes.Bytes())
	code, body = signedGet(t, web+"/checkpoint/digest", testSecret)
	var digest webport.CheckpointDigest
	if err := json.Unmarshal([]byte(body), &digest); err != nil || code != http.StatusOK {
		t.Fatalf("/checkpoint/digest = %d %s (%v)", code, body, err)
	}
	if want := (webport.CheckpointDigest{AppliedIndex: hdr.AppliedIndex, InodeCount: 3, Bytes: int64(cpBytes.Len()), SHA256: hex.EncodeToString(sum[:])}); digest != want {
		t.Errorf("/checkpoint/digest = %+v; want %+v", digest, want)
	}
	// A mutation moves it on once the walk budget allows (the last digest
	// is kept only for its index, and answered until then).
	if _, err := c.fs.CreateDirectory(alice, mkdirRequest("/home/alice/digest", false)); err != nil {
		t.Fatal(err)
	}
	var after webport.CheckpointDigest
	waitFor(t, 10*time.Second, "a digest at the new index", func() bool {
		code, body = signedGet(t, web+"/checkpoint/digest", testSecret)
		after = webport.CheckpointDigest{}
		return json.Unmarshal([]byte(body), &after) == nil && code == http.StatusOK && after.AppliedIndex > digest.AppliedIndex
	})
	if after.SHA256 == digest.SHA256 || after.InodeCount != 4 {
		t.Errorf("/checkpoint/digest after a mkdir = %+v; was %+v", after, digest)
	}
	if _, err := c.fs.Remove(alice, deleteRequest("/home/alice/digest")); err != nil {
		t.Fatal(err)
	}

	// Checkpoints and quorum commands.
	_, err = c.meta.Checkpoint(alice, &alluxiopb.CheckpointPOptions{})
	wantCode(t, "checkpoint by alice", rpcerr.FromGRPC(err), fserr.PermissionDenied)
	cp, err := c.meta.Checkpoint(c.as(t, "halo"), &alluxiopb.CheckpointPOptions{})
	if err != nil || cp.GetMasterHostname() != "127.0.0.1" || m.Info().EntriesSinceCheckpoint != 0 {
		t.Errorf("Checkpoint by the superuser = %v, %v; %d entries since the last checkpoint", cp, err, m.Info().EntriesSinceCheckpoint)
	}
	own, err := c.halo.Checkpoint(c.as(t, "halo"), &halopb.Empty{})
	if err != nil || own.Index != m.fsm.AppliedIndex() || !strings.HasPrefix(own.Location, dir) {
		t.Errorf("HaloService Checkpoint by the superuser = %+v, %v", own, err)
	}
	_, err = c.halo.GetQuorumInfo(c.as(t, "halo"), &halopb.Empty{})
	wantCode(t, "quorum info on a single master", rpcerr.FromGRPC(err), fserr.FailedPrecondition)

	if err := m.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
}

// TestMasterRequiresUser: without the user metadata every namespace call is
// refused as PermissionDenied, carried as a gRPC status that FromGRPC maps
// back; GetMasterInfo needs no user (clients call it to find the leader).
func TestMasterRequiresUser(t *testing.T) {
	m, _ := startLocalMaster(t)
	c := dial(t, m.RPCAddr())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	check := func(what string, err error) {
		t.Helper()
		if st, ok := status.FromError(err); !ok || st.Code() != codes.PermissionDenied {
			t.Errorf("%s without a user: %v, want gRPC PermissionDenied", what, err)
		}
		typed := rpcerr.FromGRPC(err)
		if !errors.Is(typed, fserr.ErrPermissionDenied) || !strings.Contains(typed.Error(), identity.ChannelMetadataKey) {
			t.Errorf("%s without a user: FromGRPC gives %v (code %v), want PermissionDenied naming %q", what, typed, fserr.CodeOf(typed), identity.ChannelMetadataKey)
		}
	}
	_, err := c.fs.CreateDirectory(ctx, mkdirRequest("/x", false))
	check("CreateDirectory", err)
	_, err = c.fs.GetStatus(ctx, statusRequest("/"))
	check("GetStatus", err)
	_, err = c.fs.Remove(ctx, deleteRequest("/x"))
	check("Delete", err)
	_, err = c.meta.Checkpoint(ctx, &alluxiopb.CheckpointPOptions{})
	check("Checkpoint", err)
	stream, err := c.fs.ListStatus(ctx, &alluxiopb.ListStatusPRequest{Path: proto.String("/")})
	if err == nil {
		_, err = stream.Recv()
	}
	check("ListStatus", err)
	if m.fsm.AppliedIndex() != 0 {
		t.Errorf("refused requests journaled %d entries", m.fsm.AppliedIndex())
	}
	if _, err := c.halo.GetMasterInfo(ctx, &halopb.Empty{}); err != nil {
		t.Errorf("GetMasterInfo without a user: %v", err)
	}
}

// TestMasterMountAndLoadMetadata mounts a local folder and loads what it
// holds.
func TestMasterMountAndLoadMetadata(t *testing.T) {
	m, _ := startLocalMaster(t)
	c := dial(t, m.RPCAddr())
	ufsDir := t.TempDir()
	store, err := local.New(ufsDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"a/1.txt", "a/2.txt", "b.txt"} {
		if err := ufs.WriteFile(context.Background(), store, p, []byte(p), ufs.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	admin := c.as(t, "halo")
	if _, err := c.fs.Mount(admin, mountRequest("/mnt", "file://"+ufsDir)); err != nil {
		t.Fatalf("Mount: %v", err)
	}
	_, err = c.fs.Mount(admin, mountRequest("/again", "file://"+ufsDir))
	wantCode(t, "mounting the same folder twice", rpcerr.FromGRPC(err), fserr.InvalidArgument)
	_, err = c.fs.Mount(c.as(t, "alice"), mountRequest("/alice", "file://"+t.TempDir()))
	wantCode(t, "mount by alice", rpcerr.FromGRPC(err), fserr.PermissionDenied)
	mt, err := c.fs.GetMountTable(admin, &alluxiopb.GetMountTablePRequest{})
	if err != nil || len(mt.GetMountPoints()) != 1 || mt.GetMountPoints()["/mnt"] == nil {
		t.Fatalf("GetMountTable = %v, %v", mt, err)
	}
	lm, err := c.halo.LoadMetadata(admin, &halopb.LoadMetadataRequest{Path: "/mnt", Recursive: true})
	if err != nil || lm.Loaded != 4 {
		t.Fatalf("LoadMetadata = %v, %v; want 4 loaded", lm, err)
	}
	if names, err := list(t, c, admin, "/mnt", true); err != nil || !slices.Equal(names, []string{"/mnt/a", "/mnt/a/1.txt", "/mnt/a/2.txt", "/mnt/b.txt"}) {
		t.Errorf("ListStatus /mnt = %v, %v", names, err)
	}
}

// TestMountMissingFolder: mountEntry checks that the folder to mount
// exists. Mounting one that does not must fail with NotFound and leave the
// UFS as it was: a mistyped path must not create folders on the UFS.
func TestMountMissingFolder(t *testing.T) {
	m, _ := startLocalMaster(t)
	c := dial(t, m.RPCAddr())
	missing := filepath.Join(t.TempDir(), "no-such-folder")
	_, err := c.fs.Mount(c.as(t, "halo"), mountRequest("/mnt", "file://"+missing))
	if code := fserr.CodeOf(rpcerr.FromGRPC(err)); code != fserr.NotFound {
		t.Errorf("mounting the missing folder %s: %v (code %v), want NotFound", missing, err, code)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Errorf("mounting the missing folder %s created it", missing)
	}
}

// TestLoadMetadataWithoutUFSRegistry: a master whose namespace holds a
// mount (restored from a checkpoint or applied from the journal) but that
// has no UFS registry must refuse LoadMetadata with an error, as Mount
// does, not panic: gRPC does not recover handler panics, so the master
// process would die.
func TestLoadMetadataWithoutUFSRegistry(t *testing.T) {
	f := fsm.New(fsm.DefaultConfig())
	res := f.Apply(1, &journalpb.Entry{TimeMs: 1, Caller: testSuperuser, Payload: &journalpb.Entry_AddMountPoint{
		AddMountPoint: &journalpb.AddMountPointEntry{Path: "/mnt", UfsUri: "file:///tmp", Mode: 0o755, Owner: "root", Group: "root"},
	}})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	m := &Master{cfg: Config{}, fsm: f}
	defer func() {
		if p := recover(); p != nil {
			t.Errorf("BUG: loadMetadataEntry with Config.UFS == nil panics: %v", p)
		}
	}()
	if _, err := m.loadMetadataEntry(context.Background(), LoadMetadataOptions{Path: "/mnt"}); err == nil {
		t.Errorf("loadMetadataEntry without a UFS registry succeeded")
	}
}
