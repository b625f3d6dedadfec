package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/halo-fs/halo/ufs"
	"github.com/minio/minio-go/v7"
)

// abortTimeout bounds the cleanup of a failed or abandoned multipart upload,
// which runs on a fresh context because the writer's own may be done.
const abortTimeout = 10 * time.Second

// conflictRetries is how often a commit is retried when S3 answers 409
// ConditionalRequestConflict: a concurrent conditional write was in flight,
// and the answer is not yet known.
const conflictRetries = 3

// Create implements ufs.Store. The checks it makes (nothing at path, or a
// file with Overwrite; no directory there; no ancestor is a file) fail early;
// with Overwrite false the commit is conditional as well, so a file that
// appears meanwhile still makes Close fail with ErrExists.
func (s *Store) Create(ctx context.Context, p string, opts ufs.CreateOptions) (ufs.Writer, error) {
	clean, err := s.resolve(ctx, "create", p)
	if err != nil {
		return nil, err
	}
	if err := refuseRoot(s, "create", clean); err != nil {
		return nil, err
	}
	_, err = s.headFile(ctx, clean)
	switch {
	case err == nil && !opts.Overwrite:
		return nil, s.fail("create", clean, ufs.ErrExists)
	case err != nil && !errors.Is(err, ufs.ErrNotFound):
		return nil, s.fail("create", clean, err)
	}
	if isDir, err := s.dirExists(ctx, clean); err != nil || isDir {
		if err == nil {
			err = ufs.ErrIsDirectory
		}
		return nil, s.fail("create", clean, err)
	}
	if err := s.checkAncestors(ctx, clean); err != nil {
		return nil, s.fail("create", clean, err)
	}
	put := minio.PutObjectOptions{ContentType: "application/octet-stream"}
	if !opts.Overwrite {
		put.SetMatchETagExcept("*")
	}
	return &writer{ctx: ctx, store: s, clean: clean, key: s.key(clean), put: put, partSize: int(s.cfg.PartSize)}, nil
}

// writer buffers a part at a time. The first full part starts a multipart
// upload; each later one waits for the previous part's upload, so at most
// one part is uploading while the next fills.
type writer struct {
	ctx      context.Context
	store    *Store
	clean    string
	key      string
	put      minio.PutObjectOptions
	partSize int

	buf      []byte
	spare    []byte // the buffer of the last uploaded part, for reuse
	uploadID string
	parts    []minio.CompletePart
	inflight chan partResult // the part being uploaded; nil if none

	failed   error // why a Write failed; the file can then only be discarded
	finished bool  // committed or discarded
}

type partResult struct {
	part minio.CompletePart
	buf  []byte
	err  error
}

func (w *writer) fail(op string, err error) error {
	return w.store.fail(op, w.clean, err)
}

func (w *writer) Write(b []byte) (int, error) {
	if w.finished {
		return 0, w.fail("write", ufs.ErrClosed)
	}
	if w.failed == nil {
		w.failed = w.ctx.Err()
	}
	if w.failed != nil {
		return 0, w.fail("write", w.failed)
	}
	written := 0
	for len(b) > 0 {
		n := min(len(b), w.partSize-len(w.buf))
		w.buf = append(w.buf, b[:n]...)
		b = b[n:]
		written += n
		if len(w.buf) == w.partSize {
			if err := w.sendPart(); err != nil {
				w.failed = err
				return written, w.fail("write", err)
			}
		}
	}
	return written, nil
}

// sendPart starts uploading the full buffer as the next part, after the
// previous part's upload has finished.
func (w *writer) sendPart() error {
	if err := w.waitPart(); err != nil {
		return err
	}
	if w.uploadID == "" {
		id, err := w.store.core.NewMultipartUpload(w.ctx, w.store.bucket, w.key, w.put)
		if err != nil {
			return classify(err)
		}
		w.uploadID = id
	}
	number := len(w.parts) + 1
	data := w.buf
	w.buf, w.spare = w.spare[:0], nil
	result := make(chan partResult, 1)
	w.inflight = result
	go func() {
		part, err := w.store.core.PutObjectPart(w.ctx, w.store.bucket, w.key, w.uploadID, number,
			bytes.NewReader(data), int64(len(data)), minio.PutObjectPartOptions{})
		result <- partResult{
			part: minio.CompletePart{PartNumber: number, ETag: part.ETag},
			buf:  data,
			err:  classify(err),
		}
	}()
	return nil
}

// waitPart waits for the part being uploaded, if any, and records it.
func (w *writer) waitPart() error {
	if w.inflight == nil {
		return nil
	}
	r := <-w.inflight
	w.inflight = nil
	w.spare = r.buf
	if r.err != nil {
		return r.err
	}
	if len(w.parts) >= maxParts {
		return fmt.Errorf("object larger than %d parts of %d bytes; raise %s", maxParts, w.partSize, KeyPartSize)
	}
	w.parts = append(w.parts, r.part)
	return nil
}

func (w *writer) Close() error {
	if w.finished {
		return w.fail("create", ufs.ErrClosed)
	}
	w.finished = true
	err := w.failed
	if err == nil {
		err = w.ctx.Err()
	}
	if err == nil {
		err = w.commit()
	}
	w.buf, w.spare = nil, nil
	if err != nil {
		w.discard()
		return w.fail("create", err)
	}
	return nil
}

// commit publishes the object: one PUT if it fits in a part, else the last
// part and CompleteMultipartUpload.
func (w *writer) commit() error {
	if w.uploadID == "" {
		return retryConflict(func() error {
			_, err := w.store.core.PutObject(w.ctx, w.store.bucket, w.key, bytes.NewReader(w.buf),
				int64(len(w.buf)), "", "", w.put)
			return err
		})
	}
	if len(w.buf) > 0 {
		if err := w.sendPart(); err != nil {
			return err
		}
	}
	if err := w.waitPart(); err != nil {
		return err
	}
	err := retryConflict(func() error {
		_, err := w.store.core.CompleteMultipartUpload(w.ctx, w.store.bucket, w.key, w.uploadID, w.parts, w.put)
		return err
	})
	if err == nil {
		w.uploadID = ""
	}
	return err
}

func retryConflict(commit func() error) error {
	var err error
	for range conflictRetries {
		err = commit()
		if minio.ToErrorResponse(err).Code != "ConditionalRequestConflict" {
			break
		}
	}
	return classify(err)
}

func (w *writer) Abort() error {
	if w.finished {
		return nil
	}
	w.finished = true
	w.buf, w.spare = nil, nil
	if err := w.discard(); err != nil {
		return &fs.PathError{Op: "abort", Path: w.store.display(w.clean), Err: err}
	}
	return nil
}

// discard waits for the part in flight and aborts the multipart upload, so
// that its parts do not linger in the bucket.
func (w *writer) discard() error {
	w.waitPart()
	if w.uploadID == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(w.ctx), abortTimeout)
	defer cancel()
	err := w.store.core.AbortMultipartUpload(ctx, w.store.bucket, w.key, w.uploadID)
	w.uploadID = ""
	return classify(err)
}
