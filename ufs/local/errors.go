package local

import (
	"errors"
	"io/fs"
	"os"
	"syscall"

	"github.com/halo-fs/halo/ufs"
)

// classify maps an OS error to the ufs sentinel it means. Errors with no
// sentinel keep their errno (EACCES, EIO, ENOSPC, …), stripped of the OS
// path, which the caller's *fs.PathError replaces with the store path.
func classify(err error) error {
	switch {
	case isUFSSentinel(err):
		return err
	// ENOTEMPTY satisfies errors.Is(err, fs.ErrExist), so it is tested first.
	case errors.Is(err, syscall.ENOTEMPTY):
		return ufs.ErrNotEmpty
	case errors.Is(err, syscall.ENOTDIR):
		return ufs.ErrNotDirectory
	case errors.Is(err, syscall.EISDIR):
		return ufs.ErrIsDirectory
	case errors.Is(err, fs.ErrNotExist):
		return ufs.ErrNotFound
	case errors.Is(err, fs.ErrExist):
		return ufs.ErrExists
	}
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		return pathErr.Err
	}
	var linkErr *os.LinkError
	if errors.As(err, &linkErr) {
		return linkErr.Err
	}
	return err
}

func isUFSSentinel(err error) bool {
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
