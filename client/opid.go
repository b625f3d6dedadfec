package client

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"sync/atomic"

	"google.golang.org/grpc/metadata"

	"github.com/halo-fs/halo/proto/alluxiopb"
)

// OpSeqMetadataKey is the gRPC metadata key that carries an operation's
// sequence number beside Alluxio's operation id (commonOptions.operationId).
// The id is the client id with the sequence added to its low half, so that
// every operation has a UUID of its own, as Alluxio's masters expect (one
// that saw the same UUID twice would take every later call for a retry),
// while a Halo master subtracts the sequence again and keys its
// exactly-once table by (client id, sequence). A call without the header is
// an Alluxio client's, whose operation id is a fresh UUID per operation:
// sequence 1.
const OpSeqMetadataKey = "halo-op-seq"

// opIDSource hands out operation ids: a random 128-bit client id, fixed for
// the life of the Client, and a sequence number that only grows. A retried
// mutation reuses its id, which is how the master recognises the retry.
type opIDSource struct {
	hi, lo uint64
	seq    atomic.Uint64
}

// opID is one operation's id.
type opID struct {
	hi, lo, seq uint64
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
// sequence never names a real operation.
func (s *opIDSource) next() opID {
	return opID{hi: s.hi, lo: s.lo, seq: s.seq.Add(1)}
}

func (s *opIDSource) clientID() string { return fmt.Sprintf("%016x%016x", s.hi, s.lo) }

// common is Alluxio's common options carrying the operation id: the
// client id with the sequence added to its low half (see OpSeqMetadataKey).
func (id opID) common() *alluxiopb.FileSystemMasterCommonPOptions {
	return &alluxiopb.FileSystemMasterCommonPOptions{OperationId: &alluxiopb.FsOpPId{
		MostSignificantBits:  int64Of(id.hi),
		LeastSignificantBits: int64Of(id.lo + id.seq),
	}}
}

// outgoing adds the sequence number to a call's metadata.
func (id opID) outgoing(ctx context.Context) context.Context {
	return metadata.AppendToOutgoingContext(ctx, OpSeqMetadataKey, strconv.FormatUint(id.seq, 10))
}

// int64Of reinterprets the bits, as Java's UUID halves are signed.
func int64Of(v uint64) *int64 {
	i := int64(v)
	return &i
}
