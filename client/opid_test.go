package client

import "testing"

// An Alluxio master takes a second call with an operation id it has seen
// for a retry: once Halo's client sent its client id as every operation's
// id, a real Alluxio primary answered every create after a failover as a
// retried one. Each operation now has a UUID of its own, from which a Halo
// master still recovers the client id.
func TestEachOperationHasItsOwnUUID(t *testing.T) {
	s := &opIDSource{hi: 1, lo: ^uint64(0)} // the low half wraps
	first, second := s.next(), s.next()
	a, b := first.common().GetOperationId(), second.common().GetOperationId()
	if a.GetMostSignificantBits() == b.GetMostSignificantBits() && a.GetLeastSignificantBits() == b.GetLeastSignificantBits() {
		t.Fatalf("operations %d and %d share the UUID %v", first.seq, second.seq, a)
	}
	for _, id := range []opID{first, second} {
		pid := id.common().GetOperationId()
		if lo := uint64(pid.GetLeastSignificantBits()) - id.seq; lo != s.lo || uint64(pid.GetMostSignificantBits()) != s.hi {
			t.Errorf("operation %d: client id (%x, %x) from its UUID, want (%x, %x)", id.seq, pid.GetMostSignificantBits(), lo, s.hi, s.lo)
		}
	}
}
