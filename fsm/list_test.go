package fsm

import (
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/proto/journalpb"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// resumedPage reads one page after startAfter with a new Lister, as a
// listing resumed in a new stream does.
func resumedPage(f *FSM, c *journalpb.Caller, path string, rec bool, startAfter string, limits ListPageLimits) ([]*journalpb.FileStatus, bool, error) {
	l, err := f.NewLister(c, path, rec, startAfter)
	if err != nil {
		return nil, false, err
	}
	return l.Next(limits)
}

// listInPages lists path page by page with limits, calling between after
// each page but the last, and returns the pages' paths.
func listInPages(t *testing.T, f *FSM, c *journalpb.Caller, path string, rec bool, limits ListPageLimits, between func(page int)) [][]string {
	t.Helper()
	var pages [][]string
	after := ""
	for i := 0; ; i++ {
		if i > 100000 {
			t.Fatal("listing does not end")
		}
		page, done, err := resumedPage(f, c, path, rec, after, limits)
		if err != nil {
			t.Fatalf("listing %s after %q: %v", path, after, err)
		}
		var paths []string
		for _, fi := range page {
			paths = append(paths, fi.Path)
		}
		pages = append(pages, paths)
		if done {
			return pages
		}
		if len(page) == 0 {
			t.Fatalf("page %d after %q is empty but the listing is not done", i, after)
		}
		after = page[len(page)-1].Path
		if between != nil {
			between(i)
		}
	}
}

// listWithLister lists path with one Lister that reads maxBatch children
// of a directory at a time, calling between after each page but the last.
func listWithLister(t *testing.T, f *FSM, c *journalpb.Caller, path string, rec bool, maxBatch int, limits ListPageLimits, between func(page int)) []string {
	t.Helper()
	l, err := f.NewLister(c, path, rec, "")
	if err != nil {
		t.Fatal(err)
	}
	l.maxBatch = maxBatch
	var out []string
	for i := 0; i < 100000; i++ {
		page, done, err := l.Next(limits)
		if err != nil {
			t.Fatal(err)
		}
		for _, fi := range page {
			out = append(out, fi.Path)
		}
		if done {
			return out
		}
		if between != nil {
			between(i)
		}
	}
	t.Fatal("listing does not end")
	return nil
}

// listingOrder compares paths in listing order: component by component.
func listingOrder(a, b string) int {
	pa, _ := SplitPath(a)
	pb, _ := SplitPath(b)
	return slices.Compare(pa, pb)
}

func pagesTree(t *testing.T) *harness {
	h := newHarness(t)
	// Names with bytes below '/' sort differently as components and as
	// whole paths: the listing's order is the components'.
	for _, p := range []string{"/t/a/x", "/t/a-b/y", "/t/a.c", "/t/b/c/d/e", "/t/locked/hidden", "/t/z"} {
		h.mustApply(touch(p, recursive, as(alice)))
	}
	for i := 0; i < 40; i++ {
		h.mustApply(touch(fmt.Sprintf("/t/wide/f%03d", i), recursive, as(alice)))
	}
	h.mustApply(chmod("/t/locked", 0o700, as(alice)))
	return h
}

func TestListPagesCoverTheListing(t *testing.T) {
	h := pagesTree(t)
	for _, rec := range []bool{false, true} {
		for _, c := range []*journalpb.Caller{alice, bob} {
			var want []string
			if err := h.ListStatus(c, "/t", rec, func(fi *journalpb.FileStatus) error { want = append(want, fi.Path); return nil }); err != nil {
				t.Fatal(err)
			}
			if !slices.IsSortedFunc(want, listingOrder) {
				t.Fatalf("listing is not in listing order: %v", want)
			}
			if slices.Contains(want, "/t/locked/hidden") != (rec && c == alice) {
				t.Fatalf("recursive=%t as %s: listing %v", rec, c.User, want)
			}
			for _, limits := range []ListPageLimits{{MaxBytes: 1, MaxEntries: 100}, {MaxBytes: 1 << 20, MaxEntries: 1}, {MaxBytes: 1 << 20, MaxEntries: 3}, {MaxBytes: 500, MaxEntries: 7}} {
				pages := listInPages(t, h.FSM, c, "/t", rec, limits, nil)
				if got := slices.Concat(pages...); !slices.Equal(got, want) {
					t.Fatalf("recursive=%t, %+v: pages %v, want %v", rec, limits, pages, want)
				}
				for _, p := range pages {
					if len(p) > limits.MaxEntries || (limits.MaxBytes == 1 && len(p) > 1) {
						t.Fatalf("%+v: page of %d entries", limits, len(p))
					}
				}
			}
			if got := listWithLister(t, h.FSM, c, "/t", rec, 2, ListPageLimits{MaxBytes: 1 << 20, MaxEntries: 3}, nil); !slices.Equal(got, want) {
				t.Fatalf("recursive=%t, one Lister reading two children at a time: %v, want %v", rec, got, want)
			}
		}
	}
}

func TestListPageBoundsBytes(t *testing.T) {
	h := newHarness(t)
	blocks := make([]uint64, 2000)
	for i := range blocks {
		blocks[i] = 1<<62 + uint64(i)
	}
	for i := 0; i < 200; i++ {
		p := fmt.Sprintf("/big/f%03d", i)
		h.mustApply(create(p, recursive), complete(p, 1, blocks))
	}
	limits := DefaultListPageLimits()
	after, total := "", 0
	for pages := 0; ; pages++ {
		page, done, err := resumedPage(h.FSM, nil, "/big", false, after, limits)
		if err != nil {
			t.Fatal(err)
		}
		size := wirePageSize(page)
		if size > limits.MaxBytes {
			t.Fatalf("page %d of %d entries is %d bytes, beyond %d", pages, len(page), size, limits.MaxBytes)
		}
		total += len(page)
		if done {
			if pages < 3 {
				t.Errorf("%d pages for ~3.6 MB of entries", pages+1)
			}
			break
		}
		after = page[len(page)-1].Path
	}
	if total != 200 {
		t.Fatalf("listed %d entries, want 200", total)
	}
}

// TestListPagesAcrossChanges changes the tree between every two pages,
// for listings that resume from the last path (as after a broken stream)
// and for one Lister that keeps its place (as within one stream): entries
// that stay put are listed once each, in order, and none twice.
func TestListPagesAcrossChanges(t *testing.T) {
	stable := []string{"/t/a", "/t/a/x", "/t/a-b", "/t/a-b/y", "/t/a.c", "/t/locked", "/t/wide", "/t/wide/f000", "/t/wide/f039", "/t/z"}
	changes := []*journalpb.Entry{
		chmod("/t/locked", 0o000, as(alice)), // ahead, now unreadable
		rename("/t/b", "/t/wide/b"),          // the position's directory moves ahead
		remove("/t/wide/f010"),               // ahead
		touch("/t/a/w"),                      // behind
		touch("/t/wide/f0405"),               // ahead
		mkdir("/t/a-b/new"),                  // behind
		rename("/t/wide/f020", "/t/a/20"),    // ahead, moved behind
	}
	gone := []string{"/t/b/c/d/e", "/t/wide/f010", "/t/wide/f020", "/t/locked/hidden", "/t/a/20"}
	for _, stateful := range []bool{false, true} {
		t.Run(fmt.Sprintf("stateful=%t", stateful), func(t *testing.T) {
			h := pagesTree(t)
			limits := ListPageLimits{MaxBytes: 1 << 20, MaxEntries: 4}
			between := func(i int) {
				if i < len(changes) {
					h.mustApply(changes[i])
				}
			}
			var got []string
			if stateful {
				got = listWithLister(t, h.FSM, alice, "/t", true, 3, limits, between)
			} else {
				got = slices.Concat(listInPages(t, h.FSM, alice, "/t", true, limits, between)...)
			}
			if !slices.IsSortedFunc(got, listingOrder) || len(slices.Compact(slices.Clone(got))) != len(got) {
				t.Fatalf("listing out of order or with repeats: %v", got)
			}
			for _, p := range stable {
				if !slices.Contains(got, p) {
					t.Errorf("%s, present throughout, is missing from %v", p, got)
				}
			}
			for _, p := range gone {
				if slices.Contains(got, p) {
					t.Errorf("%s, gone before the listing reached it, is listed: %v", p, got)
				}
			}
		})
	}
}

func TestListPageRefusesBadPositions(t *testing.T) {
	h := pagesTree(t)
	for _, tc := range []struct {
		after string
		rec   bool
	}{{"/elsewhere/x", true}, {"/t/a/x", false}, {"relative", true}, {"/t//a", true}} {
		if _, _, err := resumedPage(h.FSM, alice, "/t", tc.rec, tc.after, DefaultListPageLimits()); fserr.CodeOf(err) != fserr.InvalidArgument {
			t.Errorf("listing /t, recursive=%t, after %q: %v, want InvalidArgument", tc.rec, tc.after, err)
		}
	}
	page, done, err := resumedPage(h.FSM, alice, "/t/z", false, "/t/z", DefaultListPageLimits())
	if err != nil || !done || len(page) != 0 {
		t.Errorf("a file listed after itself: %v, %t, %v", page, done, err)
	}
}

// TestListStatusLetsWritesThrough applies a write from inside a listing's
// callback: the listing must not hold the namespace lock while it hands
// out entries, or the write waits for the whole walk.
func TestListStatusLetsWritesThrough(t *testing.T) {
	h := pagesTree(t)
	wrote := false
	err := h.ListStatus(alice, "/t", true, func(fi *journalpb.FileStatus) error {
		if wrote {
			return nil
		}
		wrote = true
		done := make(chan Result, 1)
		go func() { done <- h.Apply(0, touch("/t/during")) }()
		select {
		case res := <-done:
			return res.Error()
		case <-time.After(20 * time.Second):
			return fmt.Errorf("a write waited 20 s for the listing to end (at %s)", fi.Path)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if !exists(t, h.FSM, "/t/during") {
		t.Fatal("the write made during the listing is missing")
	}
}

// wirePageSize is the encoded size of the API's ListStatusResponse carrying
// page: FileStatus has FileInfo's field numbers, and the response is field 1
// repeated.
func wirePageSize(page []*journalpb.FileStatus) int {
	size := 0
	for _, fs := range page {
		size += protowire.SizeTag(1) + protowire.SizeBytes(proto.Size(fs))
	}
	return size
}

// bytesAllocated is what fn allocates on the heap: a measure of the work
// it does that, unlike its duration, does not depend on the machine's load.
func bytesAllocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// A page of a huge directory costs what the page holds, not what the
// directory holds: a listing resumed page by page over a million children
// (each ListStatusPartial call starts a new Lister) must not read and sort
// them all again for every page.
func TestListPageOfHugeDirectoryCostsThePage(t *testing.T) {
	const children, pageEntries = 50000, 10
	h := newHarness(t)
	h.mustApply(mkdir("/big"))
	for i := range children {
		h.mustApply(touch(fmt.Sprintf("/big/f%06d", i)))
	}
	limits := ListPageLimits{MaxBytes: 1 << 20, MaxEntries: pageEntries}
	// The largest page of the children costs well under a kilobyte; the
	// bound leaves room for the lookup and the Lister, and none for a
	// pass that copies every child (24 bytes each, over a megabyte).
	const maxPageBytes = 64 << 10
	for _, after := range []string{"", "/big/f024999", "/big/f049989"} {
		var page []*journalpb.FileStatus
		used := bytesAllocated(func() {
			var err error
			if page, _, err = resumedPage(h.FSM, nil, "/big", false, after, limits); err != nil {
				t.Fatal(err)
			}
		})
		if len(page) != pageEntries {
			t.Fatalf("page after %q has %d entries, want %d", after, len(page), pageEntries)
		}
		if used > maxPageBytes {
			t.Errorf("a page of %d entries after %q of a directory of %d allocated %d bytes, want at most %d",
				pageEntries, after, children, used, maxPageBytes)
		}
	}
}
