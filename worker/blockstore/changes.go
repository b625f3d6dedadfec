package blockstore

import "slices"

// pendingChanges collects what TakeChanges returns, guarded by Store.mu.
type pendingChanges struct {
	added   map[int64]BlockLocation
	removed map[int64]bool
	lost    map[string][]string
	// lostAll keeps every lost folder for Report, which lists them all.
	lostAll map[string][]string
}

func newPendingChanges() pendingChanges {
	return pendingChanges{
		added:   make(map[int64]BlockLocation),
		removed: make(map[int64]bool),
		lost:    make(map[string][]string),
		lostAll: make(map[string][]string),
	}
}

func (c *pendingChanges) noteAdded(id int64, loc BlockLocation) { c.added[id] = loc }

// noteRemoved keeps a removal that follows an addition in the same
// interval, so the master, which applies removals before additions, ends
// with the block gone; a removal followed by a new addition keeps both,
// which ends with the block present.
func (c *pendingChanges) noteRemoved(id int64) {
	delete(c.added, id)
	c.removed[id] = true
}

func (c *pendingChanges) noteLost(alias, path string) {
	c.lost[alias] = append(c.lost[alias], path)
	c.lostAll[alias] = append(c.lostAll[alias], path)
}

// take returns the deltas and starts a new interval.
func (c *pendingChanges) take() Changes {
	out := Changes{
		Added:       make(map[BlockLocation][]int64),
		Removed:     make([]int64, 0, len(c.removed)),
		LostStorage: c.lost,
	}
	for id, loc := range c.added {
		out.Added[loc] = append(out.Added[loc], id)
	}
	for id := range c.removed {
		out.Removed = append(out.Removed, id)
	}
	slices.Sort(out.Removed)
	for _, ids := range out.Added {
		slices.Sort(ids)
	}
	c.added = make(map[int64]BlockLocation)
	c.removed = make(map[int64]bool)
	c.lost = make(map[string][]string)
	return out
}
