package journal

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strconv"
	"strings"
)

// Segment file layout:
//
//	header  magic "HJSG" | version u32 | first index u64 | crc32c of the previous 16 bytes
//	frames  one per record, see encodeFrame
//
// Integers are little-endian.
const (
	segmentMagic      = "HJSG"
	segmentVersion    = 1
	segmentHeaderSize = 20
	segmentSuffix     = ".log"

	// frameHeaderSize is the per-record overhead:
	//
	//	length u32 | payload crc32c u32 | index u64 | position in batch u32 | crc32c of the previous 20 bytes
	//
	// The header has its own checksum so that a damaged length is detected
	// before it is believed: otherwise a flipped length bit in the middle of a
	// segment would point past the end of the file and look like a torn tail.
	// The position in the batch lets recovery tell the frames of the batch
	// that was being written when the process died from later batches; see
	// laterBatchOffset.
	frameHeaderSize = 24

	// MaxRecordBytes is the largest record AppendBatch accepts.
	MaxRecordBytes = 64 << 20

	readBufferBytes = 1 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func segmentName(first uint64) string { return fmt.Sprintf("%016x%s", first, segmentSuffix) }

// parseSegmentName accepts exactly the names segmentName produces.
func parseSegmentName(name string) (uint64, bool) {
	hex, ok := strings.CutSuffix(name, segmentSuffix)
	if !ok {
		return 0, false
	}
	return parseFixedHex(hex)
}

// parseFixedHex accepts 16 lowercase hex digits, so that a file name and the
// index it stands for map one to one.
func parseFixedHex(s string) (uint64, bool) {
	if len(s) != 16 || strings.ToLower(s) != s {
		return 0, false
	}
	v, err := strconv.ParseUint(s, 16, 64)
	return v, err == nil
}

func encodeSegmentHeader(first uint64) []byte {
	b := make([]byte, 0, segmentHeaderSize)
	b = append(b, segmentMagic...)
	b = binary.LittleEndian.AppendUint32(b, segmentVersion)
	b = binary.LittleEndian.AppendUint64(b, first)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// decodeSegmentHeader returns the first index recorded in a segment header.
func decodeSegmentHeader(b []byte) (uint64, error) {
	if len(b) < segmentHeaderSize {
		return 0, fmt.Errorf("header is %d bytes, want %d", len(b), segmentHeaderSize)
	}
	if string(b[:4]) != segmentMagic {
		return 0, errors.New("not a journal segment (bad magic)")
	}
	if crc32.Checksum(b[:16], castagnoli) != binary.LittleEndian.Uint32(b[16:20]) {
		return 0, errors.New("segment header fails its checksum")
	}
	if v := binary.LittleEndian.Uint32(b[4:8]); v != segmentVersion {
		return 0, fmt.Errorf("%w: segment version %d, this binary reads %d", ErrUnsupportedVersion, v, segmentVersion)
	}
	return binary.LittleEndian.Uint64(b[8:16]), nil
}

// frameHeader is the decoded, checksum-verified header of one record.
type frameHeader struct {
	length     uint32
	payloadCRC uint32
	index      uint64
	batchPos   uint32 // position of the record within the batch it was appended in
}

// batchFirst is the index of the first record of the batch this record was
// appended in.
func (h frameHeader) batchFirst() uint64 { return h.index - uint64(h.batchPos) }

// encodeFrame appends the frame of one record to dst.
func encodeFrame(dst []byte, index uint64, batchPos uint32, payload []byte) []byte {
	start := len(dst)
	// The header is built in place: a local array passed to crc32 would
	// escape to the heap, one allocation per record.
	dst = append(dst, make([]byte, frameHeaderSize)...)
	h := dst[start:]
	binary.LittleEndian.PutUint32(h[0:4], uint32(len(payload)))
	binary.LittleEndian.PutUint32(h[4:8], crc32.Checksum(payload, castagnoli))
	binary.LittleEndian.PutUint64(h[8:16], index)
	binary.LittleEndian.PutUint32(h[16:20], batchPos)
	binary.LittleEndian.PutUint32(h[20:24], crc32.Checksum(h[:20], castagnoli))
	return append(dst, payload...)
}

// decodeFrameHeader verifies and decodes a frame header. It refuses headers no
// writer produces even when their checksum holds (index 0, a batch starting
// before index 1, a length over MaxRecordBytes).
func decodeFrameHeader(b []byte) (frameHeader, bool) {
	if crc32.Checksum(b[:20], castagnoli) != binary.LittleEndian.Uint32(b[20:24]) {
		return frameHeader{}, false
	}
	h := frameHeader{
		length:     binary.LittleEndian.Uint32(b[0:4]),
		payloadCRC: binary.LittleEndian.Uint32(b[4:8]),
		index:      binary.LittleEndian.Uint64(b[8:16]),
		batchPos:   binary.LittleEndian.Uint32(b[16:20]),
	}
	if h.index == 0 || uint64(h.batchPos) >= h.index || h.length > MaxRecordBytes {
		return frameHeader{}, false
	}
	return h, true
}

// Reasons a frame cannot be read. Recovery treats all three as "damaged
// frame"; the distinction is for the error message.
var (
	errShortFrame = errors.New("file ends inside a record")
	errBadHeader  = errors.New("record header fails its checksum")
	errBadPayload = errors.New("record payload fails its checksum")
)

// frameReader reads the frames of one segment sequentially.
type frameReader struct {
	r      *bufio.Reader
	offset int64 // byte offset of the next frame in the file
	size   int64 // file size; a length reaching past it is a short frame, not an allocation
	header [frameHeaderSize]byte
}

func newFrameReader(r io.Reader, offset, size int64) *frameReader {
	// Small segments get a small buffer: replay opens every segment in turn.
	bufSize := int(min(readBufferBytes, max(size-offset, 16)))
	return &frameReader{r: bufio.NewReaderSize(r, bufSize), offset: offset, size: size}
}

// next reads the frame at fr.offset. The payload is read into buf when it
// fits, else into a new slice. It returns io.EOF exactly at the end of the
// file. On error fr.offset still names the start of the bad frame.
func (fr *frameReader) next(buf []byte) (frameHeader, []byte, error) {
	remaining := fr.size - fr.offset
	if remaining == 0 {
		return frameHeader{}, nil, io.EOF
	}
	if remaining < frameHeaderSize {
		return frameHeader{}, nil, errShortFrame
	}
	if _, err := io.ReadFull(fr.r, fr.header[:]); err != nil {
		return frameHeader{}, nil, readError(err)
	}
	h, ok := decodeFrameHeader(fr.header[:])
	if !ok {
		return frameHeader{}, nil, errBadHeader
	}
	if int64(h.length) > remaining-frameHeaderSize {
		return frameHeader{}, nil, errShortFrame
	}
	var payload []byte
	if int(h.length) <= cap(buf) {
		payload = buf[:h.length]
	} else {
		payload = make([]byte, h.length)
	}
	if _, err := io.ReadFull(fr.r, payload); err != nil {
		return frameHeader{}, nil, readError(err)
	}
	if crc32.Checksum(payload, castagnoli) != h.payloadCRC {
		return frameHeader{}, nil, errBadPayload
	}
	fr.offset += frameHeaderSize + int64(h.length)
	return h, payload, nil
}

// readError maps a file that got shorter than its stat said to a short frame.
func readError(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errShortFrame
	}
	return err
}

// laterBatchOffset decides whether damage at the start of tail is a torn
// write. tail runs from the damaged frame to the end of the last segment, and
// next is the index that frame should have held.
//
// AppendBatch writes a batch with one write and returns only after fsync, and
// the next batch is written only after that. A crash can therefore tear only
// the last batch written, and the disk may have kept any subset of that
// batch's pages: some of its frames can survive intact after a damaged one.
// Those frames belong to the batch holding index next (their batch began at
// or before next). A valid frame of any other batch after the damage proves
// that a later write happened after the damaged bytes were fsynced, so the
// damage is corruption of acknowledged data.
//
// It returns the offset within tail of the first frame proving corruption,
// or -1 when everything in tail may be dropped as torn.
func laterBatchOffset(tail []byte, next uint64) int {
	for p := 1; p+frameHeaderSize <= len(tail); p++ {
		h, ok := decodeFrameHeader(tail[p:])
		if !ok {
			continue
		}
		end := p + frameHeaderSize + int(h.length)
		if end > len(tail) || crc32.Checksum(tail[p+frameHeaderSize:end], castagnoli) != h.payloadCRC {
			continue
		}
		if h.index <= next || h.batchFirst() > next {
			return p
		}
		// A surviving frame of the torn batch: skip it whole, so that a
		// record payload that happens to contain frame-shaped bytes is not
		// mistaken for one.
		p = end - 1
	}
	return -1
}
