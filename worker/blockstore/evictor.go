package blockstore

// signalEvictor asks the evictor to check the watermarks, without waiting.
func (s *Store) signalEvictor() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// runEvictor brings tiers above their high watermark down to their low
// one, in the background so that the commit that filled a tier does not
// wait for the copies.
func (s *Store) runEvictor() {
	defer close(s.stopped)
	for {
		select {
		case <-s.stop:
			return
		case <-s.wake:
			s.enforceWatermarks()
		}
	}
}

// enforceWatermarks evicts from each tier in turn, top first, so blocks
// pushed into a tier are evicted further in the same pass when it
// overflows.
func (s *Store) enforceWatermarks() {
	s.evictMu.Lock()
	defer s.evictMu.Unlock()
	for tier := range s.tiers {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return
		}
		var used, capacity int64
		var dirs []*storageDir
		for _, d := range s.tiers[tier] {
			if !d.lost {
				used += d.used()
				capacity += d.capacity
				dirs = append(dirs, d)
			}
		}
		cfg := s.cfg.Tiers[tier]
		var victims []*blockEntry
		if float64(used) > cfg.HighWatermark*float64(capacity) {
			need := used - int64(cfg.LowWatermark*float64(capacity))
			victims, _ = s.victimsLocked(dirs, need, s.evictionOrderLocked())
			s.markMovingLocked(victims...)
		}
		s.mu.Unlock()
		s.evict(victims)
	}
}
