package ha

import (
	"context"
	"slices"
	"sync"
)

// ReadBarrier batches leadership confirmations: every reader waits for a
// confirmation round that started after it arrived (one that was already
// under way could predate a newer leader's writes), and all readers that
// arrived during one round share the next.
type ReadBarrier struct {
	verify func() error

	mu      sync.Mutex
	waiting []chan error
	running bool
}

// NewReadBarrier runs verify for each confirmation round; its error is
// every waiting reader's answer.
func NewReadBarrier(verify func() error) *ReadBarrier {
	return &ReadBarrier{verify: verify}
}

// Wait returns the answer of a confirmation round that started after the
// call, or ctx's error when the caller gives up first.
func (b *ReadBarrier) Wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ch := make(chan error, 1)
	b.mu.Lock()
	b.waiting = append(b.waiting, ch)
	if !b.running {
		b.running = true
		go b.run()
	}
	b.mu.Unlock()
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		// A reader that gives up before its round starts leaves the
		// queue, so no confirmation round is run for nobody.
		b.mu.Lock()
		if i := slices.Index(b.waiting, ch); i >= 0 {
			b.waiting = slices.Delete(b.waiting, i, i+1)
		}
		b.mu.Unlock()
		return ctx.Err()
	}
}

func (b *ReadBarrier) run() {
	for {
		b.mu.Lock()
		batch := b.waiting
		b.waiting = nil
		if len(batch) == 0 {
			b.running = false
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()
		err := b.verify()
		for _, ch := range batch {
			ch <- err
		}
	}
}
