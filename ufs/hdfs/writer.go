package hdfs

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"time"

	gohdfs "github.com/colinmarc/hdfs/v2"
	"github.com/halo-fs/halo/ufs"
)

// Create implements ufs.Store.
func (s *Store) Create(ctx context.Context, p string, opts ufs.CreateOptions) (ufs.Writer, error) {
	clean, full, err := s.resolve(ctx, "create", p)
	if err != nil {
		return nil, err
	}
	if err := s.refuseRoot("create", clean); err != nil {
		return nil, err
	}
	// Fail early when the outcome is already known; the commit decides.
	if info, err := s.client.Stat(full); err == nil {
		if info.IsDir() {
			return nil, s.fail("create", clean, ufs.ErrIsDirectory)
		}
		if !opts.Overwrite {
			return nil, s.fail("create", clean, ufs.ErrExists)
		}
	}
	if err := s.mkdirParent(clean); err != nil {
		return nil, s.fail("create", clean, err)
	}
	defaults, err := s.client.ServerDefaults()
	if err != nil {
		return nil, s.fail("create", clean, err)
	}
	mode := opts.Mode & 0o777
	if mode == 0 {
		mode = ufs.DefaultFileMode
	}
	temp := tempPathFor(full)
	f, err := s.client.CreateFile(temp, defaults.Replication, defaults.BlockSize, os.FileMode(mode))
	if err != nil {
		return nil, s.fail("create", clean, err)
	}
	if d, ok := ctx.Deadline(); ok {
		f.SetDeadline(d)
	}
	return &writer{ctx: ctx, store: s, clean: clean, final: full, temp: temp, file: f, overwrite: opts.Overwrite}, nil
}

type writer struct {
	ctx       context.Context
	store     *Store
	clean     string
	final     string
	temp      string
	file      *gohdfs.FileWriter
	overwrite bool
	failed    error
	finished  bool
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
	if len(b) == 0 {
		// colinmarc would allocate a block for nothing, and a block no data
		// node ever received keeps the file from completing.
		return 0, nil
	}
	n, err := w.file.Write(b)
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
		err = w.complete()
	}
	if err == nil {
		err = w.ctx.Err()
	}
	if err == nil {
		err = w.publish()
	}
	if err != nil {
		w.discard()
		return w.store.fail("create", w.clean, err)
	}
	return nil
}

// complete closes the file, asking again while the name node waits for the
// data node to report the last block, as the Java client does.
func (w *writer) complete() error {
	backoff := 10 * time.Millisecond
	for range w.store.cfg.CloseRetries {
		err := w.file.Close()
		if !gohdfs.IsErrReplicating(err) {
			return err
		}
		select {
		case <-w.ctx.Done():
			return w.ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Second)
	}
	return w.file.Close()
}

// publish renames the finished temporary file onto its name: without
// replacing unless the writer may overwrite, and then in one step.
func (w *writer) publish() error {
	if w.overwrite {
		return w.store.client.Rename(w.temp, w.final)
	}
	return w.store.renamer.rename2(w.ctx, w.temp, w.final)
}

func (w *writer) Abort() error {
	if w.finished {
		return nil
	}
	w.finished = true
	if err := w.discard(); err != nil {
		return &fs.PathError{Op: "abort", Path: w.store.display(w.clean), Err: err}
	}
	return nil
}

// discard closes the file (to end its data node pipeline and lease) and
// removes the temporary file.
func (w *writer) discard() error {
	w.file.Close()
	err := w.store.client.Remove(w.temp)
	if errors.Is(classify(err), ufs.ErrNotFound) {
		return nil
	}
	return classify(err)
}
