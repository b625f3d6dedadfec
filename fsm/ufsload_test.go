package fsm

import (
	"slices"
	"testing"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/proto/journalpb"
)

// Which directories have their UFS listing in the namespace: those Halo
// made, and those a whole-listing load listed; not the root or a mount
// point before their first listing, nor a directory a load found. It
// survives a checkpoint.
func TestChildrenLoaded(t *testing.T) {
	h := newHarness(t)
	h.mustApply(mountAt("/", "/ufs"), mkdir("/made"), mountAt("/m", "/other"),
		loadMetadata("/m", []*journalpb.UfsChild{ufsDir("found"), ufsFile("found/f", 3)}))
	whole := loadMetadata("/m/found", []*journalpb.UfsChild{ufsFile("g", 4)})
	whole.GetLoadMetadata().WholeListing = true
	h.mustApply(whole)
	want := map[string]bool{"/": false, "/made": true, "/m": false, "/m/found": true, "/m/found/f": false, "/missing": false}
	for _, f := range []*FSM{h.FSM, roundTrip(t, h.FSM)} {
		for path, loaded := range want {
			if got := f.ChildrenLoaded(path); got != loaded {
				t.Errorf("ChildrenLoaded(%s) = %t, want %t", path, got, loaded)
			}
		}
	}
}

func TestMissingBelow(t *testing.T) {
	h := newHarness(t)
	h.mustApply(mkdir("/a"), touch("/a/file"))
	dir, missing, err := h.MissingBelow("/a/b/c")
	if err != nil || dir != "/a" || !slices.Equal(missing, []string{"b", "c"}) {
		t.Errorf("MissingBelow(/a/b/c) = %q, %q, %v; want /a, [b c]", dir, missing, err)
	}
	if _, _, err := h.MissingBelow("/a/file/x"); fserr.CodeOf(err) != fserr.NotFound {
		t.Errorf("MissingBelow below a file: %v, want NotFound", err)
	}
	if _, _, err := h.MissingBelow("/a"); fserr.CodeOf(err) != fserr.AlreadyExists {
		t.Errorf("MissingBelow of an existing path: %v, want AlreadyExists", err)
	}
}
