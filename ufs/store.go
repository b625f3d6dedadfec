// Package ufs defines the under file system (UFS) that Halo persists to and
// mounts from: the Store interface every adapter implements (local path, S3,
// HDFS), the URIs that name stores, the rules for paths inside a store, the
// errors stores return, and the Registry that opens a store by URI scheme.
//
// The interface is shaped by the weakest store it must fit, an object store:
// a new file appears atomically when its writer is closed, there is no append,
// and renaming a directory may be impossible. Capabilities says what a
// particular store can do beyond that.
package ufs

import (
	"context"
	"io"
	"time"
)

// DefaultFileMode is the permission a file gets when CreateOptions.Mode is
// zero. It is a fixed value rather than the process umask so that every
// master writing to a shared store produces the same modes.
const DefaultFileMode uint32 = 0o644

// Status describes a file or directory. Fields a store does not track (an
// object store has no owner, and no modification time for a directory) are
// left at their zero value.
type Status struct {
	// Name is the last element of Path; "" for the root.
	Name string
	// Path is relative to the store's root, in the form CleanPath returns.
	Path    string
	IsDir   bool
	Length  int64 // bytes; 0 for directories
	ModTime time.Time
	Owner   string
	Group   string
	Mode    uint32 // permission bits, 0o777 at most
}

// Capabilities reports what a store can do beyond the guarantees every Store
// gives, so that callers can choose a strategy (for example how to lay out a
// journal) instead of discovering a limit through an error.
type Capabilities struct {
	// AtomicRename: Rename of a file is a single atomic step. On object
	// stores it is a copy followed by a delete, and a crash between the two
	// leaves both.
	AtomicRename bool
	// Append and Flush describe extensions (appending to an existing file; a
	// Writer flush that makes the bytes written so far visible to readers,
	// like HDFS hflush) that no Store method offers yet. They stay false
	// until an adapter implements the extension.
	Append bool
	Flush  bool
	// ConditionalCreate: a Create with Overwrite=false is decided at commit
	// time by the store itself, so of several concurrent creators of one path
	// exactly one succeeds. Without it a store can only check beforehand.
	ConditionalCreate bool
	// DirectoryRename: Rename accepts a directory as its source.
	DirectoryRename bool
}

// CreateOptions controls Store.Create.
type CreateOptions struct {
	// Overwrite replaces an existing file. Without it, Create fails with
	// ErrExists if the path exists, checked again when the writer commits.
	Overwrite bool
	// Mode holds the permission bits of the new file; zero means
	// DefaultFileMode. Stores without permissions ignore it.
	Mode uint32
}

// Store is one under file system, rooted at a URI. Paths given to its methods
// are relative to that root and are cleaned by CleanPath: "" and "/" both
// name the root, and a path with a ".." element is refused with
// ErrInvalidPath. Failures wrap the package's sentinel errors (ErrNotFound,
// ErrExists, …) in an *fs.PathError that names the path, so errors.Is works
// and the message says where. Every method returns ctx's error once ctx is
// done, without waiting for the store. A Store is safe for concurrent use.
type Store interface {
	// URI returns the root of the store, as ParseURI would print it.
	URI() string
	Capabilities() Capabilities

	// Create starts writing a new file, creating missing parent directories.
	// Readers see nothing of it until Writer.Close returns nil, and then
	// they see all of it; Writer.Abort discards it. ctx governs the whole
	// write: once ctx is done, Write and Close fail and nothing is published.
	// Creating a path that is a directory fails with ErrIsDirectory.
	Create(ctx context.Context, path string, opts CreateOptions) (Writer, error)
	// Open reads a whole file. Reading a directory fails with ErrIsDirectory.
	Open(ctx context.Context, path string) (io.ReadCloser, error)
	// OpenRange reads length bytes starting at offset, or up to the end of
	// the file if length is negative. A range reaching past the end is cut
	// short at the end; one starting past the end reads nothing.
	OpenRange(ctx context.Context, path string, offset, length int64) (io.ReadCloser, error)
	// Stat describes path. A path under a file does not exist.
	Stat(ctx context.Context, path string) (Status, error)
	// List returns the direct children of the directory path, sorted by
	// name in byte order. Listing a file fails with ErrNotDirectory.
	List(ctx context.Context, path string) ([]Status, error)
	// Walk calls fn for every descendant of the directory path (not path
	// itself), depth first: a directory, then its contents, siblings sorted
	// as List sorts them. An error from fn stops the walk and is returned.
	Walk(ctx context.Context, path string, fn func(Status) error) error
	// Mkdirs creates the directory path and any missing parents. An existing
	// directory is not an error; an existing file is ErrExists, and a file
	// in place of a parent is ErrNotDirectory.
	Mkdirs(ctx context.Context, path string) error
	// Delete removes a file or an empty directory; a directory with children
	// fails with ErrNotEmpty. Deleting the root is refused (ErrInvalidPath).
	Delete(ctx context.Context, path string) error
	// DeleteAll removes path and everything under it. A missing path is not
	// an error, so that a retried cleanup succeeds. Deleting the root is
	// refused (ErrInvalidPath).
	DeleteAll(ctx context.Context, path string) error
	// Rename moves the file src to dst, creating dst's missing parents. It
	// never replaces: an existing dst fails with ErrExists. A directory src
	// needs Capabilities.DirectoryRename, and otherwise fails with
	// ErrUnsupported.
	Rename(ctx context.Context, src, dst string) error
	// Close releases the store's resources. Later calls to other methods
	// fail with ErrClosed; calling Close again returns nil.
	Close() error
}

// Writer writes a file started by Store.Create. It is not safe for
// concurrent use. After a failed Write the writer can only be aborted: Close
// then discards the file and returns the write's error, so a partial file is
// never published.
type Writer interface {
	io.Writer
	// Close commits the file: when it returns nil the whole file is durable
	// and visible. On error nothing is published. Closing again fails with
	// ErrClosed.
	Close() error
	// Abort discards the file. After Close it does nothing and returns nil,
	// so `defer w.Abort()` is a safe cleanup on every path.
	Abort() error
}
