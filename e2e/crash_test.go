package e2e

import (
	"context"
	"errors"
	"fmt"
	"os/user"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/internal/testinfra/masters"
)

func currentUser(t *testing.T) string {
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	return u.Username
}

func newClient(t *testing.T, addrs []string, maxRetry time.Duration) *client.Client {
	t.Helper()
	c, err := client.New(client.Options{
		Addresses:        addrs,
		User:             currentUser(t),
		RetryBaseSleep:   20 * time.Millisecond,
		RetryMaxSleep:    200 * time.Millisecond,
		RetryMaxDuration: maxRetry,
		AttemptTimeout:   5 * time.Second,
		Secret:           masters.Secret(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestKillMasterMidStreamLosesNoAcknowledgedCreate runs a real master, has
// 16 concurrent clients create files, kills the master with SIGKILL while
// they are at it, restarts it, and checks that every acknowledged create is
// there and that nothing else changed: the only other files are creates
// whose outcome the clients could not know.
func TestKillMasterMidStreamLosesNoAcknowledgedCreate(t *testing.T) {
	m := masters.NewMaster(t, "m1", "127.0.0.1")
	m.Format()
	m.Start()
	m.WaitReady(30 * time.Second)

	ctx := context.Background()
	setup := newClient(t, []string{m.RPCAddress()}, 10*time.Second)
	if _, err := setup.CreateDirectory(ctx, "/before", client.CreateDirectoryOptions{}); err != nil {
		t.Fatalf("create /before: %v", err)
	}
	if _, err := setup.CreateFile(ctx, "/before/keep", client.CreateFileOptions{Completed: true}); err != nil {
		t.Fatalf("create /before/keep: %v", err)
	}

	const writers = 16
	const killAfter = 1500 // acknowledged creates before the kill
	var (
		mu      sync.Mutex
		acked   = map[string]bool{}
		unknown = map[string]bool{}
		total   atomic.Int64
		killed  = make(chan struct{})
		wg      sync.WaitGroup
	)
	runCtx, stop := context.WithTimeout(ctx, 2*time.Minute)
	defer stop()
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			// A short retry budget: once the master is gone the writers
			// give up and report the outcome they know.
			c := newClient(t, []string{m.RPCAddress()}, 300*time.Millisecond)
			for i := 0; i < 100000; i++ {
				p := fmt.Sprintf("/w%02d/f%06d", w, i)
				_, err := c.CreateFile(runCtx, p, client.CreateFileOptions{Recursive: true, Completed: true})
				mu.Lock()
				switch {
				case err == nil:
					acked[p] = true
				case fserr.CodeOf(err) == fserr.OutcomeUnknown || fserr.CodeOf(err) == fserr.Unavailable:
					// Unavailable after the request may have been sent is
					// also not a definite failure: the create may be in
					// the journal.
					unknown[p] = true
				default:
					mu.Unlock()
					t.Errorf("create %s: unexpected error %v", p, err)
					return
				}
				mu.Unlock()
				if err == nil && total.Add(1) == killAfter {
					m.Kill()
					close(killed)
				}
				select {
				case <-killed:
					if err != nil {
						return
					}
				default:
				}
			}
		}(w)
	}
	select {
	case <-killed:
	case <-runCtx.Done():
		t.Fatalf("writers did not reach %d acknowledged creates", killAfter)
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	t.Logf("killed the master after %d acknowledged creates; %d with unknown outcome", len(acked), len(unknown))

	m.Start()
	m.WaitReady(60 * time.Second)
	check := newClient(t, []string{m.RPCAddress()}, 20*time.Second)
	infos, err := check.ListStatus(ctx, "/", true)
	if err != nil {
		t.Fatalf("list after restart: %v", err)
	}
	present := map[string]bool{}
	for _, fi := range infos {
		if !fi.IsDirectory {
			present[fi.Path] = true
		}
	}
	var lost, unexpected []string
	for p := range acked {
		if !present[p] {
			lost = append(lost, p)
		}
	}
	for p := range present {
		if !acked[p] && !unknown[p] && p != "/before/keep" {
			unexpected = append(unexpected, p)
		}
	}
	sort.Strings(lost)
	sort.Strings(unexpected)
	if len(lost) > 0 {
		t.Errorf("%d acknowledged creates lost after kill -9, e.g. %v", len(lost), lost[:min(5, len(lost))])
	}
	if len(unexpected) > 0 {
		t.Errorf("%d files present that no client created, e.g. %v", len(unexpected), unexpected[:min(5, len(unexpected))])
	}
	if !present["/before/keep"] {
		t.Errorf("/before/keep, created before the writers started, is gone")
	}
	// A create retried with a new operation id on an acknowledged path must
	// now fail with AlreadyExists: the namespace really holds it.
	for p := range acked {
		_, err := check.CreateFile(ctx, p, client.CreateFileOptions{Completed: true})
		if !errors.Is(err, fserr.ErrAlreadyExists) {
			t.Errorf("create of acknowledged %s after restart: got %v, want AlreadyExists", p, err)
		}
		break
	}
}

func errorAs(err error, target any) bool { return errors.As(err, target) }
