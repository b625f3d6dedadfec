package client_test

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/conf"
	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/internal/testinfra/masters"
	"github.com/halo-fs/halo/proto/alluxiopb"
	"github.com/halo-fs/halo/proto/halopb"
)

// Tests of the client against real masters in the test's process: Raft
// clusters of three, SECRET authentication (the harness's default), the
// client speaking Alluxio's services.

func startCluster(t *testing.T) (*masters.Cluster, *masters.Master) {
	t.Helper()
	c := masters.NewRaftInProcess(t, 3, nil)
	c.StartAll()
	return c, c.Leader(60 * time.Second)
}

func newClient(t *testing.T, addrs []string, dial ...grpc.DialOption) *client.Client {
	t.Helper()
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(client.Options{
		Addresses:        addrs,
		User:             u.Username,
		Authentication:   client.AuthSecret,
		Secret:           masters.Secret(),
		RetryBaseSleep:   10 * time.Millisecond,
		RetryMaxSleep:    200 * time.Millisecond,
		RetryMaxDuration: time.Minute,
		DialOptions:      dial,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestLeaderDiscoveryAsksEachRPCAddress(t *testing.T) {
	cluster, leader := startCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// Standbys first: each answers the version probe UNAVAILABLE.
	var addrs []string
	for _, m := range cluster.Others(leader) {
		addrs = append(addrs, m.RPCAddress())
	}
	addrs = append(addrs, leader.RPCAddress())
	c := newClient(t, addrs)
	got, err := c.Leader(ctx)
	if err != nil || got != leader.RPCAddress() {
		t.Fatalf("Leader = %q, %v; want %s", got, err, leader.RPCAddress())
	}
	if _, err := c.CreateFile(ctx, "/found", client.CreateFileOptions{Completed: true}); err != nil {
		t.Fatalf("CreateFile through the found leader: %v", err)
	}
	info, err := c.GetStatus(ctx, "/found")
	if err != nil || !info.GetCompleted() || info.GetIsDirectory() {
		t.Fatalf("GetStatus(/found) = %v, %v; want a completed file", info, err)
	}
	for path, want := range map[string]bool{"/found": true, "/missing": false} {
		if got, err := c.Exists(ctx, path); err != nil || got != want {
			t.Errorf("Exists(%s) = %v, %v; want %v", path, got, err, want)
		}
	}
	if err := c.FreeBlocks(ctx, "/found", false); err != nil {
		t.Errorf("FreeBlocks(/found): %v", err)
	}
}

// TestStandbyRefusesTheProbeNamingThePrimary: a standby answers the
// version probe UNAVAILABLE, as Alluxio's client expects, and names the
// primary, which the client then uses.
func TestStandbyRefusesTheProbeNamingThePrimary(t *testing.T) {
	cluster, leader := startCluster(t)
	standby := cluster.Others(leader)[0]
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := grpc.NewClient(standby.RPCAddress(), grpc.WithTransportCredentials(masters.Credentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, err = alluxiopb.NewServiceVersionClientServiceClient(conn).GetServiceVersion(ctx,
		&alluxiopb.GetServiceVersionPRequest{ServiceType: alluxiopb.ServiceType_META_MASTER_CLIENT_SERVICE.Enum()})
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("a standby's version probe answered %v, want UNAVAILABLE", err)
	}
	c := newClient(t, []string{standby.RPCAddress()})
	if got, err := c.Leader(ctx); err != nil || got != leader.RPCAddress() {
		t.Fatalf("Leader with only the standby configured = %q, %v; want the primary it names, %s", got, err, leader.RPCAddress())
	}
	// The Halo service answers on a standby: report tables ask each master.
	info, err := c.MasterInfoFrom(ctx, standby.RPCAddress())
	if err != nil || info.GetState() != "STANDBY" {
		t.Fatalf("MasterInfoFrom(standby) = %v, %v; want its STANDBY report", info, err)
	}
}

// dropFirstReply loses the answer of the first call of method after the
// master made it, as a connection broken by a failover does.
func dropFirstReply(method string) grpc.DialOption {
	dropped := false
	return grpc.WithChainUnaryInterceptor(func(ctx context.Context, m string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		err := invoker(ctx, m, req, reply, cc, opts...)
		if m == method && !dropped && err == nil {
			dropped = true
			return status.Error(codes.Unavailable, "connection reset by peer")
		}
		return err
	})
}

func TestRetriedCreateAfterLostReplyAnswersTheFirstResult(t *testing.T) {
	cluster, _ := startCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := newClient(t, cluster.RPCAddresses(), dropFirstReply("/alluxio.grpc.file.FileSystemMasterClientService/CreateFile"))
	info, err := c.CreateFile(ctx, "/once", client.CreateFileOptions{BlockSizeBytes: 4242})
	if err != nil {
		t.Fatalf("CreateFile retried after its reply was lost: %v, want the first result", err)
	}
	if info.GetPath() != "/once" || info.GetBlockSizeBytes() != 4242 {
		t.Fatalf("CreateFile answered %v, want /once with block size 4242", info)
	}
	// Other operations of the same client are not mistaken for it.
	if _, err := c.CreateFile(ctx, "/twice", client.CreateFileOptions{}); err != nil {
		t.Fatalf("the client's next create: %v", err)
	}
	if _, err := c.CreateFile(ctx, "/once", client.CreateFileOptions{}); fserr.CodeOf(err) != fserr.AlreadyExists {
		t.Fatalf("a new create of /once: %v, want AlreadyExists", err)
	}
	if _, err := c.GetStatus(ctx, "/twice"); err != nil {
		t.Fatalf("GetStatus(/twice): %v", err)
	}
}

func TestMkdirAnswersTheDirectoryID(t *testing.T) {
	cluster, _ := startCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := newClient(t, cluster.RPCAddresses())
	id, err := c.CreateDirectory(ctx, "/d", client.CreateDirectoryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.GetStatus(ctx, "/d")
	if err != nil || info.GetId() != id || id == 0 {
		t.Fatalf("CreateDirectory answered id %d; GetStatus says %v, %v", id, info, err)
	}
}

func TestListStatusPagesThroughPartialListings(t *testing.T) {
	cluster, _ := startCluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := newClient(t, cluster.RPCAddresses())
	const files = 25
	for i := range files {
		if _, err := c.CreateFile(ctx, fmt.Sprintf("/p/sub/f%02d", i), client.CreateFileOptions{Recursive: true}); err != nil {
			t.Fatal(err)
		}
	}
	small, err := client.New(client.Options{
		Addresses: cluster.RPCAddresses(), User: "halo", Secret: masters.Secret(), ListBatchSize: 4,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer small.Close()
	var pages []int
	var paths []string
	err = small.ListStatusPages(ctx, "/p", true, func(page []*halopb.FileInfo) error {
		pages = append(pages, len(page))
		for _, fi := range page {
			paths = append(paths, fi.GetPath())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/p/sub"}
	for i := range files {
		want = append(want, fmt.Sprintf("/p/sub/f%02d", i))
	}
	if fmt.Sprint(paths) != fmt.Sprint(want) {
		t.Fatalf("listed %v, want %v", paths, want)
	}
	if len(pages) != (len(want)+3)/4 {
		t.Fatalf("pages of %v, want batches of 4", pages)
	}
}

// TestLeaderDiscoveryFromEmbeddedJournalAddresses: a client configured
// with the embedded journal's addresses alone asks their hosts on the RPC
// port, as Alluxio's client does without alluxio.master.rpc.addresses.
func TestLeaderDiscoveryFromEmbeddedJournalAddresses(t *testing.T) {
	cluster := masters.New(t, masters.Config{
		Mode: masters.ModeRaft, Masters: 3, InProcess: true, SamePorts: true,
		Props: map[string]string{"halo.master.embedded.journal.timeout.multiplier": masters.TestRaftTimeoutMultiplier},
	})
	cluster.StartAll()
	leader := cluster.Leader(60 * time.Second)
	var journal []string
	for _, m := range cluster.Masters {
		journal = append(journal, m.RaftAddress())
	}
	confDir := t.TempDir()
	site := fmt.Sprintf("alluxio.master.journal.type=EMBEDDED\nalluxio.master.embedded.journal.addresses=%s\nalluxio.master.rpc.port=%d\n",
		strings.Join(journal, ","), leader.RPCPort)
	if err := os.WriteFile(filepath.Join(confDir, "alluxio-site.properties"), []byte(site), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := conf.Load(conf.LoadOptions{ConfDir: confDir})
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, cfg.RPCAddresses)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if got, err := c.Leader(ctx); err != nil || got != leader.RPCAddress() {
		t.Fatalf("Leader from %v = %q, %v; want %s", cfg.RPCAddresses, got, err, leader.RPCAddress())
	}
}
