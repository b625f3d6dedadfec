package ufs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// Kind says what a batch holds.
type Kind byte

const (
	// KindEntries is a group-commit batch of journal entries.
	KindEntries Kind = 1
	// KindEpochMarker opens a leader's epoch: it holds no entries, and a
	// leader serves only once its marker is written.
	KindEpochMarker Kind = 2
)

func (k Kind) String() string {
	switch k {
	case KindEntries:
		return "entries"
	case KindEpochMarker:
		return "epoch-marker"
	}
	return fmt.Sprintf("kind(%d)", byte(k))
}

// Batch is one immutable object of the journal, logs/<Seq as 16 hex>.
type Batch struct {
	Seq   uint64
	Epoch uint64
	Kind  Kind
	// FirstIndex is the journal index of the first record: the count of
	// records in all accepted batches before this one, plus one. A marker
	// carries the index the next entry will have.
	FirstIndex uint64
	// Writer is the RPC address of the master that wrote the batch, for
	// operators reading the folder.
	Writer  string
	Records [][]byte
}

// The encoding, every integer little-endian:
//
//	magic "HLB1" | kind u8 | 3 zero bytes | seq u64 | epoch u64 |
//	first index u64 | record count u32 | writer length u16 | writer |
//	header CRC-32C u32 (of everything before it)
//	then per record: length u32 | CRC-32C of the data u32 | data
//	then the trailer: "HLBE" | CRC-32C u32 of every byte before it
//
// Stores publish an object whole or not at all, so the CRCs are there for
// bit rot and foreign files, not torn writes; the trailer still makes a
// truncated object an error rather than a shorter batch.
const (
	batchMagic   = "HLB1"
	trailerMagic = "HLBE"
	// fixedHeaderLen is the header without the writer.
	fixedHeaderLen = 4 + 1 + 3 + 8 + 8 + 8 + 4 + 2 + 4
	// MaxWriterLen bounds the writer address.
	MaxWriterLen = 255
	// maxHeaderLen is the longest header, for reading headers alone.
	maxHeaderLen = fixedHeaderLen + MaxWriterLen
	// MaxRecordLen bounds one record (an entry); Alluxio's
	// alluxio.master.embedded.journal.entry.size.max defaults to 10 MB.
	MaxRecordLen = 64 << 20
	trailerLen   = 8
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrCorrupt is wrapped by every decoding error.
var ErrCorrupt = errors.New("ufsjournal: corrupt journal object")

// EncodeBatch returns the bytes of b.
func EncodeBatch(b Batch) ([]byte, error) {
	if b.Kind != KindEntries && b.Kind != KindEpochMarker {
		return nil, fmt.Errorf("ufsjournal: encode batch %d: unknown kind %d", b.Seq, b.Kind)
	}
	if b.Kind == KindEpochMarker && len(b.Records) > 0 {
		return nil, fmt.Errorf("ufsjournal: encode batch %d: an epoch marker holds no records", b.Seq)
	}
	if len(b.Writer) > MaxWriterLen {
		return nil, fmt.Errorf("ufsjournal: encode batch %d: writer %q is longer than %d bytes", b.Seq, b.Writer, MaxWriterLen)
	}
	size := fixedHeaderLen + len(b.Writer) + trailerLen
	for _, r := range b.Records {
		if len(r) > MaxRecordLen {
			return nil, fmt.Errorf("ufsjournal: encode batch %d: a record of %d bytes is above the %d-byte limit", b.Seq, len(r), MaxRecordLen)
		}
		size += 8 + len(r)
	}
	buf := make([]byte, 0, size)
	buf = append(buf, batchMagic...)
	buf = append(buf, byte(b.Kind), 0, 0, 0)
	buf = binary.LittleEndian.AppendUint64(buf, b.Seq)
	buf = binary.LittleEndian.AppendUint64(buf, b.Epoch)
	buf = binary.LittleEndian.AppendUint64(buf, b.FirstIndex)
	buf = binary.LittleEndian.AppendUint32(buf, uint32(len(b.Records)))
	buf = binary.LittleEndian.AppendUint16(buf, uint16(len(b.Writer)))
	buf = append(buf, b.Writer...)
	buf = binary.LittleEndian.AppendUint32(buf, crc32.Checksum(buf, castagnoli))
	for _, r := range b.Records {
		buf = binary.LittleEndian.AppendUint32(buf, uint32(len(r)))
		buf = binary.LittleEndian.AppendUint32(buf, crc32.Checksum(r, castagnoli))
		buf = append(buf, r...)
	}
	buf = append(buf, trailerMagic...)
	buf = binary.LittleEndian.AppendUint32(buf, crc32.Checksum(buf, castagnoli))
	return buf, nil
}

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}

// decodeHeader parses the header at the start of data and returns it, the
// record count it announces and the header's length. Records are left nil.
func decodeHeader(data []byte) (b Batch, count uint32, headerLen int, err error) {
	if len(data) < fixedHeaderLen {
		return Batch{}, 0, 0, corrupt("%d bytes is shorter than a batch header", len(data))
	}
	if string(data[:4]) != batchMagic {
		return Batch{}, 0, 0, corrupt("no batch magic (found %q)", data[:4])
	}
	if data[5] != 0 || data[6] != 0 || data[7] != 0 {
		return Batch{}, 0, 0, corrupt("reserved header bytes are not zero")
	}
	b = Batch{
		Kind:       Kind(data[4]),
		Seq:        binary.LittleEndian.Uint64(data[8:]),
		Epoch:      binary.LittleEndian.Uint64(data[16:]),
		FirstIndex: binary.LittleEndian.Uint64(data[24:]),
	}
	count = binary.LittleEndian.Uint32(data[32:])
	writerLen := int(binary.LittleEndian.Uint16(data[36:]))
	if writerLen > MaxWriterLen {
		return Batch{}, 0, 0, corrupt("writer length %d is above %d", writerLen, MaxWriterLen)
	}
	end := 38 + writerLen
	if len(data) < end+4 {
		return Batch{}, 0, 0, corrupt("header cut short")
	}
	if want, got := binary.LittleEndian.Uint32(data[end:]), crc32.Checksum(data[:end], castagnoli); want != got {
		return Batch{}, 0, 0, corrupt("header checksum %#08x, computed %#08x", want, got)
	}
	if b.Kind != KindEntries && b.Kind != KindEpochMarker {
		return Batch{}, 0, 0, corrupt("unknown batch kind %d", b.Kind)
	}
	if b.Kind == KindEpochMarker && count != 0 {
		return Batch{}, 0, 0, corrupt("an epoch marker claims %d records", count)
	}
	b.Writer = string(data[38:end])
	return b, count, end + 4, nil
}

// DecodeBatch parses bytes written by EncodeBatch.
func DecodeBatch(data []byte) (Batch, error) {
	b, count, off, err := decodeHeader(data)
	if err != nil {
		return Batch{}, err
	}
	if len(data) < off+trailerLen {
		return Batch{}, corrupt("batch %d cut short before its trailer", b.Seq)
	}
	body := data[:len(data)-trailerLen]
	tr := data[len(data)-trailerLen:]
	if string(tr[:4]) != trailerMagic {
		return Batch{}, corrupt("batch %d has no trailer (cut short?)", b.Seq)
	}
	if want, got := binary.LittleEndian.Uint32(tr[4:]), crc32.Checksum(data[:len(data)-4], castagnoli); want != got {
		return Batch{}, corrupt("batch %d checksum %#08x, computed %#08x", b.Seq, want, got)
	}
	if count > 0 {
		// Every record takes at least 8 bytes, so a forged count cannot
		// make this allocation larger than the object.
		b.Records = make([][]byte, 0, min(int(count), (len(body)-off)/8))
	}
	for i := uint32(0); i < count; i++ {
		if len(body)-off < 8 {
			return Batch{}, corrupt("batch %d: record %d of %d cut short", b.Seq, i, count)
		}
		n := binary.LittleEndian.Uint32(body[off:])
		sum := binary.LittleEndian.Uint32(body[off+4:])
		off += 8
		if n > MaxRecordLen || int(n) > len(body)-off {
			return Batch{}, corrupt("batch %d: record %d claims %d bytes, %d remain", b.Seq, i, n, len(body)-off)
		}
		rec := body[off : off+int(n) : off+int(n)]
		if got := crc32.Checksum(rec, castagnoli); got != sum {
			return Batch{}, corrupt("batch %d: record %d checksum %#08x, computed %#08x", b.Seq, i, sum, got)
		}
		b.Records = append(b.Records, rec)
		off += int(n)
	}
	if off != len(body) {
		return Batch{}, corrupt("batch %d: %d bytes after its %d records", b.Seq, len(body)-off, count)
	}
	return b, nil
}

// DecodeBatchHeader parses the header at the start of data (at least the
// header's bytes; the rest of the batch may be missing).
func DecodeBatchHeader(data []byte) (Batch, error) {
	b, _, _, err := decodeHeader(data)
	return b, err
}
