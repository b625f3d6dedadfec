package client

import (
	"context"
	"testing"
)

// sentPieces records what a block stream was handed.
type sentPieces struct{ sizes []int }

func (s *sentPieces) send(p []byte) error { s.sizes = append(s.sizes, len(p)); return nil }
func (s *sentPieces) size() int64 {
	var n int64
	for _, l := range s.sizes {
		n += int64(l)
	}
	return n
}
func (s *sentPieces) close() error { return nil }

// Writes of any size reach the worker as whole chunks, as Alluxio's
// client sends them: io.Copy's 32 KiB pieces made a message each, which
// halved a remote write's rate.
func TestFileWriterSendsWholeChunks(t *testing.T) {
	sink := &sentPieces{}
	w := &FileWriter{ctx: context.Background(), opts: CreateOptions{WriteType: MustCache, BlockSize: DefaultBlockSize}, block: sink}
	piece := make([]byte, 32<<10)
	total := 3*chunkSize + 100
	for left := total; left > 0; left -= len(piece) {
		n, err := w.Write(piece[:min(len(piece), left)])
		if err != nil || n != min(len(piece), left) {
			t.Fatalf("Write: %d, %v", n, err)
		}
	}
	if w.Written() != int64(total) {
		t.Errorf("Written = %d, want %d", w.Written(), total)
	}
	for i, n := range sink.sizes {
		if n != chunkSize {
			t.Fatalf("piece %d of %d sent was %d bytes, not a chunk of %d", i, len(sink.sizes), n, chunkSize)
		}
	}
	if sink.size() != 3*chunkSize {
		t.Errorf("sent %d bytes before Close, want the 3 whole chunks", sink.size())
	}
	// A write of whole chunks goes out as it is, without a copy.
	if _, err := w.Write(make([]byte, 2*chunkSize-100)); err != nil {
		t.Fatal(err)
	}
	if got := sink.sizes[len(sink.sizes)-1]; got != chunkSize || sink.size() != 5*chunkSize {
		t.Errorf("after a large write: last piece %d bytes, %d sent", got, sink.size())
	}
}
