package client

import (
	"encoding/binary"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/halo-fs/halo/proto/halopb"
)

// opIDSource hands out operation ids: a random 128-bit client id, fixed for
// the life of the Client, and a sequence number that only grows. A retried
// mutation reuses its id, which is how the master recognises the retry.
type opIDSource struct {
	hi, lo uint64
	seq    atomic.Uint64
}

func newOpIDSource(random io.Reader) (*opIDSource, error) {
	var b [16]byte
	if _, err := io.ReadFull(random, b[:]); err != nil {
		return nil, err
	}
	return &opIDSource{
		hi: binary.BigEndian.Uint64(b[:8]),
		lo: binary.BigEndian.Uint64(b[8:]),
	}, nil
}

// next returns a fresh id; sequence numbers start at 1 so that a zero
// OperationID never names a real operation.
func (s *opIDSource) next() *halopb.OperationID {
	return &halopb.OperationID{ClientHi: s.hi, ClientLo: s.lo, Seq: s.seq.Add(1)}
}

func (s *opIDSource) clientID() string { return fmt.Sprintf("%016x%016x", s.hi, s.lo) }
