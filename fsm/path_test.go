package fsm

import (
	"slices"
	"strings"
	"testing"

	"github.com/halo-fs/halo/fserr"
)

func TestSplitPath(t *testing.T) {
	name255 := strings.Repeat("n", MaxComponentBytes)
	// A path of exactly n bytes made of short components.
	pathOf := func(n int) string {
		var sb strings.Builder
		for sb.Len() < n {
			sb.WriteString("/abcdefg")
		}
		return sb.String()[:n]
	}
	cases := []struct {
		in   string
		want []string // nil with ok: the root
		ok   bool
	}{
		{in: "/", ok: true},
		{in: "/a", want: []string{"a"}, ok: true},
		{in: "/a/b/c", want: []string{"a", "b", "c"}, ok: true},
		{in: "/a/", want: []string{"a"}, ok: true},
		{in: "/a b/ü/日本", want: []string{"a b", "ü", "日本"}, ok: true},
		{in: "/.a/..b/a.", want: []string{".a", "..b", "a."}, ok: true},
		{in: "/" + name255, want: []string{name255}, ok: true},
		{in: "/" + name255 + "n"},
		{in: ""},
		{in: "a"},
		{in: "a/b"},
		{in: "./a"},
		{in: "//"},
		{in: "//a"},
		{in: "/a//b"},
		{in: "/a//"},
		{in: "/a/b//"},
		{in: "/."},
		{in: "/a/."},
		{in: "/a/./b"},
		{in: "/.."},
		{in: "/a/../b"},
		{in: "/a\x00b"},
		{in: "/\x00"},
		{in: "/a/\xff"},
		{in: pathOf(MaxPathBytes), want: strings.Split(pathOf(MaxPathBytes)[1:], "/"), ok: true},
		{in: pathOf(MaxPathBytes + 1)},
		{in: pathOf(MaxPathBytes) + "/"},
	}
	for _, tc := range cases {
		name := tc.in
		if len(name) > 40 {
			name = name[:20] + "…" + name[len(name)-10:]
		}
		t.Run(name, func(t *testing.T) {
			got, err := SplitPath(tc.in)
			if !tc.ok {
				wantCode(t, err, fserr.InvalidPath)
				if got != nil {
					t.Errorf("got %q with an error", got)
				}
				if _, err := CleanPath(tc.in); fserr.CodeOf(err) != fserr.InvalidPath {
					t.Errorf("CleanPath: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("SplitPath: %v", err)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			clean, err := CleanPath(tc.in)
			if err != nil || clean != JoinPath(tc.want) {
				t.Errorf("CleanPath = %q, %v; want %q", clean, err, JoinPath(tc.want))
			}
		})
	}
}

func TestJoinPath(t *testing.T) {
	for _, tc := range []struct {
		parts []string
		want  string
	}{
		{nil, "/"},
		{[]string{"a"}, "/a"},
		{[]string{"a", "b"}, "/a/b"},
	} {
		if got := JoinPath(tc.parts); got != tc.want {
			t.Errorf("JoinPath(%q) = %q, want %q", tc.parts, got, tc.want)
		}
	}
}
