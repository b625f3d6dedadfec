//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package journal

import (
	"errors"
	"os"
)

var errWouldBlock = errors.New("lock would block")

// lockFile does nothing where flock is unavailable: the folder is then not
// protected against a second process.
func lockFile(*os.File) error { return nil }
