// Package local is the ufs.Store adapter for a directory on a local or
// network-mounted file system (the file:// scheme).
//
// A new file is written to a hidden temporary file beside its destination,
// fsynced, and renamed into place, and the directory is fsynced after every
// change to its entries, so a file that Create committed survives a crash.
// Create without Overwrite publishes with renameat2(RENAME_NOREPLACE), or a
// hard link where the file system lacks it, so that of several concurrent
// creators exactly one wins. Symbolic links inside the root are followed when
// reading, like Alluxio's local UFS, but Walk and DeleteAll never descend
// through them.
package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/halo-fs/halo/ufs"
)

// directoryMode is the permission of directories the store creates.
const directoryMode = 0o755

// Store is a ufs.Store over the directory tree under a root directory.
type Store struct {
	root   string // absolute, cleaned OS path
	uri    string
	owners ownerCache
	closed atomic.Bool
	// renameNoReplace is the platform's one-step rename that refuses to
	// replace; a field so that tests can run the suite on the fallback.
	renameNoReplace func(src, dst string) error
}

var _ ufs.Store = (*Store)(nil)

// New opens the store rooted at the absolute directory root, creating it if
// it is missing: an object store has no notion of a missing prefix, and
// treating the local root the same way lets a journal or checkpoint folder
// be configured before it exists on every adapter.
func New(root string) (*Store, error) {
	if !filepath.IsAbs(root) {
		return nil, fmt.Errorf("local: root %q: %w: not an absolute path", root, ufs.ErrInvalidPath)
	}
	root = filepath.Clean(root)
	if err := os.MkdirAll(root, directoryMode); err != nil {
		return nil, fmt.Errorf("local: root %s: %w", root, err)
	}
	info, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("local: root %s: %w", root, err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("local: root %s: %w", root, ufs.ErrNotDirectory)
	}
	u := ufs.URI{Scheme: "file", Path: filepath.ToSlash(root)}
	return &Store{root: root, uri: u.String(), renameNoReplace: renameNoReplace}, nil
}

// Open is the ufs.Opener for file URIs. The authority must be empty or
// "localhost"; no options are used.
func Open(ctx context.Context, root ufs.URI, options map[string]string) (ufs.Store, error) {
	if root.Authority != "" && root.Authority != "localhost" {
		return nil, fmt.Errorf("local: %s: %w: a file URI names no host but the local one",
			root, ufs.ErrInvalidPath)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return New(filepath.FromSlash(root.Path))
}

// URI implements ufs.Store.
func (s *Store) URI() string { return s.uri }

// Capabilities implements ufs.Store.
func (s *Store) Capabilities() ufs.Capabilities {
	return ufs.Capabilities{
		AtomicRename:      true,
		ConditionalCreate: true,
		DirectoryRename:   true,
	}
}

// Close implements ufs.Store. The store holds no open resources; Close only
// makes later calls fail, as the contract requires.
func (s *Store) Close() error {
	s.closed.Store(true)
	return nil
}

// resolve checks that the store is open and ctx is live, and turns a store
// path into its clean form and its OS path.
func (s *Store) resolve(ctx context.Context, op, p string) (clean, full string, err error) {
	if s.closed.Load() {
		return "", "", &fs.PathError{Op: op, Path: s.uri, Err: ufs.ErrClosed}
	}
	if err := ctx.Err(); err != nil {
		return "", "", &fs.PathError{Op: op, Path: ufs.Join(s.uri, p), Err: err}
	}
	clean, err = ufs.CleanPath(p)
	if err != nil {
		return "", "", &fs.PathError{Op: op, Path: s.uri, Err: err}
	}
	for _, name := range strings.Split(clean, "/") {
		if isTempName(name) {
			return "", "", &fs.PathError{Op: op, Path: s.display(clean),
				Err: fmt.Errorf("%w: names containing %q are reserved for writes in progress", ufs.ErrInvalidPath, tempMarker)}
		}
	}
	return clean, s.osPath(clean), nil
}

func (s *Store) osPath(clean string) string {
	return filepath.Join(s.root, filepath.FromSlash(clean))
}

// display is how errors name a path: as a URI, so that a message read in a
// log says which store it was in.
func (s *Store) display(clean string) string {
	return ufs.Join(s.uri, clean)
}

func (s *Store) fail(op, clean string, err error) error {
	return &fs.PathError{Op: op, Path: s.display(clean), Err: classify(err)}
}

// failLookup is fail for operations that look a path up: a path under a
// file does not exist, as on an object store, rather than being ENOTDIR.
func (s *Store) failLookup(op, clean string, err error) error {
	if errors.Is(err, ufs.ErrNotDirectory) || errors.Is(err, syscall.ENOTDIR) {
		err = ufs.ErrNotFound
	}
	return s.fail(op, clean, err)
}

func (s *Store) refuseRoot(op, clean string) error {
	if clean == "" {
		return &fs.PathError{Op: op, Path: s.uri,
			Err: fmt.Errorf("%w: refusing to %s the root of the store", ufs.ErrInvalidPath, op)}
	}
	return nil
}

// Stat implements ufs.Store.
func (s *Store) Stat(ctx context.Context, p string) (ufs.Status, error) {
	clean, full, err := s.resolve(ctx, "stat", p)
	if err != nil {
		return ufs.Status{}, err
	}
	info, err := os.Stat(full)
	if err != nil {
		return ufs.Status{}, s.failLookup("stat", clean, err)
	}
	return s.status(clean, info), nil
}

func (s *Store) status(clean string, info fs.FileInfo) ufs.Status {
	st := ufs.Status{
		Name:    ufs.Base(clean),
		Path:    clean,
		IsDir:   info.IsDir(),
		ModTime: info.ModTime(),
		Mode:    uint32(info.Mode().Perm()),
	}
	if !st.IsDir {
		st.Length = info.Size()
	}
	st.Owner, st.Group = s.owners.names(info)
	return st
}

// Open implements ufs.Store.
func (s *Store) Open(ctx context.Context, p string) (io.ReadCloser, error) {
	return s.openRange(ctx, "open", p, 0, -1)
}

// OpenRange implements ufs.Store.
func (s *Store) OpenRange(ctx context.Context, p string, offset, length int64) (io.ReadCloser, error) {
	return s.openRange(ctx, "open", p, offset, length)
}

func (s *Store) openRange(ctx context.Context, op, p string, offset, length int64) (io.ReadCloser, error) {
	clean, full, err := s.resolve(ctx, op, p)
	if err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, &fs.PathError{Op: op, Path: s.display(clean), Err: fmt.Errorf("negative offset %d", offset)}
	}
	f, err := os.Open(full)
	if err != nil {
		return nil, s.failLookup(op, clean, err)
	}
	info, err := f.Stat()
	if err == nil && info.IsDir() {
		err = ufs.ErrIsDirectory
	}
	if err == nil && offset > 0 {
		_, err = f.Seek(offset, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, s.fail(op, clean, err)
	}
	return &fileReader{ctx: ctx, file: f, remaining: length}, nil
}

// fileReader reads a file, or a range of it, until ctx is done.
type fileReader struct {
	ctx       context.Context
	file      *os.File
	remaining int64 // bytes left in the range; negative means to the end
}

func (r *fileReader) Read(b []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	if r.remaining == 0 {
		return 0, io.EOF
	}
	if r.remaining > 0 && int64(len(b)) > r.remaining {
		b = b[:r.remaining]
	}
	n, err := r.file.Read(b)
	if r.remaining > 0 {
		r.remaining -= int64(n)
	}
	return n, err
}

func (r *fileReader) Close() error { return r.file.Close() }
