package worker

import (
	"context"
	"testing"
	"time"

	"github.com/halo-fs/halo/proto/alluxiopb"
	"github.com/halo-fs/halo/worker/blockstore"
	"github.com/hashicorp/go-hclog"
)

// silentMaster takes calls and never answers them, as a master cut off by
// a partition that drops its packets: the caller learns nothing until its
// own deadline.
type silentMaster struct {
	alluxiopb.UnimplementedBlockMasterWorkerServiceServer
	alluxiopb.UnimplementedFileSystemMasterWorkerServiceServer
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
	w := &Worker{cfg: cfg, store: memStore(t, 1<<20), log: hclog.NewNullLogger(), identity: &Identity{ID: 1}}
	return linkTo(w, serveFakeMaster(t, silentMaster{}), "silent master")
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

// With the leader's commit in hand, a write waits for a standby that does
// not answer only briefly: one master cut off by a partition must not hold
// every write up for a call timeout (here an hour).
func TestBlockCommitDoesNotWaitForASilentStandby(t *testing.T) {
	w, leader := linkedWorker(memStore(t, 1<<20), serveFakeMaster(t, &freeingMaster{}), "leader")
	w.cfg.CallTimeout = time.Hour
	standby := linkTo(w, serveFakeMaster(t, silentMaster{}), "standby")
	w.links = map[string]*link{leader.addr: leader, standby.addr: standby}
	w.pinnedFilesAnswered(leader.addr)

	done := make(chan struct{})
	go func() {
		w.commitBlock(context.Background(), blockstore.BlockMeta{ID: 7, Length: 1, Location: blockstore.BlockLocation{Tier: "MEM"}})
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("a block commit still waits for a silent standby after 30 s although the leader has it")
	}
}
