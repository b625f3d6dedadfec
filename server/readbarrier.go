package server

import (
	"context"
	"slices"
	"sync"
)

// readBarrier batches leadership confirmations: every reader waits for a
// confirmation round that started after it arrived (one that was already
// under way could predate a newer leader's writes), and all readers that
// arrived during one round share the next.
type readBarrier struct {
	verify func() error

	mu      sync.Mutex
	waiting []chan error
	running bool
}

func newReadBarrier(verify func() error) *readBarrier {
	return &readBarrier{verify: verify}
}

func (b *readBarrier) wait(ctx context.Context) error {
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

func (b *readBarrier) run() {
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
