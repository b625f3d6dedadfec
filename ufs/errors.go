package ufs

import "errors"

// Errors returned by stores, wrapped in an *fs.PathError that names the path.
// Test for them with errors.Is.
var (
	ErrNotFound     = errors.New("not found")
	ErrExists       = errors.New("already exists")
	ErrNotEmpty     = errors.New("directory not empty")
	ErrNotDirectory = errors.New("not a directory")
	ErrIsDirectory  = errors.New("is a directory")
	ErrUnsupported  = errors.New("not supported")
	ErrInvalidPath  = errors.New("invalid path")
	// ErrClosed is returned by a closed Store or Writer.
	ErrClosed = errors.New("already closed")
)
