package ha

import (
	"io"

	"github.com/halo-fs/halo/fsm"
)

// FSMCheckpoint is the body of a journal checkpoint: f's state, written
// on the commit loop between batches. It leaves the bytes written in
// *size, for the log line that reports the checkpoint.
func FSMCheckpoint(f *fsm.FSM, size *int64) func(io.Writer) error {
	return func(w io.Writer) error {
		cw := &CountingWriter{W: w}
		_, err := f.WriteCheckpoint(cw)
		*size = cw.N
		return err
	}
}

// CountingWriter passes writes on to W and counts their bytes in N, for
// the sizes that checkpoint and digest logs report.
type CountingWriter struct {
	W io.Writer
	N int64
}

func (c *CountingWriter) Write(p []byte) (int, error) {
	n, err := c.W.Write(p)
	c.N += int64(n)
	return n, err
}
