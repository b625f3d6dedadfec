//go:build !linux

package local

// renameNoReplace is only available natively on Linux; elsewhere the
// callers fall back to a hard link, or to a check before renaming.
func renameNoReplace(src, dst string) error {
	return errNoReplaceUnsupported
}
