package fsm

import (
	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/proto/halopb"
)

type opKey struct{ hi, lo, seq uint64 }

func keyOf(id *halopb.OperationID) opKey {
	return opKey{id.ClientHi, id.ClientLo, id.Seq}
}

// operationTable remembers the results of the most recent mutations, so a
// retried mutation (same operation id) is answered with its first result
// instead of being applied twice. Eviction is first-in first-out in apply
// order, which every replica shares, so the table is part of the
// deterministic state and of every checkpoint.
type operationTable struct {
	capacity int
	ring     []*halopb.OperationRecord
	head     int // index of the oldest record once the ring is full
	byKey    map[opKey]*halopb.OperationRecord
}

func newOperationTable(capacity int) *operationTable {
	return &operationTable{capacity: capacity, byKey: make(map[opKey]*halopb.OperationRecord)}
}

func (t *operationTable) lookup(id *halopb.OperationID) (*halopb.OperationRecord, bool) {
	rec, ok := t.byKey[keyOf(id)]
	return rec, ok
}

func (t *operationTable) record(id *halopb.OperationID, res Result) {
	rec := &halopb.OperationRecord{
		OpId:    &halopb.OperationID{ClientHi: id.ClientHi, ClientLo: id.ClientLo, Seq: id.Seq},
		InodeId: res.InodeID,
	}
	if res.Err != nil {
		rec.ErrorCode = uint32(res.Err.Code)
		rec.ErrorMessage = res.Err.Message
	}
	t.add(rec)
}

func (t *operationTable) add(rec *halopb.OperationRecord) {
	if len(t.ring) < t.capacity {
		t.ring = append(t.ring, rec)
	} else {
		old := t.ring[t.head]
		delete(t.byKey, keyOf(old.OpId))
		t.ring[t.head] = rec
		t.head = (t.head + 1) % t.capacity
	}
	t.byKey[keyOf(rec.OpId)] = rec
}

// each visits records oldest first.
func (t *operationTable) each(fn func(*halopb.OperationRecord) error) error {
	for i := 0; i < len(t.ring); i++ {
		if err := fn(t.ring[(t.head+i)%len(t.ring)]); err != nil {
			return err
		}
	}
	return nil
}

func (t *operationTable) len() int { return len(t.ring) }

// recordErr returns the error a record holds, nil for success.
func recordErr(rec *halopb.OperationRecord) *fserr.Error {
	if rec.ErrorCode == 0 {
		return nil
	}
	return &fserr.Error{Code: fserr.Code(rec.ErrorCode), Message: rec.ErrorMessage}
}
