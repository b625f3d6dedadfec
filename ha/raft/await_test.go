package raft

import (
	"errors"
	"testing"
	"time"

	hraft "github.com/hashicorp/raft"
)

// unanswered is a future Raft never answers, as happens to one whose entry
// was queued for the FSM when Raft shut down.
type unanswered struct{}

func (unanswered) Error() error { select {} }

// A CI run hung ten minutes in Close: a new leader's Barrier was never
// answered because Raft shut down first, and Close waits for the goroutine
// that runs it. Closing must release whoever waits on such a future.
func TestAwaitReturnsWhenTheReplicatorCloses(t *testing.T) {
	r := &Replicator{stop: make(chan struct{})}
	done := make(chan error, 1)
	go func() { done <- r.await(unanswered{}) }()
	close(r.stop)
	select {
	case err := <-done:
		if !errors.Is(err, hraft.ErrRaftShutdown) {
			t.Fatalf("await after close: %v, want ErrRaftShutdown", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("await still waits on an unanswered future a minute after the replicator closed")
	}
}
