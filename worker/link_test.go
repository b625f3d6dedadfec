package worker

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/halo-fs/halo/proto/alluxiopb"
	"github.com/halo-fs/halo/worker/blockstore"
	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// silentMaster takes calls and never answers them, as a master cut off by
// a partition that drops its packets: the caller learns nothing until its
// own deadline.
type silentMaster struct {
	alluxiopb.UnimplementedBlockMasterWorkerServiceServer
}

func (silentMaster) BlockHeartbeat(ctx context.Context, _ *alluxiopb.BlockHeartbeatPRequest) (*alluxiopb.BlockHeartbeatPResponse, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func (silentMaster) CommitBlock(ctx context.Context, _ *alluxiopb.CommitBlockPRequest) (*alluxiopb.CommitBlockPResponse, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func linkToSilentMaster(t *testing.T, cfg Config) *link {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	alluxiopb.RegisterBlockMasterWorkerServiceServer(srv, silentMaster{})
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	store, err := blockstore.Open(blockstore.Config{Tiers: []blockstore.TierConfig{{
		Alias: "MEM", Dirs: []blockstore.DirConfig{{Path: t.TempDir(), Quota: 1 << 20}},
	}}}, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	w := &Worker{cfg: cfg, store: store, log: hclog.NewNullLogger(), identity: &Identity{ID: 1}}
	l := newLink(w, "silent master")
	l.conn, l.channel, l.registered = conn, "channel", true
	return l
}

// A master that stops answering holds a block commit (which every write
// waits for) and a heartbeat up for one call timeout, not for the
// heartbeat timeout, after which the worker gives up on every master: a
// partition of one master must not stop writes for as long as it lasts.
func TestCallsToASilentMasterEndAtTheCallTimeout(t *testing.T) {
	cfg := Config{CallTimeout: 100 * time.Millisecond, HeartbeatTimeout: time.Hour}
	calls := map[string]func(*link) error{
		"commit":    func(l *link) error { return l.commit(context.Background(), 1, 1, "MEM", 1) },
		"heartbeat": func(l *link) error { return l.heartbeat(context.Background()) },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			l := linkToSilentMaster(t, cfg)
			done := make(chan error, 1)
			go func() { done <- call(l) }()
			select {
			case err := <-done:
				if err == nil {
					t.Fatalf("the %s to a master that never answered succeeded", name)
				}
			case <-time.After(30 * time.Second):
				t.Fatalf("the %s to a master that never answers still waits after 30 s; the call timeout is %s", name, cfg.CallTimeout)
			}
		})
	}
}
