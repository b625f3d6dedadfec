//go:build !unix

package local

import "io/fs"

// ownerCache reports no owners where the OS has no uid/gid file ownership.
type ownerCache struct{}

func (*ownerCache) names(fs.FileInfo) (owner, group string) { return "", "" }
