package local

import (
	"errors"

	"golang.org/x/sys/unix"
)

// renameNoReplace renames src to dst unless dst exists, in one step. It
// returns errNoReplaceUnsupported where the file system cannot do that
// (renameat2 arrived in Linux 3.15, and some network and FUSE file systems
// still reject the flag).
func renameNoReplace(src, dst string) error {
	err := unix.Renameat2(unix.AT_FDCWD, src, unix.AT_FDCWD, dst, unix.RENAME_NOREPLACE)
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EOPNOTSUPP) {
		return errNoReplaceUnsupported
	}
	return err
}
