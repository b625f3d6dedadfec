package blockstore

import "slices"

// DirReport is one tier folder's space.
type DirReport struct {
	Path     string
	Medium   string
	Capacity int64
	Used     int64 // committed blocks plus space reserved by temp blocks
}

// TierReport is one tier's space and blocks.
type TierReport struct {
	Alias    string
	Capacity int64 // sum of its usable folders' quotas
	Used     int64
	Dirs     []DirReport        // usable folders only
	Blocks   map[string][]int64 // committed block ids by medium; Report only
	// BlockCount is how many committed blocks the tier holds.
	BlockCount int
}

// Report is the store's full state as the worker registers it.
type Report struct {
	Tiers []TierReport // in tier order, every configured tier
	// LostStorage lists, by tier alias, the folders that are missing or
	// unwritable: at Open, or since a write there failed.
	LostStorage map[string][]string
}

// Changes are the block deltas since the previous TakeChanges (or Open),
// as a heartbeat reports them. A block moved between tiers shows in Added
// with its new location only; one added and removed in between shows in
// Removed only; one removed and added again shows in both, which a master
// applying removals before additions (as Alluxio's does) gets right.
type Changes struct {
	Added       map[BlockLocation][]int64
	Removed     []int64
	LostStorage map[string][]string // folders lost since the previous call
}

// Report returns every tier's capacity and used bytes, every committed
// block by location, and the lost storage.
func (s *Store) Report() Report {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Report{Tiers: s.tierReportsLocked(true), LostStorage: s.lostStorageLocked()}
}

// LostStorage is Report's lost storage alone: by tier alias, every folder
// lost since the store opened.
func (s *Store) LostStorage() map[string][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lostStorageLocked()
}

func (s *Store) lostStorageLocked() map[string][]string {
	lost := make(map[string][]string, len(s.changes.lostAll))
	for alias, paths := range s.changes.lostAll {
		lost[alias] = slices.Clone(paths)
	}
	return lost
}

func (s *Store) tierReportsLocked(withBlocks bool) []TierReport {
	tiers := make([]TierReport, 0, len(s.tiers))
	for i, dirs := range s.tiers {
		tier := TierReport{Alias: s.cfg.Tiers[i].Alias}
		if withBlocks {
			tier.Blocks = make(map[string][]int64)
		}
		for _, d := range dirs {
			if d.lost {
				continue
			}
			tier.Capacity += d.capacity
			tier.Used += d.used()
			tier.Dirs = append(tier.Dirs, DirReport{Path: d.path, Medium: d.medium, Capacity: d.capacity, Used: d.used()})
			tier.BlockCount += len(d.blocks)
			if withBlocks {
				for id := range d.blocks {
					tier.Blocks[d.medium] = append(tier.Blocks[d.medium], id)
				}
			}
		}
		for _, ids := range tier.Blocks {
			slices.Sort(ids)
		}
		tiers = append(tiers, tier)
	}
	return tiers
}

// Usage is Report without the block lists, for the used bytes a commit
// or heartbeat sends and the counts a page shows: it costs one step per
// folder, not per block.
func (s *Store) Usage() []TierReport {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tierReportsLocked(false)
}

// TakeChanges returns what changed since the previous call and starts a
// new interval. A worker whose heartbeat failed should send Report in a
// new registration rather than lose the deltas.
func (s *Store) TakeChanges() Changes {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changes.take()
}
