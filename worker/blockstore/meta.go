package blockstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// A block's metadata file: its id, length, chunk size and one CRC-32C per
// chunk of data, then a CRC-32C of everything before it, so that a torn or
// damaged metadata file is told apart from a good one.
const (
	metaMagic      = "HALOBLK1"
	metaHeaderSize = len(metaMagic) + 8 + 8 + 4 + 4 // magic, id, length, chunk size, chunk count
	metaSuffix     = ".meta"

	// chunkSize is the span each checksum covers: small enough that a
	// read of Alluxio's 1 MiB chunks verifies no more than it returns,
	// large enough that a 64 MiB block needs only 4 KiB of checksums.
	chunkSize = 64 << 10
	// Bounds a metadata file may claim, so that a damaged one cannot make
	// the decoder allocate without limit.
	minChunkSize = 4 << 10
	maxChunkSize = 64 << 20
	maxMetaSize  = 16 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errBadMeta: a metadata file that is torn, damaged or not ours.
var errBadMeta = errors.New("bad block metadata")

// blockChecksums is what a metadata file records.
type blockChecksums struct {
	blockID   int64
	length    int64
	chunkSize int64
	sums      []uint32 // one per chunk; the last chunk may be short
}

func chunkCount(length, size int64) int64 { return (length + size - 1) / size }

func encodeMeta(m blockChecksums) []byte {
	b := make([]byte, 0, metaHeaderSize+4*len(m.sums)+4)
	b = append(b, metaMagic...)
	b = binary.BigEndian.AppendUint64(b, uint64(m.blockID))
	b = binary.BigEndian.AppendUint64(b, uint64(m.length))
	b = binary.BigEndian.AppendUint32(b, uint32(m.chunkSize))
	b = binary.BigEndian.AppendUint32(b, uint32(len(m.sums)))
	for _, sum := range m.sums {
		b = binary.BigEndian.AppendUint32(b, sum)
	}
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// decodeMeta parses a metadata file, refusing anything encodeMeta would
// not have written.
func decodeMeta(b []byte) (blockChecksums, error) {
	if len(b) < metaHeaderSize+4 || len(b) > maxMetaSize {
		return blockChecksums{}, fmt.Errorf("%w: %d bytes", errBadMeta, len(b))
	}
	if string(b[:len(metaMagic)]) != metaMagic {
		return blockChecksums{}, fmt.Errorf("%w: no %s header", errBadMeta, metaMagic)
	}
	body, trailer := b[:len(b)-4], binary.BigEndian.Uint32(b[len(b)-4:])
	if crc32.Checksum(body, castagnoli) != trailer {
		return blockChecksums{}, fmt.Errorf("%w: checksum mismatch", errBadMeta)
	}
	rest := body[len(metaMagic):]
	m := blockChecksums{
		blockID:   int64(binary.BigEndian.Uint64(rest[0:])),
		length:    int64(binary.BigEndian.Uint64(rest[8:])),
		chunkSize: int64(binary.BigEndian.Uint32(rest[16:])),
	}
	count := int64(binary.BigEndian.Uint32(rest[20:]))
	rest = rest[24:]
	switch {
	case m.length < 0:
		return blockChecksums{}, fmt.Errorf("%w: negative length %d", errBadMeta, m.length)
	case m.chunkSize < minChunkSize || m.chunkSize > maxChunkSize:
		return blockChecksums{}, fmt.Errorf("%w: chunk size %d", errBadMeta, m.chunkSize)
	case count != chunkCount(m.length, m.chunkSize) || int64(len(rest)) != 4*count:
		return blockChecksums{}, fmt.Errorf("%w: %d checksums for %d bytes", errBadMeta, count, m.length)
	}
	m.sums = make([]uint32, count)
	for i := range m.sums {
		m.sums[i] = binary.BigEndian.Uint32(rest[4*i:])
	}
	return m, nil
}

// chunkSummer computes the chunk checksums of data written in order.
type chunkSummer struct {
	sums    []uint32
	partial uint32 // checksum of the bytes of the current chunk so far
	filled  int64  // bytes in the current chunk
}

func (c *chunkSummer) write(p []byte) {
	for len(p) > 0 {
		n := min(int64(len(p)), chunkSize-c.filled)
		c.partial = crc32.Update(c.partial, castagnoli, p[:n])
		c.filled += n
		p = p[n:]
		if c.filled == chunkSize {
			c.sums = append(c.sums, c.partial)
			c.partial, c.filled = 0, 0
		}
	}
}

func (c *chunkSummer) finish() []uint32 {
	if c.filled > 0 {
		return append(c.sums, c.partial)
	}
	return c.sums
}

// verify checks data, which starts at off (a chunk boundary) and holds
// whole chunks except perhaps the block's last, returning the offset of
// the first chunk that does not match.
func (m blockChecksums) verify(data []byte, off int64) (int64, bool) {
	first := off / m.chunkSize
	for i := int64(0); int64(len(data)) > 0; i++ {
		n := min(int64(len(data)), m.chunkSize)
		index := first + i
		if index >= int64(len(m.sums)) || crc32.Checksum(data[:n], castagnoli) != m.sums[index] {
			return index * m.chunkSize, false
		}
		data = data[n:]
	}
	return 0, true
}
