package fsm

import (
	"strings"
	"unicode/utf8"

	"github.com/halo-fs/halo/fserr"
)

// Path limits, as POSIX-like file systems usually set them.
const (
	MaxComponentBytes = 255
	MaxPathBytes      = 4096
)

// SplitPath validates an absolute, '/'-separated path and returns its
// components ("/" gives none). A trailing slash is accepted ("/a/" is "/a");
// empty, "." and ".." components, NUL bytes, invalid UTF-8 and over-long
// names are refused with an InvalidPath error that names the problem.
func SplitPath(p string) ([]string, error) {
	if p == "" {
		return nil, fserr.New(fserr.InvalidPath, "invalid path %q: path is empty", p)
	}
	if len(p) > MaxPathBytes {
		return nil, fserr.New(fserr.InvalidPath, "invalid path: %d bytes is longer than the limit of %d", len(p), MaxPathBytes)
	}
	if p[0] != '/' {
		return nil, fserr.New(fserr.InvalidPath, "invalid path %q: path must be absolute (start with /)", p)
	}
	if strings.IndexByte(p, 0) >= 0 {
		return nil, fserr.New(fserr.InvalidPath, "invalid path %q: path contains a NUL byte", p)
	}
	if !utf8.ValidString(p) {
		// Names are protobuf strings in entries and checkpoints, which
		// must be UTF-8; refusing here keeps a bad name from making every
		// later checkpoint fail.
		return nil, fserr.New(fserr.InvalidPath, "invalid path %q: not valid UTF-8", p)
	}
	if p == "/" {
		return nil, nil
	}
	// One trailing slash is dropped; "//" is then an empty component.
	trimmed := strings.TrimSuffix(p[1:], "/")
	parts := strings.Split(trimmed, "/")
	for _, c := range parts {
		switch {
		case c == "":
			return nil, fserr.New(fserr.InvalidPath, "invalid path %q: empty component (double slash)", p)
		case c == "." || c == "..":
			return nil, fserr.New(fserr.InvalidPath, "invalid path %q: component %q is not allowed", p, c)
		case len(c) > MaxComponentBytes:
			return nil, fserr.New(fserr.InvalidPath, "invalid path %q: component of %d bytes is longer than the limit of %d", p, len(c), MaxComponentBytes)
		}
	}
	return parts, nil
}

// CleanPath validates p and returns its canonical form (no trailing slash).
func CleanPath(p string) (string, error) {
	parts, err := SplitPath(p)
	if err != nil {
		return "", err
	}
	return "/" + strings.Join(parts, "/"), nil
}

// JoinPath joins components into an absolute path.
func JoinPath(parts []string) string {
	return "/" + strings.Join(parts, "/")
}

// isPrefix reports whether components a are a prefix of (or equal to) b.
func isPrefix(a, b []string) bool {
	if len(a) > len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
