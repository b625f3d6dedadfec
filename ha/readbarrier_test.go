package ha

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/halo-fs/halo/internal/poll"
)

// controlledVerify is a verify function whose rounds the test drives: each
// call announces itself on started and returns what the test sends on
// answers.
type controlledVerify struct {
	started chan int   // round number, 1-based
	answers chan error // one per round
	mu      sync.Mutex
	calls   int
}

func newControlledVerify() *controlledVerify {
	return &controlledVerify{started: make(chan int, 16), answers: make(chan error)}
}

func (v *controlledVerify) verify() error {
	v.mu.Lock()
	v.calls++
	n := v.calls
	v.mu.Unlock()
	v.started <- n
	return <-v.answers
}

func (v *controlledVerify) callCount() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.calls
}

func (v *controlledVerify) awaitRound(t *testing.T, want int) {
	t.Helper()
	select {
	case n := <-v.started:
		if n != want {
			t.Fatalf("verification round %d started, want round %d", n, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("verification round %d never started", want)
	}
}

func (b *ReadBarrier) waiters() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.waiting)
}

func (b *ReadBarrier) idle() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return !b.running
}

// startWaiters calls wait n times concurrently; each result arrives on the
// returned channel.
func startWaiters(ctx context.Context, b *ReadBarrier, n int) <-chan error {
	out := make(chan error, n)
	for i := 0; i < n; i++ {
		go func() { out <- b.Wait(ctx) }()
	}
	return out
}

func collect(t *testing.T, ch <-chan error, n int) []error {
	t.Helper()
	var out []error
	for i := 0; i < n; i++ {
		select {
		case err := <-ch:
			out = append(out, err)
		case <-time.After(10 * time.Second):
			t.Fatalf("only %d of %d waiters returned", i, n)
		}
	}
	return out
}

// TestReadBarrierLateArrivalsWaitForNextRound checks the linearizability
// rule: a reader that arrives while a round is in flight must not be
// answered by that round (it may have started before a newer leader's
// writes), only by the next one, which all such readers share.
func TestReadBarrierLateArrivalsWaitForNextRound(t *testing.T) {
	v := newControlledVerify()
	b := NewReadBarrier(v.verify)
	ctx := context.Background()

	first := startWaiters(ctx, b, 1)
	v.awaitRound(t, 1)

	const late = 20
	lateResults := startWaiters(ctx, b, late)
	poll.Until(t, 10*time.Second, "late waiters to queue", func() bool { return b.waiters() == late })

	errRound1 := errors.New("round 1")
	v.answers <- errRound1
	if got := collect(t, first, 1)[0]; got != errRound1 {
		t.Fatalf("first waiter got %v, want round 1's answer", got)
	}

	v.awaitRound(t, 2)
	errRound2 := errors.New("round 2")
	v.answers <- errRound2
	for i, err := range collect(t, lateResults, late) {
		if err != errRound2 {
			t.Errorf("late waiter %d got %v, want round 2's answer (%v)", i, err, errRound2)
		}
	}
	if n := v.callCount(); n != 2 {
		t.Errorf("verify ran %d times for 1+%d waiters, want 2", n, late)
	}
	poll.Until(t, 10*time.Second, "the barrier to go idle", b.idle)
}

// TestReadBarrierSharesOneRound: waiters queued together share one
// verification and all get its answer, a success as well as an error.
func TestReadBarrierSharesOneRound(t *testing.T) {
	for _, answer := range []error{nil, errors.New("lost leadership")} {
		t.Run(fmt.Sprint(answer), func(t *testing.T) {
			v := newControlledVerify()
			b := NewReadBarrier(v.verify)
			// Round 1 holds the runner so that the next waiters all queue.
			blocker := startWaiters(context.Background(), b, 1)
			v.awaitRound(t, 1)
			const n = 50
			results := startWaiters(context.Background(), b, n)
			poll.Until(t, 10*time.Second, "waiters to queue", func() bool { return b.waiters() == n })
			v.answers <- nil
			collect(t, blocker, 1)

			v.awaitRound(t, 2)
			v.answers <- answer
			for i, err := range collect(t, results, n) {
				if err != answer {
					t.Errorf("waiter %d got %v, want %v", i, err, answer)
				}
			}
			if c := v.callCount(); c != 2 {
				t.Errorf("verify ran %d times, want 2", c)
			}
		})
	}
}

// TestReadBarrierCancelledWaiterLeavesTheQueue: a waiter that gives up
// while queued behind a round in flight is taken out of the queue, so when
// that round ends no further round runs for it.
func TestReadBarrierCancelledWaiterLeavesTheQueue(t *testing.T) {
	v := newControlledVerify()
	b := NewReadBarrier(v.verify)
	first := startWaiters(context.Background(), b, 1)
	v.awaitRound(t, 1)
	ctx, cancel := context.WithCancel(context.Background())
	queued := startWaiters(ctx, b, 1)
	poll.Until(t, 10*time.Second, "the second waiter to queue", func() bool { return b.waiters() == 1 })
	cancel()
	if err := collect(t, queued, 1)[0]; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled waiter got %v, want context.Canceled", err)
	}
	if n := b.waiters(); n != 0 {
		t.Fatalf("%d waiters queued after the only queued one gave up", n)
	}
	v.answers <- nil
	if err := collect(t, first, 1)[0]; err != nil {
		t.Fatalf("first waiter got %v, want nil", err)
	}
	poll.Until(t, 10*time.Second, "the barrier to go idle", b.idle)
	if n := v.callCount(); n != 1 {
		t.Errorf("%d verification rounds ran, want 1", n)
	}
}

// TestReadBarrierContextCancel: a waiter whose context ends returns the
// context's error at once; the round it left goes on, answers the others,
// and the barrier serves later waiters.
func TestReadBarrierContextCancel(t *testing.T) {
	v := newControlledVerify()
	b := NewReadBarrier(v.verify)

	ctx, cancel := context.WithCancel(context.Background())
	cancelled := startWaiters(ctx, b, 1)
	other := startWaiters(context.Background(), b, 1)
	v.awaitRound(t, 1)
	poll.Until(t, 10*time.Second, "both waiters to be taken into round 1 or queued", func() bool {
		return b.waiters() <= 1
	})
	cancel()
	if err := collect(t, cancelled, 1)[0]; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled waiter got %v, want context.Canceled", err)
	}

	// The other waiter is in round 1 or queued for round 2; answer until it
	// returns.
	v.answers <- nil
	select {
	case err := <-other:
		if err != nil {
			t.Fatalf("other waiter got %v, want nil", err)
		}
	case n := <-v.started:
		if n != 2 {
			t.Fatalf("round %d started, want 2", n)
		}
		v.answers <- nil
		if err := collect(t, other, 1)[0]; err != nil {
			t.Fatalf("other waiter got %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the other waiter never returned")
	}
	poll.Until(t, 10*time.Second, "the barrier to go idle", b.idle)

	// An already-cancelled context returns at once and starts no round.
	done, cancelDone := context.WithCancel(context.Background())
	cancelDone()
	before := v.callCount()
	if err := b.Wait(done); !errors.Is(err, context.Canceled) {
		t.Fatalf("wait with a cancelled context: %v, want context.Canceled", err)
	}
	if n := v.callCount(); n != before || !b.idle() {
		t.Fatalf("a cancelled wait started a round: %d rounds, was %d; idle %v", n, before, b.idle())
	}

	// The barrier still works afterwards.
	later := startWaiters(context.Background(), b, 1)
	v.awaitRound(t, before+1)
	v.answers <- nil
	if err := collect(t, later, 1)[0]; err != nil {
		t.Fatalf("wait after cancellations: %v", err)
	}
}
