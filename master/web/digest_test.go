package web

import (
	"sync"
	"testing"
	"time"

	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/ha/hatest"
)

// TestDigestWalksAreRateLimited: a new applied index does not start a new
// walk before the interval; a request during a walk gets the last digest
// at once instead of queueing another walk.
func TestDigestWalksAreRateLimited(t *testing.T) {
	f := fsm.New(fsm.DefaultConfig())
	s := New(Config{FSM: f, DigestInterval: time.Hour})
	mkdir := func(p string) {
		t.Helper()
		f.Apply(f.AppliedIndex()+1, hatest.MkdirEntry(p))
		if !hatest.Exists(f, p) {
			t.Fatalf("mkdir %s did not apply", p)
		}
	}
	mkdir("/one")
	first, err := s.CheckpointDigest()
	if err != nil || first.AppliedIndex != f.AppliedIndex() {
		t.Fatalf("first digest = %+v, %v; want index %d", first, err, f.AppliedIndex())
	}
	mkdir("/two")
	if again, _ := s.CheckpointDigest(); again != first {
		t.Errorf("digest within the interval = %+v, want the last one %+v (no new walk)", again, first)
	}

	d := s.digests
	var walks sync.WaitGroup
	entered, release := make(chan struct{}), make(chan struct{})
	d.mu.Lock()
	d.nextWalk = time.Time{}
	d.walk = func() (CheckpointDigest, error) {
		close(entered)
		<-release
		return d.walkNamespace()
	}
	d.mu.Unlock()
	walks.Add(1)
	go func() { defer walks.Done(); d.get() }()
	<-entered
	if during, _ := s.CheckpointDigest(); during != first {
		t.Errorf("digest during a walk = %+v, want the last one %+v at once", during, first)
	}
	close(release)
	walks.Wait()
	if after, _ := s.CheckpointDigest(); after.AppliedIndex != f.AppliedIndex() {
		t.Errorf("digest after the walk = %+v, want index %d", after, f.AppliedIndex())
	}
}
