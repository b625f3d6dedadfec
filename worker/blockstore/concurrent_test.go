package blockstore

import (
	"errors"
	"fmt"
	"sync"
	"testing"
)

// Writers, readers, removals and moves at once over small tiers that keep
// evicting: every error is one the API names, every block left reads back
// whole, and the space figures match the blocks left.
func TestConcurrentUseKeepsBlocksWholeAndSpaceExact(t *testing.T) {
	cfg := newConfig(t,
		testTier{TierMEM, []int64{4 * blockSize}},
		testTier{TierSSD, []int64{3 * blockSize, 3 * blockSize}},
		testTier{TierHDD, []int64{6 * blockSize}})
	cfg.Tiers[0].HighWatermark, cfg.Tiers[0].LowWatermark = 0.9, 0.5
	s := openStore(t, cfg)
	const workers, perWorker = 4, 40
	errs := make(chan error, workers*perWorker*3)
	expected := func(err error) bool {
		return err == nil || errors.Is(err, ErrBlockNotFound) || errors.Is(err, ErrBlockExists) ||
			errors.Is(err, ErrNoSpace) || errors.Is(err, ErrBlockBusy)
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				id := int64(i % 25)
				size := blockSize/2 + int(id)*1000
				switch (w + i) % 4 {
				case 0, 1:
					if b, err := s.CreateBlock(int64(w), id, "", 0); err == nil {
						if _, err := b.Write(blockData(id, size)); err != nil {
							errs <- err
							b.Abort()
							continue
						}
						if _, err := b.Commit(); err != nil {
							errs <- err
						}
					} else {
						errs <- err
					}
				case 2:
					if data, err := readBlock(s, id); err != nil {
						errs <- err
					} else if string(data) != string(blockData(id, size)) {
						errs <- fmt.Errorf("block %d read back wrong", id)
					}
				case 3:
					if i%2 == 0 {
						errs <- s.RemoveBlock(id)
					} else {
						errs <- s.MoveBlock(id, []string{TierMEM, TierSSD, TierHDD}[i%3])
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if !expected(err) {
			t.Errorf("unexpected error: %v", err)
		}
	}
	s.evictMu.Lock() // wait out a background eviction
	defer s.evictMu.Unlock()
	var stored int64
	for _, tier := range s.Report().Tiers {
		for _, ids := range tier.Blocks {
			for _, id := range ids {
				size := blockSize/2 + int(id)*1000
				checkBlock(t, s, id, size)
				stored += int64(size)
			}
		}
	}
	var used int64
	for _, tier := range s.Usage() {
		used += tier.Used
	}
	if used != stored {
		t.Errorf("used %d bytes, the blocks hold %d", used, stored)
	}
}

// A session cleanup that runs while one of the session's blocks is still
// being created must leave that block alone, not abort a block that has
// no file yet.
func TestCleanupSessionDuringCreateBlock(t *testing.T) {
	s := openStore(t, newConfig(t, testTier{TierMEM, []int64{1 << 20}}))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 2000 {
			s.CleanupSession(1)
		}
	}()
	for id := int64(0); id < 2000; id++ {
		b, err := s.CreateBlock(1, id, "", 10)
		if err != nil {
			t.Fatal(err)
		}
		b.Abort()
	}
	<-done
}
