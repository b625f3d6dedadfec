package local

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/halo-fs/halo/ufs"
)

// tempMarker marks the hidden files that hold writes in progress; names
// containing it are reserved, and List and Walk skip them.
const tempMarker = ".halo-tmp-"

// maxTempBaseLen keeps temporary names within the 255-byte name limit of
// common file systems, whatever the length of the final name.
const maxTempBaseLen = 200

func isTempName(name string) bool {
	return strings.HasPrefix(name, ".") && strings.Contains(name, tempMarker)
}

// tempPathFor returns a fresh temporary path beside full. The final name is
// kept in it so that a file left behind by a crash says what it was.
func tempPathFor(full string) string {
	base := filepath.Base(full)
	if len(base) > maxTempBaseLen {
		base = base[:maxTempBaseLen]
		for !utf8.ValidString(base) {
			base = base[:len(base)-1]
		}
	}
	var random [8]byte
	rand.Read(random[:])
	return filepath.Join(filepath.Dir(full), "."+base+tempMarker+hex.EncodeToString(random[:]))
}

// writeBufferSize batches small writes into fewer system calls.
const writeBufferSize = 64 << 10

// Create implements ufs.Store.
func (s *Store) Create(ctx context.Context, p string, opts ufs.CreateOptions) (ufs.Writer, error) {
	clean, full, err := s.resolve(ctx, "create", p)
	if err != nil {
		return nil, err
	}
	if err := s.refuseRoot("create", clean); err != nil {
		return nil, err
	}
	// Fail early when the outcome is already known; the commit checks again.
	if info, err := os.Stat(full); err == nil {
		if info.IsDir() {
			return nil, s.fail("create", clean, ufs.ErrIsDirectory)
		}
		if !opts.Overwrite {
			return nil, s.fail("create", clean, ufs.ErrExists)
		}
	}
	if err := s.mkdirAll(ufs.Parent(clean)); err != nil {
		return nil, s.fail("create", clean, err)
	}
	mode := opts.Mode & 0o777
	if mode == 0 {
		mode = ufs.DefaultFileMode
	}
	temp := tempPathFor(full)
	f, err := os.OpenFile(temp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, s.fail("create", clean, err)
	}
	// Chmod rather than the mode argument of open, which the umask trims.
	if err := f.Chmod(fs.FileMode(mode)); err != nil {
		f.Close()
		os.Remove(temp)
		return nil, s.fail("create", clean, err)
	}
	return &writer{
		ctx:       ctx,
		store:     s,
		clean:     clean,
		final:     full,
		temp:      temp,
		file:      f,
		buf:       bufio.NewWriterSize(f, writeBufferSize),
		overwrite: opts.Overwrite,
	}, nil
}

type writer struct {
	ctx       context.Context
	store     *Store
	clean     string // store path, for errors
	final     string
	temp      string
	file      *os.File
	buf       *bufio.Writer
	overwrite bool
	failed    error // why a Write failed; the file can then only be discarded
	finished  bool  // committed or discarded
}

func (w *writer) Write(b []byte) (int, error) {
	if w.finished {
		return 0, w.store.fail("write", w.clean, ufs.ErrClosed)
	}
	if w.failed == nil {
		w.failed = w.ctx.Err()
	}
	if w.failed != nil {
		return 0, w.store.fail("write", w.clean, w.failed)
	}
	n, err := w.buf.Write(b)
	if err != nil {
		w.failed = err
		return n, w.store.fail("write", w.clean, err)
	}
	return n, nil
}

func (w *writer) Close() error {
	if w.finished {
		return w.store.fail("create", w.clean, ufs.ErrClosed)
	}
	w.finished = true
	err := w.failed
	if err == nil {
		err = w.ctx.Err()
	}
	if err == nil {
		err = w.buf.Flush()
	}
	if err == nil {
		err = w.file.Sync()
	}
	if closeErr := w.file.Close(); err == nil {
		err = closeErr
	}
	if err == nil {
		err = w.publish()
	}
	if err != nil {
		os.Remove(w.temp)
		return w.store.fail("create", w.clean, err)
	}
	return nil
}

// publish moves the finished temporary file to its name and makes the
// directory entry durable.
func (w *writer) publish() error {
	var err error
	if w.overwrite {
		err = os.Rename(w.temp, w.final)
	} else if err = w.store.renameNoReplace(w.temp, w.final); errors.Is(err, errNoReplaceUnsupported) {
		err = renameCheckingFirst(w.temp, w.final, false)
	}
	if err != nil {
		return err
	}
	return w.store.syncDir(ufs.Parent(w.clean))
}

func (w *writer) Abort() error {
	if w.finished {
		return nil
	}
	w.finished = true
	w.file.Close()
	if err := os.Remove(w.temp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return w.store.fail("abort", w.clean, err)
	}
	return nil
}
