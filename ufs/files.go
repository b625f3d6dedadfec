package ufs

import (
	"bytes"
	"context"
	"errors"
	"io"
)

// ReadFile returns the contents of the file path.
func ReadFile(ctx context.Context, s Store, path string) ([]byte, error) {
	r, err := s.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(r)
	if closeErr := r.Close(); err == nil {
		err = closeErr
	}
	return data, err
}

// WriteFile writes data as the file path, all at once or not at all.
func WriteFile(ctx context.Context, s Store, path string, data []byte, opts CreateOptions) error {
	return WriteFileFrom(ctx, s, path, bytes.NewReader(data), opts)
}

// WriteFileFrom is WriteFile for data that is not one slice (a Raft
// snapshot held in chunks).
func WriteFileFrom(ctx context.Context, s Store, path string, data io.WriterTo, opts CreateOptions) error {
	w, err := s.Create(ctx, path, opts)
	if err != nil {
		return err
	}
	defer w.Abort()
	if _, err := data.WriteTo(w); err != nil {
		return err
	}
	return w.Close()
}

// Exists reports whether path names a file or directory. Errors other than
// ErrNotFound are returned, since they leave the answer unknown.
func Exists(ctx context.Context, s Store, path string) (bool, error) {
	_, err := s.Stat(ctx, path)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, ErrNotFound):
		return false, nil
	default:
		return false, err
	}
}
