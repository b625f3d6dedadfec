package ufs

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// URI names a store or a path in one, Hadoop style: scheme://authority/path.
// Unlike RFC 3986 the path is taken literally, with no percent-decoding and
// no query or fragment, because Alluxio configurations write UFS paths that
// way and file names may contain '%', '?' or '#'.
type URI struct {
	// Scheme is lower case: "file", "s3", "s3a", "hdfs", …
	Scheme string
	// Authority is host:port for HDFS, the bucket for S3, and usually empty
	// for file.
	Authority string
	// Path is absolute and clean: "/" or "/a/b", never with a trailing slash.
	Path string
}

// ParseURI parses a store location. A plain absolute path ("/data/halo") is a
// file URI; "file:/data/halo" (the Hadoop form) and "file:///data/halo" are
// the same URI. Empty strings, relative paths, NUL bytes, invalid UTF-8,
// malformed schemes and ".." elements are refused with ErrInvalidPath.
func ParseURI(s string) (URI, error) {
	u, err := parseURI(s)
	if err != nil {
		return URI{}, fmt.Errorf("%w %q: %v", ErrInvalidPath, s, err)
	}
	return u, nil
}

func parseURI(s string) (URI, error) {
	switch {
	case s == "":
		return URI{}, errors.New("empty")
	case strings.IndexByte(s, 0) >= 0:
		return URI{}, errors.New("contains a NUL byte")
	case !utf8.ValidString(s):
		return URI{}, errors.New("not valid UTF-8")
	}
	if strings.HasPrefix(s, "/") {
		p, err := cleanAbsolute(s)
		return URI{Scheme: "file", Path: p}, err
	}
	colon := strings.IndexByte(s, ':')
	if colon < 0 || strings.ContainsRune(s[:colon], '/') {
		return URI{}, errors.New("relative path; want an absolute path or scheme://authority/path")
	}
	scheme := s[:colon]
	if !validScheme(scheme) {
		return URI{}, fmt.Errorf("invalid scheme %q", scheme)
	}
	u := URI{Scheme: strings.ToLower(scheme)}
	rest := s[colon+1:]
	switch {
	case strings.HasPrefix(rest, "//"):
		rest = rest[2:]
		slash := strings.IndexByte(rest, '/')
		if slash < 0 {
			u.Authority, rest = rest, "/"
		} else {
			u.Authority, rest = rest[:slash], rest[slash:]
		}
		if err := checkAuthority(u.Authority); err != nil {
			return URI{}, err
		}
	case strings.HasPrefix(rest, "/"):
	default:
		return URI{}, fmt.Errorf("want %s://authority/path or %s:/path", u.Scheme, u.Scheme)
	}
	p, err := cleanAbsolute(rest)
	u.Path = p
	return u, err
}

// String prints the URI so that ParseURI reads it back unchanged.
func (u URI) String() string {
	return u.Scheme + "://" + u.Authority + u.Path
}

// validScheme follows RFC 3986: a letter, then letters, digits, '+', '-', '.'.
func validScheme(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range []byte(s) {
		isLetter := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		isOther := '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'
		if !isLetter && (i == 0 || !isOther) {
			return false
		}
	}
	return true
}

// checkAuthority refuses characters that cannot appear in a host, port,
// bucket or HDFS nameservice, and that would make the URI print ambiguously.
func checkAuthority(a string) error {
	for _, r := range a {
		if r <= ' ' || r == 0x7f || strings.ContainsRune(`\?#`, r) {
			return fmt.Errorf("invalid character %q in authority %q", r, a)
		}
	}
	return nil
}

func cleanAbsolute(p string) (string, error) {
	clean, err := cleanPath(p)
	if err != nil {
		return "", err
	}
	return "/" + clean, nil
}

// PathUnder returns the path of file inside the store rooted at root
// (both URIs or plain absolute paths), as Store methods take it; ok is
// false when file is not under root.
func PathUnder(root, file string) (rel string, ok bool) {
	r, err := ParseURI(root)
	if err != nil {
		return "", false
	}
	f, err := ParseURI(file)
	if err != nil {
		return "", false
	}
	rel, ok = strings.CutPrefix(f.String(), strings.TrimSuffix(r.String(), "/")+"/")
	if !ok {
		return "", false
	}
	return rel, true
}
