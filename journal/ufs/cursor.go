package ufs

// Cursor is a reader's position in the journal.
type Cursor struct {
	// NextSeq is the batch to read next.
	NextSeq uint64
	// NextIndex is the journal index the next accepted entry will have:
	// the namespace's applied index plus one.
	NextIndex uint64
	// Epoch is the highest epoch accepted so far.
	Epoch uint64
	// Skipped counts batches skipped by the reading rule.
	Skipped uint64
}

// Start is the cursor of an empty journal.
func Start() Cursor { return Cursor{NextSeq: 1, NextIndex: 1} }

// Accept applies the reading rule to b, the batch at c.NextSeq:
//
//   - a batch whose epoch is lower than c.Epoch was written by a deposed
//     leader: it is skipped (false, and c moves past it);
//   - otherwise it is accepted (true): c moves past it and its records,
//     and its epoch becomes c.Epoch.
//
// A batch that names another sequence number, or whose first index does not
// continue the accepted history, is corrupt: an error, and c is unchanged.
func (c *Cursor) Accept(b Batch) (bool, error) {
	if b.Seq != c.NextSeq {
		return false, corrupt("batch %d read in place of batch %d", b.Seq, c.NextSeq)
	}
	if b.Epoch < c.Epoch {
		c.NextSeq++
		c.Skipped++
		return false, nil
	}
	if b.FirstIndex != c.NextIndex {
		return false, corrupt("batch %d starts at index %d, but the journal so far ends at index %d", b.Seq, b.FirstIndex, c.NextIndex-1)
	}
	c.NextSeq++
	c.NextIndex += uint64(len(b.Records))
	c.Epoch = b.Epoch
	return true, nil
}
