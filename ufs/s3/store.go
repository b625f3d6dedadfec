// Package s3 is the ufs.Store adapter for S3 and S3-compatible object stores
// such as MinIO (the s3:// and s3a:// schemes), over minio-go.
//
// A store is rooted at s3://bucket/prefix. A file is the object
// bucket/prefix/path. A directory is a key prefix ending in "/": it exists
// while any object lies under it, or while the zero-byte marker object
// "path/" does; Mkdirs writes that marker, and a delete that removes the last
// entry of a directory writes the parent's marker so that the directory
// stays, as on a file system (Hadoop's S3A does the same).
//
// Writes: a Writer buffers up to Config.PartSize bytes. A file no larger
// than that is one PUT at Close. A larger one becomes a multipart upload,
// started when the first part is full, with one part uploading while the
// next fills, so a writer holds at most two parts in memory; Close completes
// the upload and Abort aborts it by its upload id, so nothing is published
// and no parts are left behind. Create without Overwrite sends
// "If-None-Match: *" with the PUT or the CompleteMultipartUpload, so the
// store decides at commit time and of concurrent creators exactly one wins
// (AWS S3 since 2024 and MinIO honour it; a store that ignores the header
// would silently let the last writer win, which the conformance suite
// catches).
//
// What S3 cannot do, and what the adapter therefore reports in
// Capabilities: Rename is a copy and a delete, not atomic (a crash between
// them leaves both), and directories cannot be renamed; there is no append
// and no flush, so a file is visible only whole, after Close. Objects have no
// owner, group or mode, and directories have no modification time.
//
// For a journal this means one new object per batch, named so that a
// listing orders them, with the no-overwrite create as the fence between two
// masters that both believe they lead; an append-and-flush log does not fit.
//
// Every request is bounded: dialing by Config.ConnectTimeout, waiting for a
// response by Config.ResponseTimeout, retries by Config.MaxRetries, and Open
// checks the bucket within Config.ProbeTimeout, so wrong credentials, an
// unreachable endpoint or a missing bucket fail within seconds.
package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/halo-fs/halo/ufs"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/s3utils"
)

// Store is a ufs.Store over the objects under one prefix of one bucket.
type Store struct {
	client    *minio.Client
	core      minio.Core
	transport *http.Transport
	bucket    string
	prefix    string // "" or a key prefix ending in "/"
	uri       string
	cfg       Config
	closed    atomic.Bool
}

var _ ufs.Store = (*Store)(nil)

// Open is the ufs.Opener for s3:// and s3a:// URIs. It reads the options with
// ConfigFromOptions.
func Open(ctx context.Context, root ufs.URI, options map[string]string) (ufs.Store, error) {
	cfg, err := ConfigFromOptions(options)
	if err != nil {
		return nil, err
	}
	return New(ctx, root, cfg)
}

// New opens the store rooted at root (s3://bucket/prefix) and checks that
// the bucket exists and the credentials may read it.
func New(ctx context.Context, root ufs.URI, cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := s3utils.CheckValidBucketNameStrict(root.Authority); err != nil {
		return nil, fmt.Errorf("s3: %s: %w: bucket %q: %v", root, ufs.ErrInvalidPath, root.Authority, err)
	}
	endpoint := cfg.Endpoint
	if endpoint == "" {
		endpoint = "s3.amazonaws.com"
	}
	transport, err := minio.DefaultTransport(cfg.Secure)
	if err != nil {
		return nil, fmt.Errorf("s3: %w", err)
	}
	transport.DialContext = (&net.Dialer{Timeout: cfg.ConnectTimeout, KeepAlive: 30e9}).DialContext
	transport.TLSHandshakeTimeout = cfg.ConnectTimeout
	transport.ResponseHeaderTimeout = cfg.ResponseTimeout
	var creds *credentials.Credentials
	if cfg.AccessKey != "" {
		creds = credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, cfg.SessionToken)
	} else {
		creds = credentials.New(&credentials.Static{})
	}
	lookup := minio.BucketLookupAuto
	if cfg.PathStyle {
		lookup = minio.BucketLookupPath
	}
	client, err := minio.New(endpoint, &minio.Options{
		Creds:        creds,
		Secure:       cfg.Secure,
		Region:       cfg.Region,
		BucketLookup: lookup,
		Transport:    transport,
		MaxRetries:   cfg.MaxRetries,
	})
	if err != nil {
		return nil, fmt.Errorf("s3: endpoint %s: %w", endpoint, err)
	}
	s := &Store{
		client:    client,
		core:      minio.Core{Client: client},
		transport: transport,
		bucket:    root.Authority,
		uri:       root.String(),
		cfg:       cfg,
	}
	if p := strings.TrimPrefix(root.Path, "/"); p != "" {
		s.prefix = p + "/"
	}
	if err := s.probe(ctx, endpoint); err != nil {
		transport.CloseIdleConnections()
		return nil, err
	}
	return s, nil
}

// probe checks the bucket once, so that a bad configuration fails at Open.
func (s *Store) probe(ctx context.Context, endpoint string) error {
	probeCtx, cancel := context.WithTimeout(ctx, s.cfg.ProbeTimeout)
	defer cancel()
	exists, err := s.client.BucketExists(probeCtx, s.bucket)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		resp := minio.ToErrorResponse(err)
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			return fmt.Errorf("s3: %s: no answer from endpoint %s within %v: %w", s.uri, endpoint, s.cfg.ProbeTimeout, err)
		case resp.StatusCode == http.StatusForbidden || resp.Code == "InvalidAccessKeyId" || resp.Code == "SignatureDoesNotMatch" || resp.Code == "AccessDenied":
			return fmt.Errorf("s3: %s: endpoint %s refused the credentials (access key %q): %w: %v",
				s.uri, endpoint, s.cfg.AccessKey, fs.ErrPermission, err)
		}
		return fmt.Errorf("s3: %s: cannot reach endpoint %s: %w", s.uri, endpoint, err)
	}
	if !exists {
		return fmt.Errorf("s3: %s: bucket %q does not exist at endpoint %s: %w", s.uri, s.bucket, endpoint, ufs.ErrNotFound)
	}
	return nil
}

// URI implements ufs.Store.
func (s *Store) URI() string { return s.uri }

// Capabilities implements ufs.Store.
func (s *Store) Capabilities() ufs.Capabilities {
	return ufs.Capabilities{ConditionalCreate: true}
}

// Close implements ufs.Store.
func (s *Store) Close() error {
	if !s.closed.Swap(true) {
		s.transport.CloseIdleConnections()
	}
	return nil
}

// resolve checks that the store is open and ctx is live, and cleans p.
func (s *Store) resolve(ctx context.Context, op, p string) (string, error) {
	if s.closed.Load() {
		return "", &fs.PathError{Op: op, Path: s.uri, Err: ufs.ErrClosed}
	}
	if err := ctx.Err(); err != nil {
		return "", &fs.PathError{Op: op, Path: ufs.Join(s.uri, p), Err: err}
	}
	clean, err := ufs.CleanPath(p)
	if err != nil {
		return "", &fs.PathError{Op: op, Path: s.uri, Err: err}
	}
	return clean, nil
}

// key is the object key of the file clean; dirPrefix is the key prefix of
// the directory clean, which is also its marker object's key.
func (s *Store) key(clean string) string { return s.prefix + clean }

func (s *Store) dirPrefix(clean string) string {
	if clean == "" {
		return s.prefix
	}
	return s.prefix + clean + "/"
}

func (s *Store) display(clean string) string { return ufs.Join(s.uri, clean) }

func (s *Store) fail(op, clean string, err error) error {
	return &fs.PathError{Op: op, Path: s.display(clean), Err: classify(err)}
}

func refuseRoot(s *Store, op, clean string) error {
	if clean == "" {
		return &fs.PathError{Op: op, Path: s.uri,
			Err: fmt.Errorf("%w: refusing to %s the root of the store", ufs.ErrInvalidPath, op)}
	}
	return nil
}

// headFile returns the object that is the file clean, or ErrNotFound.
func (s *Store) headFile(ctx context.Context, clean string) (minio.ObjectInfo, error) {
	info, err := s.client.StatObject(ctx, s.bucket, s.key(clean), minio.StatObjectOptions{})
	return info, classify(err)
}

// dirExists reports whether anything lies under the directory prefix of
// clean, its marker included.
func (s *Store) dirExists(ctx context.Context, clean string) (bool, error) {
	for obj := range s.client.ListObjectsIter(ctx, s.bucket, minio.ListObjectsOptions{
		Prefix: s.dirPrefix(clean), MaxKeys: 1,
	}) {
		if obj.Err != nil {
			return false, classify(obj.Err)
		}
		return true, nil
	}
	return false, nil
}

// checkAncestors fails with ErrNotDirectory if a proper ancestor of clean is
// a file, as a file system would.
func (s *Store) checkAncestors(ctx context.Context, clean string) error {
	for i := 0; i < len(clean); i++ {
		if clean[i] != '/' {
			continue
		}
		_, err := s.headFile(ctx, clean[:i])
		switch {
		case err == nil:
			return fmt.Errorf("%w: %s is a file", ufs.ErrNotDirectory, clean[:i])
		case !errors.Is(err, ufs.ErrNotFound):
			return err
		}
	}
	return nil
}

// Stat implements ufs.Store. A file shadows a directory of the same name,
// which only a tool other than Halo can create.
func (s *Store) Stat(ctx context.Context, p string) (ufs.Status, error) {
	clean, err := s.resolve(ctx, "stat", p)
	if err != nil {
		return ufs.Status{}, err
	}
	if clean == "" {
		return ufs.Status{IsDir: true}, nil
	}
	info, err := s.headFile(ctx, clean)
	if err == nil {
		return fileStatus(clean, info), nil
	}
	if !errors.Is(err, ufs.ErrNotFound) {
		return ufs.Status{}, s.fail("stat", clean, err)
	}
	isDir, err := s.dirExists(ctx, clean)
	if err != nil {
		return ufs.Status{}, s.fail("stat", clean, err)
	}
	if !isDir {
		return ufs.Status{}, s.fail("stat", clean, ufs.ErrNotFound)
	}
	return dirStatus(clean), nil
}

func fileStatus(clean string, info minio.ObjectInfo) ufs.Status {
	return ufs.Status{
		Name:    ufs.Base(clean),
		Path:    clean,
		Length:  info.Size,
		ModTime: info.LastModified,
	}
}

func dirStatus(clean string) ufs.Status {
	return ufs.Status{Name: ufs.Base(clean), Path: clean, IsDir: true}
}

// listDir returns the entries of the directory clean, sorted by name, and
// whether the directory exists (has a marker or any entry).
func (s *Store) listDir(ctx context.Context, clean string) ([]ufs.Status, bool, error) {
	prefix := s.dirPrefix(clean)
	var entries []ufs.Status
	found := false
	for obj := range s.client.ListObjectsIter(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix}) {
		if obj.Err != nil {
			return nil, false, classify(obj.Err)
		}
		found = true
		name := strings.TrimPrefix(obj.Key, prefix)
		isDir := strings.HasSuffix(name, "/")
		name = strings.TrimSuffix(name, "/")
		// The marker of the directory itself, and keys no clean path can
		// name ("a//b", "./x"), are not entries.
		if name == "" || name == "." || name == ".." || strings.Contains(name, "/") {
			continue
		}
		child := ufs.Child(clean, name)
		if isDir {
			entries = append(entries, dirStatus(child))
		} else {
			entries = append(entries, fileStatus(child, obj))
		}
	}
	// Keys sort "a-b" < "a/" < "a0" but names sort "a" < "a-b": sort by name,
	// and let a file shadow a directory of the same name, as Stat does.
	slices.SortStableFunc(entries, func(a, b ufs.Status) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		switch {
		case a.IsDir == b.IsDir:
			return 0
		case a.IsDir:
			return 1
		}
		return -1
	})
	entries = slices.CompactFunc(entries, func(a, b ufs.Status) bool { return a.Name == b.Name })
	return entries, found, nil
}

// notDirectory explains why listing clean found nothing: it is a file, or it
// does not exist.
func (s *Store) notDirectory(ctx context.Context, op, clean string) error {
	_, err := s.headFile(ctx, clean)
	switch {
	case err == nil:
		return s.fail(op, clean, ufs.ErrNotDirectory)
	case errors.Is(err, ufs.ErrNotFound):
		return s.fail(op, clean, ufs.ErrNotFound)
	}
	return s.fail(op, clean, err)
}

// List implements ufs.Store. It reads every page of the listing.
func (s *Store) List(ctx context.Context, p string) ([]ufs.Status, error) {
	clean, err := s.resolve(ctx, "list", p)
	if err != nil {
		return nil, err
	}
	entries, found, err := s.listDir(ctx, clean)
	if err != nil {
		return nil, s.fail("list", clean, err)
	}
	if !found && clean != "" {
		return nil, s.notDirectory(ctx, "list", clean)
	}
	return entries, nil
}

// Walk implements ufs.Store, with one listing per directory.
func (s *Store) Walk(ctx context.Context, p string, fn func(ufs.Status) error) error {
	clean, err := s.resolve(ctx, "walk", p)
	if err != nil {
		return err
	}
	entries, found, err := s.listDir(ctx, clean)
	if err != nil {
		return s.fail("walk", clean, err)
	}
	if !found && clean != "" {
		return s.notDirectory(ctx, "walk", clean)
	}
	return s.walkEntries(ctx, entries, fn)
}

func (s *Store) walkEntries(ctx context.Context, entries []ufs.Status, fn func(ufs.Status) error) error {
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
		children, _, err := s.listDir(ctx, st.Path)
		if err != nil {
			return s.fail("walk", st.Path, err)
		}
		if err := s.walkEntries(ctx, children, fn); err != nil {
			return err
		}
	}
	return nil
}

// putMarker writes the zero-byte object that keeps the directory clean in
// existence when it has no entries.
func (s *Store) putMarker(ctx context.Context, clean string) error {
	if clean == "" {
		return nil
	}
	_, err := s.core.PutObject(ctx, s.bucket, s.dirPrefix(clean), strings.NewReader(""), 0, "", "",
		minio.PutObjectOptions{ContentType: "application/x-directory"})
	return classify(err)
}

// keepParent writes the marker of clean's parent after clean was removed,
// so that removing a directory's last entry does not remove the directory.
func (s *Store) keepParent(ctx context.Context, clean string) error {
	return s.putMarker(ctx, ufs.Parent(clean))
}

// Mkdirs implements ufs.Store. Only the last directory gets a marker: its
// parents exist because it lies under them.
func (s *Store) Mkdirs(ctx context.Context, p string) error {
	clean, err := s.resolve(ctx, "mkdirs", p)
	if err != nil || clean == "" {
		return err
	}
	if err := s.checkAncestors(ctx, clean); err != nil {
		return s.fail("mkdirs", clean, err)
	}
	switch _, err := s.headFile(ctx, clean); {
	case err == nil:
		return s.fail("mkdirs", clean, ufs.ErrExists)
	case !errors.Is(err, ufs.ErrNotFound):
		return s.fail("mkdirs", clean, err)
	}
	if err := s.putMarker(ctx, clean); err != nil {
		return s.fail("mkdirs", clean, err)
	}
	return nil
}

// Delete implements ufs.Store.
func (s *Store) Delete(ctx context.Context, p string) error {
	clean, err := s.resolve(ctx, "delete", p)
	if err != nil {
		return err
	}
	if err := refuseRoot(s, "delete", clean); err != nil {
		return err
	}
	_, err = s.headFile(ctx, clean)
	switch {
	case err == nil:
		err = s.removeObject(ctx, s.key(clean))
	case errors.Is(err, ufs.ErrNotFound):
		err = s.deleteEmptyDir(ctx, clean)
	}
	if err == nil {
		err = s.keepParent(ctx, clean)
	}
	if err != nil {
		return s.fail("delete", clean, err)
	}
	return nil
}

// deleteEmptyDir removes the marker of the directory clean if nothing else
// lies under it.
func (s *Store) deleteEmptyDir(ctx context.Context, clean string) error {
	marker := s.dirPrefix(clean)
	seen := 0
	for obj := range s.client.ListObjectsIter(ctx, s.bucket, minio.ListObjectsOptions{
		Prefix: marker, Recursive: true, MaxKeys: 2,
	}) {
		if obj.Err != nil {
			return classify(obj.Err)
		}
		if obj.Key != marker {
			return ufs.ErrNotEmpty
		}
		if seen++; seen >= 2 {
			break
		}
	}
	if seen == 0 {
		return ufs.ErrNotFound
	}
	return s.removeObject(ctx, marker)
}

func (s *Store) removeObject(ctx context.Context, key string) error {
	return classify(s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{}))
}

// DeleteAll implements ufs.Store: it deletes the object clean and every
// object under clean + "/", in batches of up to 1,000 keys.
func (s *Store) DeleteAll(ctx context.Context, p string) error {
	clean, err := s.resolve(ctx, "delete", p)
	if err != nil {
		return err
	}
	if err := refuseRoot(s, "delete", clean); err != nil {
		return err
	}
	_, err = s.headFile(ctx, clean)
	isFile := err == nil
	if err != nil && !errors.Is(err, ufs.ErrNotFound) {
		return s.fail("delete", clean, err)
	}
	listCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	keys := make(chan minio.ObjectInfo)
	var listErr error
	found := isFile
	listed := make(chan struct{})
	go func() {
		defer close(listed)
		defer close(keys)
		if isFile {
			select {
			case keys <- minio.ObjectInfo{Key: s.key(clean)}:
			case <-listCtx.Done():
				return
			}
		}
		for obj := range s.client.ListObjectsIter(listCtx, s.bucket, minio.ListObjectsOptions{
			Prefix: s.dirPrefix(clean), Recursive: true,
		}) {
			if obj.Err != nil {
				listErr = obj.Err
				return
			}
			found = true
			select {
			case keys <- minio.ObjectInfo{Key: obj.Key}:
			case <-listCtx.Done():
				return
			}
		}
	}()
	var removeErr error
	for e := range s.client.RemoveObjects(listCtx, s.bucket, keys, minio.RemoveObjectsOptions{}) {
		if removeErr == nil {
			removeErr = fmt.Errorf("remove %s: %w", e.ObjectName, e.Err)
			cancel()
		}
	}
	cancel()
	<-listed
	err = errors.Join(removeErr, listErr)
	if err == nil {
		err = ctx.Err()
	}
	if err == nil && found {
		err = s.keepParent(ctx, clean)
	}
	if err != nil {
		return s.fail("delete", clean, err)
	}
	return nil
}

// Rename implements ufs.Store for files, as a server-side copy and a delete:
// not atomic, and a crash between the two leaves both. The destination is
// checked first, and the copy is conditional on it not existing where the
// server supports that.
func (s *Store) Rename(ctx context.Context, src, dst string) error {
	cleanSrc, err := s.resolve(ctx, "rename", src)
	if err != nil {
		return err
	}
	cleanDst, err := s.resolve(ctx, "rename", dst)
	if err != nil {
		return err
	}
	if err := refuseRoot(s, "rename", cleanSrc); err != nil {
		return err
	}
	info, err := s.headFile(ctx, cleanSrc)
	if errors.Is(err, ufs.ErrNotFound) {
		isDir, dirErr := s.dirExists(ctx, cleanSrc)
		switch {
		case dirErr != nil:
			err = dirErr
		case isDir:
			err = fmt.Errorf("%w: an object store cannot rename a directory", ufs.ErrUnsupported)
		}
	}
	if err != nil {
		return s.fail("rename", cleanSrc, err)
	}
	if err := s.checkFree(ctx, cleanDst); err != nil {
		return s.fail("rename", cleanDst, err)
	}
	if err := s.copyObject(ctx, cleanSrc, cleanDst, info.Size); err != nil {
		return s.fail("rename", cleanDst, err)
	}
	err = s.removeObject(ctx, s.key(cleanSrc))
	if err == nil {
		err = s.keepParent(ctx, cleanSrc)
	}
	if err != nil {
		return s.fail("rename", cleanSrc, err)
	}
	return nil
}

// checkFree fails unless clean could become a new file: nothing is there,
// and no ancestor is a file.
func (s *Store) checkFree(ctx context.Context, clean string) error {
	if clean == "" {
		return ufs.ErrExists
	}
	switch _, err := s.headFile(ctx, clean); {
	case err == nil:
		return ufs.ErrExists
	case !errors.Is(err, ufs.ErrNotFound):
		return err
	}
	if isDir, err := s.dirExists(ctx, clean); err != nil || isDir {
		if err == nil {
			err = ufs.ErrExists
		}
		return err
	}
	return s.checkAncestors(ctx, clean)
}

func (s *Store) copyObject(ctx context.Context, src, dst string, size int64) error {
	from := minio.CopySrcOptions{Bucket: s.bucket, Object: s.key(src)}
	if size <= maxCopySize {
		opts := minio.PutObjectOptions{}
		opts.SetMatchETagExcept("*")
		_, err := s.core.CopyObject(ctx, s.bucket, s.key(src), s.bucket, s.key(dst), nil, from, opts)
		return classify(err)
	}
	// Larger objects are copied part by part.
	_, err := s.client.ComposeObject(ctx, minio.CopyDestOptions{Bucket: s.bucket, Object: s.key(dst)}, from)
	return classify(err)
}

// Open implements ufs.Store.
func (s *Store) Open(ctx context.Context, p string) (io.ReadCloser, error) {
	return s.OpenRange(ctx, p, 0, -1)
}

// OpenRange implements ufs.Store.
func (s *Store) OpenRange(ctx context.Context, p string, offset, length int64) (io.ReadCloser, error) {
	clean, err := s.resolve(ctx, "open", p)
	if err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, &fs.PathError{Op: "open", Path: s.display(clean), Err: fmt.Errorf("negative offset %d", offset)}
	}
	if clean == "" {
		return nil, s.fail("open", clean, ufs.ErrIsDirectory)
	}
	opts := minio.GetObjectOptions{}
	switch {
	case length == 0:
		return s.emptyIfFile(ctx, clean)
	case length > 0:
		err = opts.SetRange(offset, offset+length-1)
	case offset > 0:
		err = opts.SetRange(offset, 0)
	}
	if err != nil {
		return nil, s.fail("open", clean, err)
	}
	body, _, _, err := s.core.GetObject(ctx, s.bucket, s.key(clean), opts)
	if err != nil {
		if minio.ToErrorResponse(err).StatusCode == http.StatusRequestedRangeNotSatisfiable {
			return s.emptyIfFile(ctx, clean)
		}
		return nil, s.openFailed(ctx, clean, err)
	}
	return &reader{ctx: ctx, body: body}, nil
}

// emptyIfFile answers a read of no bytes: nothing if clean is a file, the
// error a read would have given otherwise.
func (s *Store) emptyIfFile(ctx context.Context, clean string) (io.ReadCloser, error) {
	if _, err := s.headFile(ctx, clean); err != nil {
		return nil, s.openFailed(ctx, clean, err)
	}
	return io.NopCloser(strings.NewReader("")), nil
}

func (s *Store) openFailed(ctx context.Context, clean string, err error) error {
	err = classify(err)
	if errors.Is(err, ufs.ErrNotFound) {
		if isDir, dirErr := s.dirExists(ctx, clean); dirErr == nil && isDir {
			err = ufs.ErrIsDirectory
		}
	}
	return s.fail("open", clean, err)
}

// reader reads an object's body until ctx is done.
type reader struct {
	ctx  context.Context
	body io.ReadCloser
}

func (r *reader) Read(b []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := r.body.Read(b)
	if err != nil && err != io.EOF && r.ctx.Err() != nil {
		err = r.ctx.Err()
	}
	return n, err
}

func (r *reader) Close() error { return r.body.Close() }
