package fsm

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/proto/journalpb"
)

func pin(path string, pinned bool, opts ...entryOpt) *journalpb.Entry {
	return setAttr(&journalpb.SetAttributeEntry{Path: path, HasPinned: true, Pinned: pinned}, opts...)
}

// The pinned files are those whose own flag is set, pinned at creation
// or later, and no longer once unpinned or deleted; a restored
// checkpoint knows the same ones.
func TestPinnedFileIDs(t *testing.T) {
	h := newHarness(t)
	h.mustApply(mkdir("/d"), create("/d/a"), create("/d/b"), create("/d/c"), mkdir("/d/sub"), create("/d/sub/e"))
	pinnedAtCreation := h.apply(build(&journalpb.CreateFileEntry{Path: "/d/p", Mode: 0o644, Pinned: true}, nil)).InodeID
	h.mustApply(pin("/d/a", true), pin("/d/c", true), pin("/d/c", false), pin("/d/sub", true, recursive))
	ids := func(f *FSM, paths ...string) []int64 {
		var out []int64
		for _, p := range paths {
			out = append(out, int64(stat(t, f, p).Id))
		}
		slices.Sort(out)
		return out
	}
	want := ids(h.FSM, "/d/a", "/d/p", "/d/sub/e")
	if !slices.Contains(want, int64(pinnedAtCreation)) {
		t.Fatalf("the file pinned at creation has id %d, not among %v", pinnedAtCreation, want)
	}
	if got := h.PinnedFileIDs(); !slices.Equal(got, want) {
		t.Errorf("PinnedFileIDs = %v, want %v (/d/a, /d/p, /d/sub/e)", got, want)
	}
	if got := roundTrip(t, h.FSM).PinnedFileIDs(); !slices.Equal(got, want) {
		t.Errorf("after a checkpoint round trip: PinnedFileIDs = %v, want %v", got, want)
	}
	h.mustApply(rename("/d/sub", "/moved"), remove("/d", recursive))
	if got, want := h.PinnedFileIDs(), ids(h.FSM, "/moved/e"); !slices.Equal(got, want) {
		t.Errorf("after renaming /d/sub and deleting /d: PinnedFileIDs = %v, want %v", got, want)
	}
}

// A file found by id is described as GetStatus describes it at its
// current path; an id no inode has, or has any more, is NotFound.
func TestStatusByID(t *testing.T) {
	h := newHarness(t)
	h.mustApply(mkdir("/d"), create("/d/f"), complete("/d/f", 10, []uint64{7}))
	id := stat(t, h.FSM, "/d/f").Id
	h.mustApply(rename("/d/f", "/d/g"))
	for _, f := range []*FSM{h.FSM, roundTrip(t, h.FSM)} {
		got, err := f.StatusByID(id)
		if err != nil {
			t.Fatalf("StatusByID(%d): %v", id, err)
		}
		if want := stat(t, f, "/d/g"); got.Path != "/d/g" || got.Length != 10 || !slices.Equal(got.BlockIds, want.BlockIds) {
			t.Errorf("StatusByID(%d) = %v, want %v", id, got, want)
		}
	}
	h.mustApply(remove("/d", recursive))
	_, err := h.StatusByID(id)
	wantCode(t, err, fserr.NotFound)
	_, err = h.StatusByID(1 << 40)
	wantCode(t, err, fserr.NotFound)
}

// The index finds every inode as it grows past its first table, and none
// of a deleted subtree.
func TestStatusByIDAcrossGrowthAndDeletes(t *testing.T) {
	h := newHarness(t)
	const perDir = minIndexSlots
	ids := map[string][]uint64{}
	for _, dir := range []string{"/kept", "/gone", "/third"} {
		h.mustApply(mkdir(dir))
		for i := range perDir {
			ids[dir] = append(ids[dir], h.apply(create(fmt.Sprintf("%s/f%d", dir, i))).InodeID)
		}
	}
	h.mustApply(remove("/gone", recursive))
	for dir, want := range map[string]bool{"/kept": true, "/gone": false, "/third": true} {
		for i, id := range ids[dir] {
			st, err := h.StatusByID(id)
			switch {
			case want && (err != nil || st.Path != fmt.Sprintf("%s/f%d", dir, i)):
				t.Fatalf("StatusByID(%d) = %v, %v; want %s/f%d", id, st, err, dir, i)
			case !want && fserr.CodeOf(err) != fserr.NotFound:
				t.Fatalf("StatusByID(%d) of deleted %s/f%d: %v, %v; want NotFound", id, dir, i, st, err)
			}
		}
	}
}

// A restore builds the id index once, at the size of the namespace it
// read, instead of rehashing every inode at each doubling: at ten million
// inodes those rehashes, each a cache miss, were a fifth of the restore.
// The index also finds the duplicate ids a checkpoint must not hold, in
// place of sorting every id.
func TestRestoreBuildsIdIndexWithoutRehashing(t *testing.T) {
	h := newHarness(t)
	const dirs, files = 4, 1500
	for d := range dirs {
		dir := fmt.Sprintf("/d%d", d)
		h.mustApply(mkdir(dir))
		for i := range files {
			h.mustApply(create(fmt.Sprintf("%s/f%04d", dir, i)))
		}
	}
	g := roundTrip(t, h.FSM)
	// The root is indexed before the checkpoint is read.
	if g.index.rehashed > 1 {
		t.Errorf("restoring %d inodes rehashed %d of them in the id index, want at most the root", g.InodeCount(), g.index.rehashed)
	}
	if g.index.count != int(g.InodeCount()) || len(g.index.slots) < g.index.count {
		t.Errorf("index holds %d inodes in %d slots for %d inodes", g.index.count, len(g.index.slots), g.InodeCount())
	}
	for _, id := range []uint64{RootInodeID, 2, uint64(g.InodeCount())} {
		if g.index.find(id) == nil {
			t.Errorf("restored index does not find inode %d", id)
		}
	}
}

// A checkpoint that gives two inodes one id is refused, wherever the two
// stand in the tree.
func TestRestoreRefusesAnIdUsedTwice(t *testing.T) {
	root := &journalpb.InodeRecord{Id: RootInodeID, IsDirectory: true, Mode: 0o755}
	dir := &journalpb.InodeRecord{Id: 2, ParentId: RootInodeID, Name: "d", IsDirectory: true, Mode: 0o755}
	file := func(id, parent uint64, name string) *journalpb.InodeRecord {
		return &journalpb.InodeRecord{Id: id, ParentId: parent, Name: name, Mode: 0o644, Completed: true}
	}
	var buf bytes.Buffer
	if _, err := WriteImportedCheckpoint(&buf, []*journalpb.InodeRecord{root, dir, file(3, 2, "a"), file(4, 2, "b"), file(3, RootInodeID, "c")}, nil); err != nil {
		t.Fatal(err)
	}
	f := New(testConfig())
	_, err := f.Restore(&buf)
	if !errors.Is(err, ErrCorruptCheckpoint) || !strings.Contains(err.Error(), "inode id 3 is used twice") {
		t.Fatalf("restore: %v, want a corrupt checkpoint naming id 3 used twice", err)
	}
	if f.InodeCount() != 1 {
		t.Errorf("a refused checkpoint left %d inodes, want the root alone", f.InodeCount())
	}
}
