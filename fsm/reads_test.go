package fsm

import (
	"errors"
	"slices"
	"testing"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/proto/journalpb"
)

func TestReads(t *testing.T) {
	h := newHarness(t)
	h.mustApply(mkdir("/b"), touch("/b/z"), touch("/b/a"), mkdir("/b/m"), touch("/b/m/x"), touch("/a"),
		mountAt("/mnt-b", "mem://b"), mountAt("/mnt", "mem://a"))
	f := roundTrip(t, h.FSM)

	t.Run("list in name order, depth first", func(t *testing.T) {
		if got, want := list(t, f, "/", true), []string{"/a", "/b", "/b/a", "/b/m", "/b/m/x", "/b/z", "/mnt", "/mnt-b"}; !slices.Equal(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
		if got, want := list(t, f, "/b/", false), []string{"/b/a", "/b/m", "/b/z"}; !slices.Equal(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
	})
	t.Run("a file lists as itself", func(t *testing.T) {
		if got := list(t, f, "/b/m/x", true); !slices.Equal(got, []string{"/b/m/x"}) {
			t.Errorf("got %v", got)
		}
	})
	t.Run("the callback's error stops the listing", func(t *testing.T) {
		stop := errors.New("stop")
		calls := 0
		err := f.ListStatus(nil, "/", true, func(*journalpb.FileStatus) error { calls++; return stop })
		if err != stop || calls != 1 {
			t.Errorf("err %v after %d calls", err, calls)
		}
	})
	t.Run("root", func(t *testing.T) {
		fi := stat(t, f, "/")
		if fi.Id != RootInodeID || fi.Name != "" || fi.Path != "/" || !fi.IsDirectory || fi.ChildCount != 4 || fi.Owner != "root" || fi.Mode != 0o777 {
			t.Errorf("got %v", fi)
		}
	})
	t.Run("mount table in path order", func(t *testing.T) {
		mt := f.MountTable()
		if len(mt) != 2 || mt[0].Path != "/mnt" || mt[1].Path != "/mnt-b" {
			t.Errorf("got %v", mt)
		}
		// The caller's copy is its own.
		mt[0].Options = map[string]string{"x": "y"}
		if f.MountTable()[0].Options["x"] != "" {
			t.Error("MountTable shares its records")
		}
	})
	for _, tc := range []struct {
		path string
		want fserr.Code
	}{
		{"/nope", fserr.NotFound},
		{"/a/below-a-file", fserr.NotFound},
		{"relative", fserr.InvalidPath},
		{"/b/../a", fserr.InvalidPath},
		{"", fserr.InvalidPath},
	} {
		t.Run("bad path "+tc.path, func(t *testing.T) {
			_, err := f.GetStatus(nil, tc.path)
			wantCode(t, err, tc.want)
			err = f.ListStatus(nil, tc.path, false, func(*journalpb.FileStatus) error { return nil })
			wantCode(t, err, tc.want)
		})
	}
	t.Run("ResolveUFS", func(t *testing.T) {
		if _, _, err := f.ResolveUFS("/b"); fserr.CodeOf(err) != fserr.NotFound {
			t.Errorf("outside any mount: %v", err)
		}
		if _, _, err := f.ResolveUFS("mnt"); fserr.CodeOf(err) != fserr.InvalidPath {
			t.Errorf("relative: %v", err)
		}
		if m, uri, err := f.ResolveUFS("/mnt/"); err != nil || m.Path != "/mnt" || uri != "mem://a" {
			t.Errorf("the mount point itself: %v %q %v", m, uri, err)
		}
	})
}
