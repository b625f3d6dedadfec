package ufs

import (
	"errors"
	"strings"
	"testing"
)

func TestParseURI(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want URI
	}{
		{"/", URI{"file", "", "/"}},
		{"/data/halo", URI{"file", "", "/data/halo"}},
		{"/data//halo/./x/", URI{"file", "", "/data/halo/x"}},
		{"file:///data/halo", URI{"file", "", "/data/halo"}},
		{"file:/data/halo", URI{"file", "", "/data/halo"}},
		{"FILE:///data", URI{"file", "", "/data"}},
		{"file://localhost/data", URI{"file", "localhost", "/data"}},
		{"s3://bucket", URI{"s3", "bucket", "/"}},
		{"s3://bucket/", URI{"s3", "bucket", "/"}},
		{"s3a://bucket/prefix/journal/", URI{"s3a", "bucket", "/prefix/journal"}},
		{"hdfs://namenode:8020/alluxio/journal", URI{"hdfs", "namenode:8020", "/alluxio/journal"}},
		{"hdfs://[::1]:8020/x", URI{"hdfs", "[::1]:8020", "/x"}},
		{"hdfs:///default/fs", URI{"hdfs", "", "/default/fs"}},
		{"/with space/файл ✓ 100%?#", URI{"file", "", "/with space/файл ✓ 100%?#"}},
		{"my-scheme+v1.2://a/b", URI{"my-scheme+v1.2", "a", "/b"}},
	} {
		got, err := ParseURI(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseURI(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

func TestParseURIRefuses(t *testing.T) {
	for in, reason := range map[string]string{
		"":                   "empty",
		"relative/path":      "relative path",
		"./x":                "relative path",
		"dir/a:b":            "relative path",
		"c:relative":         "want c://authority/path",
		`C:\windows`:         `want c://authority/path`,
		"1s3://bucket":       "invalid scheme",
		"s_3://bucket":       "invalid scheme",
		"://bucket":          "invalid scheme",
		"/nul\x00":           "NUL",
		"s3://buck\x00et/x":  "NUL",
		"/bad\xffutf8":       "UTF-8",
		"/a/../b":            `".."`,
		"s3://bucket/..":     `".."`,
		"s3://bu cket/x":     "invalid character",
		"s3://bucket?x=1/y":  "invalid character",
		"hdfs://host#frag/x": "invalid character",
	} {
		_, err := ParseURI(in)
		if !errors.Is(err, ErrInvalidPath) || !strings.Contains(err.Error(), reason) {
			t.Errorf("ParseURI(%q) = %v; want %v mentioning %s", in, err, ErrInvalidPath, reason)
		}
	}
}

func TestURIString(t *testing.T) {
	for in, want := range map[string]string{
		"/data":                 "file:///data",
		"file:/data/":           "file:///data",
		"s3://bucket":           "s3://bucket/",
		"hdfs://nn:8020/a/b/":   "hdfs://nn:8020/a/b",
		"file://localhost/data": "file://localhost/data",
	} {
		u, err := ParseURI(in)
		if err != nil {
			t.Fatal(err)
		}
		if u.String() != want {
			t.Errorf("ParseURI(%q).String() = %q, want %q", in, u.String(), want)
		}
	}
}

// FuzzParseURI checks that whatever ParseURI accepts is well formed and
// prints to a string that parses back to the same URI.
func FuzzParseURI(f *testing.F) {
	for _, seed := range []string{
		"/data/halo", "file:///x", "file:/x", "s3://bucket/prefix", "s3a://b", "hdfs://nn:8020/j",
		"hdfs:///x", "relative", "", "/a/../b", "s3://bucket//x/./y/", "/файл ✓", "x:", "a:b:c",
		"file://", "//host/x", "s3://[::1]:9000/b",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseURI(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidPath) {
				t.Fatalf("ParseURI(%q) error %v does not wrap ErrInvalidPath", s, err)
			}
			return
		}
		if !validScheme(u.Scheme) || u.Scheme != strings.ToLower(u.Scheme) {
			t.Fatalf("ParseURI(%q): scheme %q", s, u.Scheme)
		}
		if !strings.HasPrefix(u.Path, "/") || strings.Contains(u.Path, "//") ||
			(u.Path != "/" && strings.HasSuffix(u.Path, "/")) {
			t.Fatalf("ParseURI(%q): path %q is not absolute and clean", s, u.Path)
		}
		if clean, err := CleanPath(u.Path); err != nil || "/"+clean != u.Path {
			t.Fatalf("ParseURI(%q): path %q does not survive CleanPath: %q, %v", s, u.Path, clean, err)
		}
		if strings.ContainsAny(u.Authority, "/\\?# \x00") {
			t.Fatalf("ParseURI(%q): authority %q", s, u.Authority)
		}
		again, err := ParseURI(u.String())
		if err != nil || again != u {
			t.Fatalf("ParseURI(%q) = %+v prints as %q, which parses to %+v, %v", s, u, u.String(), again, err)
		}
	})
}

func TestPathUnder(t *testing.T) {
	for _, tt := range []struct {
		root, file, want string
		ok               bool
	}{
		{"/data/ufs", "/data/ufs/a/b", "a/b", true},
		{"file:///data/ufs/", "/data/ufs/a", "a", true},
		{"s3://bucket/base", "s3://bucket/base/x", "x", true},
		{"/data/ufs", "/data/ufs2/a", "", false},
		{"s3://bucket/base", "s3://other/base/x", "", false},
	} {
		if got, ok := PathUnder(tt.root, tt.file); got != tt.want || ok != tt.ok {
			t.Errorf("PathUnder(%q, %q) = %q, %v; want %q, %v", tt.root, tt.file, got, ok, tt.want, tt.ok)
		}
	}
}
