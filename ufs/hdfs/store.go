// Package hdfs is the ufs.Store adapter for HDFS (the hdfs:// scheme), over
// github.com/colinmarc/hdfs/v2, which speaks the name node and data node
// protocols natively (no JVM).
//
// A store is rooted at hdfs://namenode:port/path, created at Open if
// missing. Create writes a hidden temporary file beside the destination
// (".<name>.halo-tmp-<random>"; names containing ".halo-tmp-" are reserved
// and never listed) and renames it into place at Close. Without Overwrite
// the rename is rename2 without OVERWRITE, which the name node refuses if
// the destination exists, so of concurrent creators exactly one wins; with
// Overwrite it is rename2 with OVERWRITE, which replaces the old file in one
// step, so readers see the old file or the new one and never neither.
// Rename is rename2 without OVERWRITE too: atomic, never replacing, and it
// moves directories.
//
// What this adapter cannot do: HDFS can append to a file and hflush it
// (make written bytes visible to readers before close), and colinmarc's
// FileWriter offers both, but ufs.Store has no method for them yet, so
// Capabilities reports Append and Flush false. Kerberos is not supported:
// the no-overwrite rename uses a small IPC client of the adapter's own
// (colinmarc always renames with OVERWRITE), which speaks only simple
// authentication.
//
// For a journal, HDFS offers both layouts: one new file per batch, fenced
// by the no-overwrite create, works today; an append-and-hflush log (what
// Alluxio's UFS journal does on HDFS) needs the Append/Flush extension, for
// which the underlying client is ready.
//
// Time limits: dialing a name node or data node is bounded by
// Config.ConnectTimeout, each name node response by Config.RPCTimeout, so
// an unreachable name node fails Open within seconds. ctx is checked before
// every call and between reads and writes, and it interrupts the rename
// RPC; other name node calls already sent finish or time out by RPCTimeout.
package hdfs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
	"unicode/utf8"

	gohdfs "github.com/colinmarc/hdfs/v2"
	"github.com/colinmarc/hdfs/v2/hadoopconf"
	"github.com/halo-fs/halo/ufs"
)

// directoryMode is the permission of directories the store creates.
const directoryMode = 0o755

// tempMarker marks temporary files of writes in progress.
const tempMarker = ".halo-tmp-"

// Store is a ufs.Store over the tree under one HDFS directory.
type Store struct {
	client  *gohdfs.Client
	renamer *renamer
	root    string // absolute HDFS path, cleaned
	uri     string
	cfg     Config
	closed  atomic.Bool
}

var _ ufs.Store = (*Store)(nil)

// Open is the ufs.Opener for hdfs:// URIs.
func Open(ctx context.Context, root ufs.URI, options map[string]string) (ufs.Store, error) {
	cfg, err := ConfigFromOptions(root, options)
	if err != nil {
		return nil, err
	}
	return New(ctx, root, cfg)
}

// New connects to the name node and creates the root directory if it is
// missing.
func New(ctx context.Context, root ufs.URI, cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	options := gohdfs.ClientOptionsFromConf(hadoopconf.HadoopConf(cfg.Hadoop))
	options.Addresses = cfg.Addresses
	options.User = cfg.User
	options.KerberosClient = nil
	nameNodeDialer := &net.Dialer{Timeout: cfg.ConnectTimeout}
	options.NamenodeDialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := nameNodeDialer.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &timedConn{Conn: conn, timeout: cfg.RPCTimeout}, nil
	}
	options.DatanodeDialFunc = (&net.Dialer{Timeout: cfg.ConnectTimeout}).DialContext
	client, err := gohdfs.NewClient(options)
	if err != nil {
		return nil, fmt.Errorf("hdfs: %s: cannot reach name node %s: %w", root, strings.Join(cfg.Addresses, ","), err)
	}
	s := &Store{
		client: client,
		renamer: &renamer{
			addresses: cfg.Addresses, user: cfg.User,
			connectTimeout: cfg.ConnectTimeout, rpcTimeout: cfg.RPCTimeout,
		},
		root: root.Path,
		uri:  root.String(),
		cfg:  cfg,
	}
	// The handshake is one-way: this is the first call that waits for the
	// name node, so it is what fails when the name node cannot be used.
	if err := client.MkdirAll(s.root, directoryMode); err != nil {
		client.Close()
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("hdfs: root %s: %w", root, ufs.ErrNotDirectory)
		}
		return nil, fmt.Errorf("hdfs: root %s on name node %s as user %q: %w", root, strings.Join(cfg.Addresses, ","), cfg.User, err)
	}
	return s, nil
}

// timedConn bounds every read and write on a name node connection, so a
// name node that accepted the connection but stopped answering fails the
// call after the RPC timeout instead of hanging it.
type timedConn struct {
	net.Conn
	timeout time.Duration
}

func (c *timedConn) Read(b []byte) (int, error) {
	c.Conn.SetReadDeadline(time.Now().Add(c.timeout))
	return c.Conn.Read(b)
}

func (c *timedConn) Write(b []byte) (int, error) {
	c.Conn.SetWriteDeadline(time.Now().Add(c.timeout))
	return c.Conn.Write(b)
}

// URI implements ufs.Store.
func (s *Store) URI() string { return s.uri }

// Capabilities implements ufs.Store.
func (s *Store) Capabilities() ufs.Capabilities {
	return ufs.Capabilities{AtomicRename: true, ConditionalCreate: true, DirectoryRename: true}
}

// Close implements ufs.Store.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.renamer.close()
	return s.client.Close()
}

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
	return clean, s.full(clean), nil
}

func (s *Store) full(clean string) string { return path.Join(s.root, clean) }

func (s *Store) display(clean string) string { return ufs.Join(s.uri, clean) }

func (s *Store) fail(op, clean string, err error) error {
	return &fs.PathError{Op: op, Path: s.display(clean), Err: classify(err)}
}

// failLookup is fail for lookups: a path under a file does not exist.
func (s *Store) failLookup(op, clean string, err error) error {
	err = classify(err)
	if errors.Is(err, ufs.ErrNotDirectory) {
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

func isTempName(name string) bool {
	return strings.HasPrefix(name, ".") && strings.Contains(name, tempMarker)
}

// tempPathFor returns a fresh temporary path beside full, keeping the final
// name in it so that a file left by a crash says what it was.
func tempPathFor(full string) string {
	base := path.Base(full)
	if len(base) > 200 {
		base = base[:200]
		for !utf8.ValidString(base) {
			base = base[:len(base)-1]
		}
	}
	var random [8]byte
	rand.Read(random[:])
	return path.Join(path.Dir(full), "."+base+tempMarker+hex.EncodeToString(random[:]))
}

func status(clean string, info os.FileInfo) ufs.Status {
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
	if hi, ok := info.(*gohdfs.FileInfo); ok {
		st.Owner, st.Group = hi.Owner(), hi.OwnerGroup()
	}
	return st
}

// Stat implements ufs.Store.
func (s *Store) Stat(ctx context.Context, p string) (ufs.Status, error) {
	clean, full, err := s.resolve(ctx, "stat", p)
	if err != nil {
		return ufs.Status{}, err
	}
	info, err := s.client.Stat(full)
	if err != nil {
		return ufs.Status{}, s.failLookup("stat", clean, err)
	}
	return status(clean, info), nil
}

// List implements ufs.Store. colinmarc's ReadDir reads every page of a
// large directory.
func (s *Store) List(ctx context.Context, p string) ([]ufs.Status, error) {
	clean, full, err := s.resolve(ctx, "list", p)
	if err != nil {
		return nil, err
	}
	entries, err := s.list(clean, full)
	if err != nil {
		return nil, s.fail("list", clean, err)
	}
	return entries, nil
}

// list lists the directory clean; a path under a file does not exist.
func (s *Store) list(clean, full string) ([]ufs.Status, error) {
	info, err := s.client.Stat(full)
	if err != nil {
		if err = classify(err); errors.Is(err, ufs.ErrNotDirectory) {
			err = ufs.ErrNotFound
		}
		return nil, err
	}
	if !info.IsDir() {
		return nil, ufs.ErrNotDirectory
	}
	infos, err := s.client.ReadDir(full)
	if err != nil {
		return nil, err
	}
	entries := make([]ufs.Status, 0, len(infos))
	for _, info := range infos {
		if isTempName(info.Name()) {
			continue
		}
		entries = append(entries, status(ufs.Child(clean, info.Name()), info))
	}
	slices.SortFunc(entries, func(a, b ufs.Status) int { return strings.Compare(a.Name, b.Name) })
	return entries, nil
}

// Walk implements ufs.Store with one listing per directory.
func (s *Store) Walk(ctx context.Context, p string, fn func(ufs.Status) error) error {
	clean, full, err := s.resolve(ctx, "walk", p)
	if err != nil {
		return err
	}
	entries, err := s.list(clean, full)
	if err != nil {
		return s.fail("walk", clean, err)
	}
	return s.walk(ctx, entries, fn)
}

func (s *Store) walk(ctx context.Context, entries []ufs.Status, fn func(ufs.Status) error) error {
	for _, st := range entries {
		if err := ctx.Err(); err != nil {
			return &fs.PathError{Op: "walk", Path: s.display(st.Path), Err: err}
		}
		if err := fn(st); err != nil {
			return err
		}
		if !st.IsDir {
			continue
		}
		children, err := s.list(st.Path, s.full(st.Path))
		if errors.Is(classify(err), ufs.ErrNotFound) {
			continue // removed since it was listed
		}
		if err != nil {
			return s.fail("walk", st.Path, err)
		}
		if err := s.walk(ctx, children, fn); err != nil {
			return err
		}
	}
	return nil
}

// Mkdirs implements ufs.Store.
func (s *Store) Mkdirs(ctx context.Context, p string) error {
	clean, full, err := s.resolve(ctx, "mkdirs", p)
	if err != nil || clean == "" {
		return err
	}
	if info, err := s.client.Stat(full); err == nil {
		if info.IsDir() {
			return nil
		}
		return s.fail("mkdirs", clean, ufs.ErrExists)
	}
	if err := s.client.MkdirAll(full, directoryMode); err != nil {
		err = classify(err)
		if errors.Is(err, ufs.ErrExists) {
			// A parent is a file (HDFS says the path exists as a file).
			err = ufs.ErrNotDirectory
		}
		return s.fail("mkdirs", clean, err)
	}
	return nil
}

// Delete implements ufs.Store.
func (s *Store) Delete(ctx context.Context, p string) error {
	clean, full, err := s.resolve(ctx, "delete", p)
	if err != nil {
		return err
	}
	if err := s.refuseRoot("delete", clean); err != nil {
		return err
	}
	if err := s.client.Remove(full); err != nil {
		return s.failLookup("delete", clean, err)
	}
	return nil
}

// DeleteAll implements ufs.Store. HDFS deletes a tree in one call.
func (s *Store) DeleteAll(ctx context.Context, p string) error {
	clean, full, err := s.resolve(ctx, "delete", p)
	if err != nil {
		return err
	}
	if err := s.refuseRoot("delete", clean); err != nil {
		return err
	}
	if err := s.client.RemoveAll(full); err != nil {
		if err = classify(err); errors.Is(err, ufs.ErrNotFound) || errors.Is(err, ufs.ErrNotDirectory) {
			return nil
		}
		return s.fail("delete", clean, err)
	}
	return nil
}

// Rename implements ufs.Store: one rename2 without OVERWRITE, atomic at the
// name node, for files and directories alike.
func (s *Store) Rename(ctx context.Context, src, dst string) error {
	cleanSrc, fullSrc, err := s.resolve(ctx, "rename", src)
	if err != nil {
		return err
	}
	cleanDst, fullDst, err := s.resolve(ctx, "rename", dst)
	if err != nil {
		return err
	}
	if err := s.refuseRoot("rename", cleanSrc); err != nil {
		return err
	}
	if strings.HasPrefix(cleanDst+"/", cleanSrc+"/") && cleanDst != cleanSrc {
		return &fs.PathError{Op: "rename", Path: s.display(cleanDst),
			Err: fmt.Errorf("%w: cannot move %s into itself", ufs.ErrInvalidPath, cleanSrc)}
	}
	if _, err := s.client.Stat(fullSrc); err != nil {
		return s.failLookup("rename", cleanSrc, err)
	}
	if err := s.mkdirParent(cleanDst); err != nil {
		return s.fail("rename", cleanDst, err)
	}
	if err := s.renamer.rename2(ctx, fullSrc, fullDst); err != nil {
		return s.fail("rename", cleanDst, err)
	}
	return nil
}

// mkdirParent creates the missing parents of clean.
func (s *Store) mkdirParent(clean string) error {
	parent := ufs.Parent(clean)
	if parent == "" {
		return nil
	}
	err := s.client.MkdirAll(s.full(parent), directoryMode)
	if err != nil {
		if err = classify(err); errors.Is(err, ufs.ErrExists) {
			err = ufs.ErrNotDirectory
		}
	}
	return err
}

// Open implements ufs.Store.
func (s *Store) Open(ctx context.Context, p string) (io.ReadCloser, error) {
	return s.OpenRange(ctx, p, 0, -1)
}

// OpenRange implements ufs.Store.
func (s *Store) OpenRange(ctx context.Context, p string, offset, length int64) (io.ReadCloser, error) {
	clean, full, err := s.resolve(ctx, "open", p)
	if err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, &fs.PathError{Op: "open", Path: s.display(clean), Err: fmt.Errorf("negative offset %d", offset)}
	}
	f, err := s.client.Open(full)
	if err != nil {
		return nil, s.failLookup("open", clean, err)
	}
	info := f.Stat()
	if info.IsDir() {
		f.Close()
		return nil, s.fail("open", clean, ufs.ErrIsDirectory)
	}
	if offset >= info.Size() {
		f.Close()
		return io.NopCloser(strings.NewReader("")), nil
	}
	if offset > 0 {
		if _, err := f.Seek(offset, io.SeekStart); err != nil {
			f.Close()
			return nil, s.fail("open", clean, err)
		}
	}
	if d, ok := ctx.Deadline(); ok {
		f.SetDeadline(d)
	}
	return &reader{ctx: ctx, file: f, remaining: length}, nil
}

// reader reads a file, or a range of it, until ctx is done.
type reader struct {
	ctx       context.Context
	file      *gohdfs.FileReader
	remaining int64 // bytes left in the range; negative means to the end
}

func (r *reader) Read(b []byte) (int, error) {
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
	if err != nil && err != io.EOF && r.ctx.Err() != nil {
		err = r.ctx.Err()
	}
	return n, err
}

func (r *reader) Close() error { return r.file.Close() }

// classify maps colinmarc and name node errors to ufs sentinels.
func classify(err error) error {
	if err == nil || isSentinel(err) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	class := ""
	var remote gohdfs.Error
	var own *remoteError
	switch {
	case errors.As(err, &own):
		class = own.class
	case errors.As(err, &remote):
		class = remote.Exception()
	}
	switch {
	case strings.HasSuffix(class, "FileNotFoundException"):
		return ufs.ErrNotFound
	case strings.HasSuffix(class, "FileAlreadyExistsException"), strings.HasSuffix(class, "AlreadyBeingCreatedException"):
		return ufs.ErrExists
	case strings.HasSuffix(class, "ParentNotDirectoryException"):
		return ufs.ErrNotDirectory
	case strings.HasSuffix(class, "PathIsNotEmptyDirectoryException"):
		return ufs.ErrNotEmpty
	case strings.HasSuffix(class, "AccessControlException"):
		return fmt.Errorf("%w: %v", fs.ErrPermission, err)
	case errors.Is(err, syscall.ENOTEMPTY):
		return ufs.ErrNotEmpty
	case errors.Is(err, fs.ErrNotExist):
		return ufs.ErrNotFound
	case errors.Is(err, fs.ErrExist):
		return ufs.ErrExists
	}
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		return classify(pathErr.Err)
	}
	return err
}

func isSentinel(err error) bool {
	for _, sentinel := range []error{
		ufs.ErrNotFound, ufs.ErrExists, ufs.ErrNotEmpty, ufs.ErrNotDirectory,
		ufs.ErrIsDirectory, ufs.ErrUnsupported, ufs.ErrInvalidPath, ufs.ErrClosed,
	} {
		if errors.Is(err, sentinel) {
			return true
		}
	}
	return false
}
