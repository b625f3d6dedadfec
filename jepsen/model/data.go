package model

import (
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"
)

// DataWrite is one file the data workload wrote: its content is
// Content(Path, Seed, Size), so that a reader can tell every byte's right
// value without keeping the bytes.
type DataWrite struct {
	Path      string  `json:"path"`
	WriteType string  `json:"write_type"`
	Size      int64   `json:"size"`
	Seed      uint64  `json:"seed"`
	Call      int64   `json:"call"`
	Return    int64   `json:"return"`
	Outcome   Outcome `json:"outcome"`
	Code      string  `json:"code,omitempty"`
	Error     string  `json:"error,omitempty"`
}

// DataRead is what one read of a written file found.
type DataRead struct {
	Path string `json:"path"`
	// During is set for reads made while faults were injected; the others
	// are the read back after healing.
	During bool  `json:"during,omitempty"`
	Time   int64 `json:"time"`
	// Found: the namespace has the path; Complete: as a complete file.
	Found    bool  `json:"found"`
	Complete bool  `json:"complete"`
	Length   int64 `json:"length"` // the length the master gives
	// Read is how many bytes the read returned before it ended; Mismatch
	// is the offset of the first byte not equal to the written content,
	// -1 when every byte read was equal.
	Read     int64  `json:"read"`
	Mismatch int64  `json:"mismatch"`
	Code     string `json:"code,omitempty"`
	Error    string `json:"error,omitempty"` // why the read ended early
	// Persistence is the file's state when the read back ended (after
	// waiting for ASYNC_THROUGH files to be persisted).
	Persistence string `json:"persistence,omitempty"`
}

// Content is the content of a data workload file: a stream of pseudo
// random bytes keyed by its path and seed.
func Content(path string, seed uint64, size int64) []byte {
	key := sha256.Sum256(binary.LittleEndian.AppendUint64([]byte(path), seed))
	b := make([]byte, size)
	rand.NewChaCha8(key).Read(b)
	return b
}

// FirstMismatch is the offset of the first byte of got that differs from
// want, -1 when got is a prefix of want (or equal).
func FirstMismatch(got, want []byte) int64 {
	for i := range got {
		if i >= len(want) || got[i] != want[i] {
			return int64(i)
		}
	}
	return -1
}
