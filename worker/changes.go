package worker

import "github.com/halo-fs/halo/worker/blockstore"

// blockChanges are the store's block changes one master has not been
// told yet: for each block, the tier it was added to, or removed.
type blockChanges map[int64]change

type change struct {
	removed bool
	tier    string
}

// add records the store's changes, later ones replacing earlier ones. A
// block both removed and added in ch was added after its removal (the
// store forgets an addition that a removal follows), so removals go
// first.
func (c blockChanges) add(ch blockstore.Changes) {
	for _, id := range ch.Removed {
		c[id] = change{removed: true}
	}
	for loc, ids := range ch.Added {
		for _, id := range ids {
			c[id] = change{tier: loc.Tier}
		}
	}
}

// restore puts back older changes a failed heartbeat did not deliver,
// under those recorded since.
func (c blockChanges) restore(older blockChanges) {
	for id, ch := range older {
		if _, newer := c[id]; !newer {
			c[id] = ch
		}
	}
}

// split is the heartbeat's form: added ids by tier, removed ids.
func (c blockChanges) split() (added map[string][]int64, removed []int64) {
	added = map[string][]int64{}
	for id, ch := range c {
		if ch.removed {
			removed = append(removed, id)
		} else {
			added[ch.tier] = append(added[ch.tier], id)
		}
	}
	return added, removed
}
