package fsm

import (
	"testing"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/proto/journalpb"
)

func overwrite(e *journalpb.Entry) { e.GetCreateFile().Overwrite = true }

// A create with overwrite replaces a file in one entry, as Alluxio's
// master does for CreateFilePOptions.overwrite (Hadoop's
// create(path, overwrite=true)); without it, or over a directory, the
// create fails and changes nothing.
func TestCreateFileOverwrite(t *testing.T) {
	h := newHarness(t)
	h.mustApply(mkdir("/d"), touch("/d/f"), mkdir("/d/sub"), touch("/d/sub/x"))
	old, err := h.GetStatus(nil, "/d/f")
	if err != nil {
		t.Fatal(err)
	}

	if res := h.apply(create("/d/f")); fserr.CodeOf(res.Err) != fserr.AlreadyExists {
		t.Errorf("create over a file without overwrite: %v, want AlreadyExists", res.Err)
	}
	res := h.apply(create("/d/f", overwrite))
	if res.Err != nil {
		t.Fatalf("create over a file with overwrite: %v", res.Err)
	}
	st, err := h.GetStatus(nil, "/d/f")
	if err != nil || st.Id == old.Id || st.Completed {
		t.Errorf("after an overwrite: %v, %v; want a new, incomplete file in place of inode %d", st, err, old.Id)
	}
	for _, dir := range []string{"/d/sub", "/d"} {
		if res := h.apply(create(dir, overwrite)); fserr.CodeOf(res.Err) != fserr.AlreadyExists {
			t.Errorf("create with overwrite over directory %s: %v, want AlreadyExists", dir, res.Err)
		}
	}
	if _, err := h.GetStatus(nil, "/d/sub/x"); err != nil {
		t.Errorf("a refused overwrite of a directory changed it: %v", err)
	}
	if res := h.apply(create("/d/new", overwrite)); res.Err != nil {
		t.Errorf("create with overwrite where nothing is: %v", res.Err)
	}
	roundTrip(t, h.FSM)
}

// A non-recursive delete of a non-empty root is refused as for any other
// non-empty directory (DirectoryNotEmpty, as Alluxio's master answers), not
// as an invalid path: Alluxio's Hadoop client turns InvalidPath into a
// quiet false, and Hadoop's contract expects an error.
func TestDeleteNonEmptyRootNonRecursive(t *testing.T) {
	h := newHarness(t)
	if res := h.apply(remove("/")); fserr.CodeOf(res.Err) != fserr.InvalidPath {
		t.Errorf("delete of the empty root: %v, want InvalidPath", res.Err)
	}
	h.mustApply(touch("/f"))
	if res := h.apply(remove("/")); fserr.CodeOf(res.Err) != fserr.DirectoryNotEmpty {
		t.Errorf("non-recursive delete of a non-empty root: %v, want DirectoryNotEmpty", res.Err)
	}
	if _, err := h.GetStatus(nil, "/f"); err != nil {
		t.Errorf("a refused delete of / removed /f: %v", err)
	}
}
