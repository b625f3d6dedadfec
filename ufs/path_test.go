package ufs

import (
	"errors"
	"strings"
	"testing"
)

func TestCleanPath(t *testing.T) {
	for in, want := range map[string]string{
		"":                 "",
		"/":                "",
		"//":               "",
		".":                "",
		"./":               "",
		"a":                "a",
		"/a/b/":            "a/b",
		"a//b/./c":         "a/b/c",
		"...":              "...",
		"..a/b..":          "..a/b..",
		"dir with space/ф": "dir with space/ф",
	} {
		got, err := CleanPath(in)
		if err != nil || got != want {
			t.Errorf("CleanPath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"..", "/..", "../a", "a/..", "a/../b", "a/b/../../..", "a\x00b", "\xc3"} {
		if got, err := CleanPath(in); !errors.Is(err, ErrInvalidPath) || !strings.Contains(err.Error(), "invalid path") {
			t.Errorf("CleanPath(%q) = %q, %v; want %v", in, got, err, ErrInvalidPath)
		}
	}
}

func TestParentBaseChild(t *testing.T) {
	for _, tc := range []struct{ path, parent, base string }{
		{"", "", ""},
		{"a", "", "a"},
		{"a/b", "a", "b"},
		{"a/b/c", "a/b", "c"},
	} {
		if got := Parent(tc.path); got != tc.parent {
			t.Errorf("Parent(%q) = %q, want %q", tc.path, got, tc.parent)
		}
		if got := Base(tc.path); got != tc.base {
			t.Errorf("Base(%q) = %q, want %q", tc.path, got, tc.base)
		}
		if tc.path != "" {
			if got := Child(tc.parent, tc.base); got != tc.path {
				t.Errorf("Child(%q, %q) = %q, want %q", tc.parent, tc.base, got, tc.path)
			}
		}
	}
}

func TestJoin(t *testing.T) {
	for _, tc := range []struct{ base, rel, want string }{
		{"s3://bucket/halo", "journal", "s3://bucket/halo/journal"},
		{"s3://bucket/halo/", "/journal", "s3://bucket/halo/journal"},
		{"s3://bucket", "journal/x", "s3://bucket/journal/x"},
		{"s3://bucket/", "journal", "s3://bucket/journal"},
		{"file:///", "a", "file:///a"},
		{"file:/", "a", "file:/a"},
		{"file:///tmp//", "//a", "file:///tmp/a"},
		{"/", "a", "/a"},
		{"/data", "a/b", "/data/a/b"},
		{"/data", "", "/data"},
		{"s3://bucket/halo", "/", "s3://bucket/halo"},
	} {
		if got := Join(tc.base, tc.rel); got != tc.want {
			t.Errorf("Join(%q, %q) = %q, want %q", tc.base, tc.rel, got, tc.want)
		}
	}
}

// FuzzCleanPath checks that CleanPath never lets a path out of the root and
// that cleaning is idempotent.
func FuzzCleanPath(f *testing.F) {
	for _, seed := range []string{"", "/", "a/b", "../x", "a/./b//c/", "..a", "a\x00", "файл ✓"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, p string) {
		clean, err := CleanPath(p)
		if err != nil {
			if !errors.Is(err, ErrInvalidPath) {
				t.Fatalf("CleanPath(%q): error %v does not wrap ErrInvalidPath", p, err)
			}
			return
		}
		if strings.HasPrefix(clean, "/") || strings.HasSuffix(clean, "/") || strings.Contains(clean, "//") {
			t.Fatalf("CleanPath(%q) = %q has stray slashes", p, clean)
		}
		for _, e := range strings.Split(clean, "/") {
			if e == ".." || e == "." || (e == "" && clean != "") {
				t.Fatalf("CleanPath(%q) = %q keeps element %q", p, clean, e)
			}
		}
		if again, err := CleanPath(clean); err != nil || again != clean {
			t.Fatalf("CleanPath is not idempotent on %q: %q, %v", clean, again, err)
		}
	})
}
