package ha

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/proto/journalpb"
)

func entry() *journalpb.Entry {
	return &journalpb.Entry{Payload: &journalpb.Entry_CreateDirectory{CreateDirectory: &journalpb.CreateDirectoryEntry{Path: "/d"}}}
}

// A proposer that already gave up, or a master that is stopping, gets a
// definite refusal: the entry never reaches the queue, so no loop can
// journal it after the caller was told it failed.
func TestGroupCommitRefusesBeforeQueueing(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	stopped := make(chan struct{})
	close(stopped)
	for _, tc := range []struct {
		name  string
		ctx   context.Context
		queue *GroupCommit
	}{
		{"cancelled caller", cancelled, NewGroupCommit(0, make(chan struct{}), make(chan struct{}))},
		{"stopping master", context.Background(), NewGroupCommit(0, stopped, make(chan struct{}))},
		{"exited loop", context.Background(), NewGroupCommit(0, make(chan struct{}), stopped)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.queue.Propose(tc.ctx, entry())
			var fe *fserr.Error
			if !errors.As(err, &fe) || fe.Code != fserr.Unavailable {
				t.Fatalf("Propose = %v, want an Unavailable refusal", err)
			}
			if n := tc.queue.Queued(); n != 0 {
				t.Fatalf("%d proposals queued, want none", n)
			}
		})
	}
}

func TestGroupCommitRefusesOversizedEntryAlone(t *testing.T) {
	const limit = 64
	big := entry()
	big.GetCreateDirectory().Path = "/" + strings.Repeat("a", limit)
	q := NewGroupCommit(limit, make(chan struct{}), make(chan struct{}))
	_, err := q.Propose(context.Background(), big)
	var fe *fserr.Error
	if !errors.As(err, &fe) || fe.Code != fserr.ResourceExhausted {
		t.Fatalf("Propose = %v, want ResourceExhausted", err)
	}
	if n := q.Queued(); n != 0 {
		t.Fatalf("%d proposals queued, want none", n)
	}
}
