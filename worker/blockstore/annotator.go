package blockstore

import "math"

// touchLocked records an access for the annotators on the store's logical
// clock, which only counts accesses: eviction order must not depend on
// how fast the machine is.
func (s *Store) touchLocked(e *blockEntry) {
	s.clock++
	e.crf = 1 + s.decayedCRF(e, s.clock)
	e.lastAccess = s.clock
}

// decayedCRF is LRFU's combined recency and frequency of e as seen at
// now: each past access counts (1/attenuation)^(step*age).
func (s *Store) decayedCRF(e *blockEntry, now uint64) float64 {
	if e.lastAccess == 0 {
		return 0
	}
	age := float64(now - e.lastAccess)
	return e.crf * math.Pow(1/s.cfg.LRFUAttenuationFactor, s.cfg.LRFUStepFactor*age)
}

// evictionOrderLocked returns a less function that puts the block to evict
// first first.
func (s *Store) evictionOrderLocked() func(a, b *blockEntry) bool {
	if s.cfg.Annotator == LRFU {
		now := s.clock
		return func(a, b *blockEntry) bool {
			ca, cb := s.decayedCRF(a, now), s.decayedCRF(b, now)
			if ca != cb {
				return ca < cb
			}
			return a.lastAccess < b.lastAccess
		}
	}
	return func(a, b *blockEntry) bool { return a.lastAccess < b.lastAccess }
}
