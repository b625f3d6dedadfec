package master

import (
	"context"
	"testing"
	"time"

	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/ha"
	"github.com/halo-fs/halo/master/web"
	"github.com/halo-fs/halo/proto/journalpb"
)

// silentStandby is a standby whose leader never comes back: asked to
// wait for a live leader, it waits as long as it is let.
type silentStandby struct{}

func (silentStandby) Propose(context.Context, *journalpb.Entry) (fsm.Result, error) {
	return fsm.Result{}, nil
}
func (silentStandby) VerifyRead(context.Context) error { return nil }
func (silentStandby) Checkpoint(context.Context) (ha.CheckpointInfo, error) {
	return ha.CheckpointInfo{}, nil
}
func (silentStandby) Status() ha.Status                   { return ha.Status{} }
func (silentStandby) Close() error                        { return nil }
func (silentStandby) AwaitLiveLeader(ctx context.Context) { <-ctx.Done() }

// A stopping master releases the calls waiting for an election: its
// graceful stop waits for every call in flight, so a held call kept a
// leader that had just handed over alive for the whole wait, and clients
// still connected to it waited with it.
func TestStoppingReleasesCallsWaitingForALeader(t *testing.T) {
	m := New(Config{Hostname: "127.0.0.1", WebPort: -1}, fsm.New(fsm.DefaultConfig()),
		func(*web.Metrics) ha.Replicator { return silentStandby{} })
	answered := make(chan bool, 1)
	go func() {
		leading, _ := m.LeadingOnceSettled(context.Background())
		answered <- leading
	}()
	if err := m.Stop(); err != nil {
		t.Fatal(err)
	}
	select {
	case leading := <-answered:
		if leading {
			t.Error("a stopped standby answered that it leads")
		}
	case <-time.After(time.Minute):
		t.Fatal("a call waiting for a leader was still held a minute after the master stopped")
	}
}
