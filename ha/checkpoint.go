package ha

import (
	"io"

	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/journal"
)

// FSMCheckpoint is the body of a journal checkpoint: f's state, written
// on the commit loop between batches. It leaves the bytes written in
// *size, for the log line that reports the checkpoint.
func FSMCheckpoint(f *fsm.FSM, size *int64) func(io.Writer) error {
	return func(w io.Writer) error {
		cw := &journal.CountingWriter{W: w}
		_, err := f.WriteCheckpoint(cw)
		*size = cw.N
		return err
	}
}
