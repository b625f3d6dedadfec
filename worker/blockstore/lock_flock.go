//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package blockstore

import (
	"errors"
	"os"
	"syscall"
)

// tryLock takes an exclusive advisory lock on f without waiting; the
// kernel drops it when the process dies, so a killed worker leaves no
// stale lock. It reports false when another holder has it.
func tryLock(f *os.File) (bool, error) {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return false, nil
	}
	return err == nil, err
}
