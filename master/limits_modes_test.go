package master_test

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/conf"
	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/fserr/rpcerr"
	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/ha"
	localmode "github.com/halo-fs/halo/ha/local"
	haraft "github.com/halo-fs/halo/ha/raft"
	"github.com/halo-fs/halo/ha/zookeeper/zktest"
	"github.com/halo-fs/halo/internal/poll"
	"github.com/halo-fs/halo/internal/ports"
	"github.com/halo-fs/halo/internal/sharedsecret"
	zkinfra "github.com/halo-fs/halo/internal/testinfra/zookeeper"
	"github.com/halo-fs/halo/journal"
	ufsjournal "github.com/halo-fs/halo/journal/ufs"
	"github.com/halo-fs/halo/master"
	"github.com/halo-fs/halo/master/alluxiorpc"
	"github.com/halo-fs/halo/master/identity"
	"github.com/halo-fs/halo/master/web"
	"github.com/halo-fs/halo/proto/alluxiopb"
	"github.com/halo-fs/halo/ufs/local"
	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/protobuf/proto"
)

// servedMaster is an in-process master of one HA mode and a client of it.
type servedMaster struct {
	m    *master.Master
	f    *fsm.FSM
	conn *grpc.ClientConn
	api  alluxiopb.FileSystemMasterClientServiceClient
}

// serveMaster starts a master around rep on loopback and dials it.
func serveMaster(t *testing.T, mode conf.HAMode, cfg master.Config, f *fsm.FSM, rep func(*web.Metrics) ha.Replicator) *servedMaster {
	t.Helper()
	cfg.Hostname, cfg.HAMode, cfg.WebPort, cfg.SuperUser = "127.0.0.1", mode, -1, "halo"
	// SECRET mode, so that "halo" is the superuser these tests act as.
	secret := []byte("the limits tests' shared secret")
	cfg.Authentication, cfg.Secret = identity.Secret, secret
	cfg.Logger = hclog.New(&hclog.LoggerOptions{Name: string(mode), Level: hclog.Warn})
	m := master.New(cfg, f, rep)
	m.Extend(alluxiorpc.Extension(m))
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Stop() })
	conn, err := grpc.NewClient(m.RPCAddr(), grpc.WithTransportCredentials(sharedsecret.NewCredentials(insecure.NewCredentials(), secret)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &servedMaster{m: m, f: f, conn: conn, api: alluxiopb.NewFileSystemMasterClientServiceClient(conn)}
}

func serveLocalMaster(t *testing.T, cfg master.Config) *servedMaster {
	t.Helper()
	dir := t.TempDir()
	if err := journal.Format(dir, "limits"); err != nil {
		t.Fatal(err)
	}
	j, err := journal.Open(journal.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	f := fsm.New(fsm.DefaultConfig())
	if _, err := localmode.RecoverFSM(j, f, hclog.NewNullLogger()); err != nil {
		t.Fatal(err)
	}
	return serveMaster(t, conf.HANone, cfg, f, func(metrics *web.Metrics) ha.Replicator {
		return localmode.New(localmode.Options{Journal: j, FSM: f, Metrics: metrics.Journal})
	})
}

func serveRaftMaster(t *testing.T, cfg master.Config) *servedMaster {
	t.Helper()
	port, err := ports.Free("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	f := fsm.New(fsm.DefaultConfig())
	r, err := haraft.New(haraft.Options{
		Dir: filepath.Join(t.TempDir(), "raft"), LocalAddress: addr, Peers: []string{addr},
		FSM: f, Timing: haraft.DefaultTiming().Scaled(2), ApplyTimeout: 20 * time.Second,
		Logger: hclog.New(&hclog.LoggerOptions{Name: "raft", Level: hclog.Warn}),
	})
	if err != nil {
		t.Fatal(err)
	}
	sm := serveMaster(t, conf.HARaft, cfg, f, func(*web.Metrics) ha.Replicator { return r })
	pollUntil(t, "the Raft master leads a named cluster", func() bool { return r.Status().Leader && f.ClusterID() != "" })
	return sm
}

func pollUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	poll.Until(t, 30*time.Second, what, cond)
}

func serveZooKeeperMaster(t *testing.T, cfg master.Config) *servedMaster {
	t.Helper()
	zk := zkinfra.Start(t, 1)
	folder := t.TempDir()
	store, err := local.New(folder)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := ufsjournal.Format(ctx, store, "limits"); err != nil {
		t.Fatal(err)
	}
	zm := zktest.Start(t, zk.Servers(), folder, "127.0.0.1:1")
	sm := serveMaster(t, conf.HAZooKeeper, cfg, zm.FSM, func(*web.Metrics) ha.Replicator { return zm.Rep })
	pollUntil(t, "the ZooKeeper master leads", func() bool { return zm.Rep.Status().Leader })
	return sm
}

// as is a context for calls as user over a channel authenticated as
// user, as a client makes them.
func (sm *servedMaster) as(t *testing.T, user string) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	ctx, end, err := client.AuthenticateChannel(ctx, sm.conn, user)
	if err != nil {
		t.Fatalf("authenticating a channel as %q: %v", user, err)
	}
	t.Cleanup(end)
	return ctx
}

// asHandler is ctx as the handler of a call from user over a connection
// that proved the secret sees it.
func (sm *servedMaster) asHandler(t *testing.T, ctx context.Context, user string) context.Context {
	t.Helper()
	end, err := sm.m.OpenChannel("handler-channel", user)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(end)
	ctx = peer.NewContext(ctx, &peer.Peer{AuthInfo: sharedsecret.AuthInfo{}})
	return metadata.NewIncomingContext(ctx, metadata.Pairs(identity.ChannelMetadataKey, "handler-channel"))
}

// oldRecordLimit is the journals' record limit, which was also the RPC
// receive limit: a request just under it became an entry just over it.
const oldRecordLimit = 64 << 20

// assertStillWrites checks that the master leads and takes a normal write.
func (sm *servedMaster) assertStillWrites(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	if _, err := sm.api.CreateDirectory(ctx, &alluxiopb.CreateDirectoryPRequest{Path: proto.String(path)}); err != nil {
		t.Fatalf("a normal write after the refused one: %v", rpcerr.FromGRPC(err))
	}
	if info := sm.m.Info(); info.State != "PRIMARY" {
		t.Fatalf("the master is %s after the refused request, want PRIMARY", info.State)
	}
}

// TestRegressionOversizedEntry: a request just under the RPC limit made
// an entry just over the journal's record limit. The local journal was
// then marked failed (every later write refused until restart), the
// ZooKeeper-mode leader stepped down, and Raft journaled it whatever its
// size (alluxio.master.embedded.journal.entry.size.max was ignored). Now
// both a request over the RPC limit and one whose entry is over the
// configured entry limit are refused before anything is journaled, and
// the master keeps leading and writing.
func TestRegressionOversizedEntry(t *testing.T) {
	for _, mode := range []struct {
		name  string
		serve func(*testing.T, master.Config) *servedMaster
	}{
		{"local", serveLocalMaster},
		{"raft", serveRaftMaster},
		{"zookeeper", serveZooKeeperMaster},
	} {
		t.Run(mode.name, func(t *testing.T) {
			const entryLimit = 64 << 10
			sm := mode.serve(t, master.Config{MaxEntryBytes: entryLimit})
			ctx := sm.as(t, "halo")
			if _, err := sm.api.CreateFile(ctx, &alluxiopb.CreateFilePRequest{Path: proto.String("/f")}); err != nil {
				t.Fatal(rpcerr.FromGRPC(err))
			}
			applied := sm.f.AppliedIndex()

			// Request: tag, 4-byte length, path. Entry: the same path plus
			// the caller, time and mode the leader adds.
			huge := "/" + strings.Repeat("x", oldRecordLimit-10)
			_, err := sm.api.CreateFile(ctx, &alluxiopb.CreateFilePRequest{Path: proto.String(huge)})
			wantRefusal(t, "a request just under the journal's record limit", err, fserr.ResourceExhausted, "larger than max")

			// 20,000 six-byte block ids: within the per-field limit, over
			// the entry limit. Alluxio's CompleteFile names no blocks
			// (workers commit them), so the operation is called as a
			// handler would.
			blocks := make([]uint64, 20_000)
			for i := range blocks {
				blocks[i] = 1<<40 + uint64(i)
			}
			err = sm.m.CompleteFile(sm.asHandler(t, context.Background(), "halo"), master.CompleteFileOptions{Path: "/f", BlockIDs: blocks})
			wantRefusal(t, "a request whose entry is over the entry limit", err, fserr.ResourceExhausted,
				fmt.Sprintf("limit of %d bytes (alluxio.master.embedded.journal.entry.size.max)", entryLimit))

			if got := sm.f.AppliedIndex(); got != applied {
				t.Fatalf("the refused requests moved the applied index from %d to %d: they were journaled", applied, got)
			}
			sm.assertStillWrites(t, ctx, "/after")
		})
	}
}

// TestRegressionHugeUserName: the caller's name (up to the 16 MiB metadata
// limit) became the owner of what it created, and was written into every
// checkpoint, snapshot and listing; SetAttribute took any owner or group.
// Names longer than 255 bytes are now refused before anything is
// journaled.
func TestRegressionHugeUserName(t *testing.T) {
	sm := serveLocalMaster(t, master.Config{})
	admin := sm.as(t, "halo")
	all := alluxiopb.Bits_ALL.Enum()
	open := &alluxiopb.CreateDirectoryPRequest{Path: proto.String("/open"), Options: &alluxiopb.CreateDirectoryPOptions{Mode: &alluxiopb.PMode{OwnerBits: all, GroupBits: all, OtherBits: all}}}
	if _, err := sm.api.CreateDirectory(admin, open); err != nil {
		t.Fatal(rpcerr.FromGRPC(err))
	}
	applied := sm.f.AppliedIndex()
	for _, size := range []int{256, 2 << 20} {
		name := strings.Repeat("u", size)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		_, _, err := client.AuthenticateChannel(ctx, sm.conn, name)
		cancel()
		if err == nil {
			t.Fatalf("a channel of a user with a %d-byte name was authenticated", size)
		}
		if size == 256 {
			wantRefusal(t, "a 256-byte user name", err, fserr.InvalidArgument, "255")
		}
	}
	for _, attr := range []*alluxiopb.SetAttributePOptions{
		{Owner: proto.String(strings.Repeat("o", 2<<20))},
		{Group: proto.String(strings.Repeat("g", 256))},
		{Owner: proto.String("bad:name")},
		{Group: proto.String("two words")},
	} {
		_, err := sm.api.SetAttribute(admin, &alluxiopb.SetAttributePRequest{Path: proto.String("/open"), Options: attr})
		wantRefusal(t, "SetAttribute owner "+trimmed(attr.GetOwner())+" group "+trimmed(attr.GetGroup()), err, fserr.InvalidArgument, "")
	}
	if got := sm.f.AppliedIndex(); got != applied {
		t.Fatalf("refused requests moved the applied index from %d to %d", applied, got)
	}
	sm.assertStillWrites(t, admin, "/after")
}

// trimmed shortens s for a test message.
func trimmed(s string) string {
	if len(s) > 20 {
		return s[:20] + "…"
	}
	return s
}

// wantRefusal fails unless err (from an RPC) has code and mentions want.
func wantRefusal(t *testing.T, what string, err error, code fserr.Code, want string) {
	t.Helper()
	err = rpcerr.FromGRPC(err)
	if got := fserr.CodeOf(err); got != code || !strings.Contains(fmt.Sprint(err), want) {
		t.Fatalf("%s: %v (code %v), want code %v mentioning %q", what, err, got, code, want)
	}
}
