package ufs

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// CleanPath returns the canonical form of a path inside a store: relative to
// the store's root, elements separated by single slashes, with no leading or
// trailing slash and no "." elements. The root is "".
//
// A ".." element is refused rather than resolved: object stores take it as a
// literal name while file systems resolve it, so no answer would be the same
// on every adapter, and resolving it could climb out of the root. NUL bytes
// and invalid UTF-8 are refused because object-store keys and HDFS paths
// cannot hold them.
func CleanPath(p string) (string, error) {
	clean, err := cleanPath(p)
	if err != nil {
		return "", fmt.Errorf("%w %q: %v", ErrInvalidPath, p, err)
	}
	return clean, nil
}

func cleanPath(p string) (string, error) {
	if strings.IndexByte(p, 0) >= 0 {
		return "", errors.New("contains a NUL byte")
	}
	if !utf8.ValidString(p) {
		return "", errors.New("not valid UTF-8")
	}
	elements := strings.Split(p, "/")
	kept := elements[:0]
	for _, e := range elements {
		switch e {
		case "", ".":
		case "..":
			return "", errors.New(`".." is not allowed`)
		default:
			kept = append(kept, e)
		}
	}
	return strings.Join(kept, "/"), nil
}

// Parent returns the parent of a path in the form CleanPath returns: "" for a
// child of the root, and "" for the root itself.
func Parent(clean string) string {
	i := strings.LastIndexByte(clean, '/')
	if i < 0 {
		return ""
	}
	return clean[:i]
}

// Base returns the last element of a path in the form CleanPath returns, ""
// for the root.
func Base(clean string) string {
	return clean[strings.LastIndexByte(clean, '/')+1:]
}

// Child joins a path in the form CleanPath returns with one more element.
func Child(clean, name string) string {
	if clean == "" {
		return name
	}
	return clean + "/" + name
}

// Join appends rel to base, which is a URI or an absolute path, with exactly
// one slash between them: Join("s3://bucket/halo", "/journal") is
// "s3://bucket/halo/journal". Neither argument is otherwise cleaned, and an
// empty rel returns base unchanged.
func Join(base, rel string) string {
	rel = strings.TrimLeft(rel, "/")
	if rel == "" {
		return base
	}
	trimmed := strings.TrimRight(base, "/")
	// Keep the slashes that are part of the URI syntax, as in "file:///" or
	// "s3://bucket/", rather than trimming them into "file:".
	if trimmed == "" || strings.HasSuffix(trimmed, ":") {
		return base + rel
	}
	return trimmed + "/" + rel
}
