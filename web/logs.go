package web

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/halo-fs/halo/fserr"
)

// Logs is the tail of a process's log file (webui_logs).
type Logs struct {
	File string `json:"file"`
	// Note says why there are no lines, when there are none.
	Note  string   `json:"note,omitempty"`
	Lines []string `json:"lines"`
	// Truncated: the file is longer than the tail shown.
	Truncated bool `json:"truncated"`
}

// logTailBytes is how much of the end of the log the page shows.
const logTailBytes = 64 << 10

// LogTail is the end of file, the log of process ("master", "worker");
// file is "" when the process writes none.
func LogTail(process, file string) (Logs, error) {
	out := Logs{File: file, Lines: []string{}}
	if out.File == "" {
		out.Note = "This " + process + " writes no log file (it logs to its standard error)."
		return out, nil
	}
	lines, truncated, err := tail(out.File, logTailBytes)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		out.Note = "This " + process + " has written no log file at " + out.File + "."
		return out, nil
	case err != nil:
		return Logs{}, fserr.New(fserr.Unavailable, "read log %s: %v", out.File, err)
	}
	out.Lines, out.Truncated = lines, truncated
	return out, nil
}

// tail reads the last limit bytes of the file at path, as whole lines.
func tail(path string, limit int64) ([]string, bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, false, err
	}
	start := max(0, info.Size()-limit)
	data, err := io.ReadAll(io.NewSectionReader(f, start, info.Size()-start))
	if err != nil {
		return nil, false, err
	}
	text := string(data)
	if start > 0 {
		// The first line is cut; drop it rather than show half of it.
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			text = text[i+1:]
		}
	}
	text = strings.TrimSuffix(text, "\n")
	if text == "" {
		return []string{}, start > 0, nil
	}
	return strings.Split(text, "\n"), start > 0, nil
}
