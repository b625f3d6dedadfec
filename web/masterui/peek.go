package masterui

import (
	"context"
	"encoding/hex"
	"time"
	"unicode/utf8"

	"github.com/halo-fs/halo/proto/journalpb"
)

// peekBytes is how much of a file's start and end its page shows.
const peekBytes = 4096

// peekTimeout bounds the reads behind one file page, so that a worker that
// hangs cannot hold the page.
const peekTimeout = 10 * time.Second

// Peek is a run of a file's bytes as the page shows them: Text when they
// are readable as such, else Hex; Error, and no bytes, when the read
// failed.
type Peek struct {
	Offset int64  `json:"offset"`
	Length int    `json:"length"`
	Text   string `json:"text,omitempty"`
	Hex    string `json:"hex,omitempty"`
	Error  string `json:"error,omitempty"`
}

// peekInto fills out's Head and Tail for a complete file, or NoBytes with
// why it has none.
func (u *UI) peekInto(ctx context.Context, out *Browse, st *journalpb.FileStatus) {
	switch {
	case !st.Completed:
		out.NoBytes = "The file is not complete (still being written), so it has no bytes to show yet."
		return
	case st.Length == 0:
		out.NoBytes = "The file is empty."
		return
	}
	ctx, cancel := context.WithTimeout(ctx, peekTimeout)
	defer cancel()
	out.Head = u.peek(ctx, st.Path, 0, min(st.Length, peekBytes))
	if st.Length > peekBytes {
		tail := max(peekBytes, st.Length-peekBytes)
		out.Tail = u.peek(ctx, st.Path, tail, st.Length-tail)
	}
}

func (u *UI) peek(ctx context.Context, path string, offset, length int64) *Peek {
	p := &Peek{Offset: offset}
	b, err := u.cfg.Master.ReadFileRange(ctx, path, offset, length)
	if err != nil {
		p.Error = err.Error()
		return p
	}
	p.Length = len(b)
	if isText(b) {
		p.Text = string(b)
	} else {
		p.Hex = hex.Dump(b)
	}
	return p
}

// isText says whether b reads as text: valid UTF-8 with no control
// characters but newlines and tabs, so nothing on the page hides bytes.
func isText(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if r != '\n' && r != '\t' && (r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0)) {
			return false
		}
	}
	return true
}
