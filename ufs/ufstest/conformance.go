// Package ufstest holds the conformance suite that every ufs.Store adapter
// runs, so that the local, S3 and HDFS adapters are held to one contract.
package ufstest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/halo-fs/halo/ufs"
)

// conformanceTest is one subtest of the suite. needs, if set, says which
// capability the test relies on; the test is skipped only when the store
// reports it lacks that capability.
type conformanceTest struct {
	name  string
	needs func(ufs.Capabilities) bool
	run   func(t *testing.T, s ufs.Store)
}

// RunConformance runs the suite against stores made by newStore. Subtests
// run in parallel, each with its own store from newStore, which must be
// empty and used by no other subtest (a fresh directory, or a fresh prefix
// in a bucket); newStore may register its own cleanup with t.Cleanup. The
// suite closes every store it is given.
func RunConformance(t *testing.T, newStore func(t *testing.T) ufs.Store) {
	tests := []conformanceTest{
		{name: "CreateAndRead", run: testCreateAndRead},
		{name: "InvisibleUntilClose", run: testInvisibleUntilClose},
		{name: "Overwrite", run: testOverwrite},
		{name: "CreateOntoDirectory", run: testCreateOntoDirectory},
		{name: "AbortLeavesNothing", run: testAbortLeavesNothing},
		{name: "WriterLifecycle", run: testWriterLifecycle},
		{name: "ReadMissing", run: testReadMissing},
		{name: "RangedRead", run: testRangedRead},
		{name: "List", run: testList},
		{name: "Walk", run: testWalk},
		{name: "PagedListing", run: testPagedListing},
		{name: "DeleteFile", run: testDeleteFile},
		{name: "DeleteMissing", run: testDeleteMissing},
		{name: "DeleteNonEmptyDirectory", run: testDeleteNonEmptyDirectory},
		{name: "DeleteAll", run: testDeleteAll},
		{name: "RootIsProtected", run: testRootIsProtected},
		{name: "RenameFile", run: testRenameFile},
		{name: "RenameDirectory", needs: func(c ufs.Capabilities) bool { return c.DirectoryRename }, run: testRenameDirectory},
		{name: "Mkdirs", run: testMkdirs},
		{name: "ExistsViaStat", run: testExistsViaStat},
		{name: "LargeFile", run: testLargeFile},
		{name: "UnicodeNames", run: testUnicodeNames},
		{name: "InvalidPaths", run: testInvalidPaths},
		{name: "ConcurrentWritersDistinctFiles", run: testConcurrentDistinct},
		{name: "ConcurrentCreatorsOneWins", needs: func(c ufs.Capabilities) bool { return c.ConditionalCreate }, run: testConcurrentOneWins},
		{name: "Cancellation", run: testCancellation},
		{name: "UseAfterClose", run: testUseAfterClose},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			if tc.needs != nil && !tc.needs(s.Capabilities()) {
				t.Skipf("%s lacks the capability this test needs (%+v)", s.URI(), s.Capabilities())
			}
			tc.run(t, s)
		})
	}
}

// Helpers. Each fails the test with the path and error in the message.

func write(t *testing.T, s ufs.Store, path string, data []byte) {
	t.Helper()
	if err := ufs.WriteFile(t.Context(), s, path, data, ufs.CreateOptions{}); err != nil {
		t.Fatalf("write %q: %v", path, err)
	}
}

func read(t *testing.T, s ufs.Store, path string) []byte {
	t.Helper()
	data, err := ufs.ReadFile(t.Context(), s, path)
	if err != nil {
		t.Fatalf("read %q: %v", path, err)
	}
	return data
}

func wantContent(t *testing.T, s ufs.Store, path string, want []byte) {
	t.Helper()
	if got := read(t, s, path); !bytes.Equal(got, want) {
		t.Fatalf("content of %q = %q, want %q", path, truncate(got), truncate(want))
	}
}

func truncate(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}

func mkdirs(t *testing.T, s ufs.Store, path string) {
	t.Helper()
	if err := s.Mkdirs(t.Context(), path); err != nil {
		t.Fatalf("mkdirs %q: %v", path, err)
	}
}

func stat(t *testing.T, s ufs.Store, path string) ufs.Status {
	t.Helper()
	st, err := s.Stat(t.Context(), path)
	if err != nil {
		t.Fatalf("stat %q: %v", path, err)
	}
	return st
}

func list(t *testing.T, s ufs.Store, path string) []ufs.Status {
	t.Helper()
	statuses, err := s.List(t.Context(), path)
	if err != nil {
		t.Fatalf("list %q: %v", path, err)
	}
	return statuses
}

func walk(t *testing.T, s ufs.Store, path string) []string {
	t.Helper()
	var paths []string
	err := s.Walk(t.Context(), path, func(st ufs.Status) error {
		paths = append(paths, st.Path)
		return nil
	})
	if err != nil {
		t.Fatalf("walk %q: %v", path, err)
	}
	return paths
}

func names(statuses []ufs.Status) []string {
	names := make([]string, len(statuses))
	for i, st := range statuses {
		names[i] = st.Name
	}
	return names
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

func wantMissing(t *testing.T, s ufs.Store, path string) {
	t.Helper()
	_, err := s.Stat(t.Context(), path)
	wantErr(t, fmt.Sprintf("stat %q", path), err, ufs.ErrNotFound)
}

func wantStrings(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s = %q, want %q", what, got, want)
	}
}

// The subtests.

func testCreateAndRead(t *testing.T, s ufs.Store) {
	write(t, s, "a.txt", []byte("hello"))
	wantContent(t, s, "a.txt", []byte("hello"))
	wantContent(t, s, "/a.txt", []byte("hello"))

	st := stat(t, s, "/a.txt")
	if st.Name != "a.txt" || st.Path != "a.txt" || st.IsDir || st.Length != 5 || st.ModTime.IsZero() {
		t.Fatalf("stat a.txt = %+v, want a 5-byte file named a.txt with a modification time", st)
	}

	write(t, s, "x/y/z.txt", []byte("nested"))
	wantContent(t, s, "x/./y//z.txt", []byte("nested"))
	for _, dir := range []string{"x", "x/y"} {
		if st := stat(t, s, dir); !st.IsDir || st.Path != dir {
			t.Fatalf("stat %q = %+v, want the directory Create made", dir, st)
		}
	}

	write(t, s, "empty", nil)
	if st := stat(t, s, "empty"); st.Length != 0 || st.IsDir {
		t.Fatalf("stat empty = %+v, want an empty file", st)
	}
	wantContent(t, s, "empty", nil)
}

func testInvisibleUntilClose(t *testing.T, s ufs.Store) {
	ctx := t.Context()
	w, err := s.Create(ctx, "d/new", ufs.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	if _, err := w.Write([]byte("pending")); err != nil {
		t.Fatal(err)
	}
	wantMissing(t, s, "d/new")
	if got := walk(t, s, ""); slices.Contains(got, "d/new") || len(got) > 1 {
		t.Fatalf("walk during a write = %q, want at most the parent directory", got)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	wantContent(t, s, "d/new", []byte("pending"))
	wantStrings(t, "list d", names(list(t, s, "d")), []string{"new"})

	// Replacing a file: the old content stays readable until the commit.
	w, err = s.Create(ctx, "d/new", ufs.CreateOptions{Overwrite: true})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	if _, err := w.Write([]byte("replacement")); err != nil {
		t.Fatal(err)
	}
	wantContent(t, s, "d/new", []byte("pending"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	wantContent(t, s, "d/new", []byte("replacement"))
	wantStrings(t, "list d", names(list(t, s, "d")), []string{"new"})
}

func testOverwrite(t *testing.T, s ufs.Store) {
	ctx := t.Context()
	write(t, s, "f", []byte("one"))
	err := ufs.WriteFile(ctx, s, "f", []byte("two"), ufs.CreateOptions{})
	wantErr(t, "create existing without overwrite", err, ufs.ErrExists)
	wantContent(t, s, "f", []byte("one"))

	if err := ufs.WriteFile(ctx, s, "f", []byte("three"), ufs.CreateOptions{Overwrite: true}); err != nil {
		t.Fatalf("create existing with overwrite: %v", err)
	}
	wantContent(t, s, "f", []byte("three"))

	// The check also holds at commit time, for a file that appeared after
	// Create returned.
	w, err := s.Create(ctx, "g", ufs.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	if _, err := w.Write([]byte("late")); err != nil {
		t.Fatal(err)
	}
	write(t, s, "g", []byte("early"))
	wantErr(t, "commit onto a file created meanwhile", w.Close(), ufs.ErrExists)
	wantContent(t, s, "g", []byte("early"))
	wantStrings(t, "list", names(list(t, s, "")), []string{"f", "g"})
}

func testCreateOntoDirectory(t *testing.T, s ufs.Store) {
	mkdirs(t, s, "d")
	for _, overwrite := range []bool{false, true} {
		err := ufs.WriteFile(t.Context(), s, "d", []byte("x"), ufs.CreateOptions{Overwrite: overwrite})
		if !errors.Is(err, ufs.ErrIsDirectory) && !(errors.Is(err, ufs.ErrExists) && !overwrite) {
			t.Fatalf("create onto a directory (overwrite=%v): got %v, want %v", overwrite, err, ufs.ErrIsDirectory)
		}
		if st := stat(t, s, "d"); !st.IsDir {
			t.Fatalf("d became %+v", st)
		}
	}
	err := ufs.WriteFile(t.Context(), s, "", []byte("x"), ufs.CreateOptions{Overwrite: true})
	if err == nil {
		t.Fatal("create of the root succeeded")
	}
}

func testAbortLeavesNothing(t *testing.T, s ufs.Store) {
	ctx := t.Context()
	mkdirs(t, s, "d")
	w, err := s.Create(ctx, "d/f", ufs.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(bytes.Repeat([]byte("x"), 100_000)); err != nil {
		t.Fatal(err)
	}
	if err := w.Abort(); err != nil {
		t.Fatalf("abort: %v", err)
	}
	wantMissing(t, s, "d/f")
	if got := list(t, s, "d"); len(got) != 0 {
		t.Fatalf("list after abort = %q, want nothing", names(got))
	}
	wantErr(t, "close after abort", w.Close(), ufs.ErrClosed)
	if err := w.Abort(); err != nil {
		t.Fatalf("second abort: %v", err)
	}
	wantMissing(t, s, "d/f")

	// Aborting a replacement keeps the original.
	write(t, s, "d/g", []byte("original"))
	w, err = s.Create(ctx, "d/g", ufs.CreateOptions{Overwrite: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("discarded")); err != nil {
		t.Fatal(err)
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	wantContent(t, s, "d/g", []byte("original"))
	wantStrings(t, "list d", names(list(t, s, "d")), []string{"g"})
}

func testWriterLifecycle(t *testing.T, s ufs.Store) {
	w, err := s.Create(t.Context(), "f", ufs.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, chunk := range []string{"a", "bc", "", "def"} {
		if n, err := w.Write([]byte(chunk)); n != len(chunk) || err != nil {
			t.Fatalf("write %q = %d, %v", chunk, n, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Abort(); err != nil {
		t.Fatalf("abort after close: %v", err)
	}
	wantContent(t, s, "f", []byte("abcdef"))
	wantErr(t, "second close", w.Close(), ufs.ErrClosed)
	_, err = w.Write([]byte("more"))
	wantErr(t, "write after close", err, ufs.ErrClosed)
	wantContent(t, s, "f", []byte("abcdef"))
}

func testReadMissing(t *testing.T, s ufs.Store) {
	ctx := t.Context()
	_, err := s.Open(ctx, "missing")
	wantErr(t, "open missing", err, ufs.ErrNotFound)
	_, err = s.OpenRange(ctx, "missing", 0, 10)
	wantErr(t, "open range of missing", err, ufs.ErrNotFound)
	wantMissing(t, s, "missing")
	wantMissing(t, s, "no/such/dir")

	write(t, s, "file", []byte("x"))
	wantMissing(t, s, "file/under")
	_, err = s.Open(ctx, "file/under")
	wantErr(t, "open a path under a file", err, ufs.ErrNotFound)

	mkdirs(t, s, "dir")
	_, err = s.Open(ctx, "dir")
	wantErr(t, "open a directory", err, ufs.ErrIsDirectory)
}

func testRangedRead(t *testing.T, s ufs.Store) {
	data := make([]byte, 1024)
	for i := range data {
		data[i] = byte(i * 7)
	}
	write(t, s, "r", data)
	for _, tc := range []struct {
		offset, length int64
		want           []byte
	}{
		{0, -1, data},
		{0, 10, data[:10]},
		{100, 50, data[100:150]},
		{1000, -1, data[1000:]},
		{1000, 100, data[1000:]},
		{1023, 1, data[1023:]},
		{0, 0, nil},
		{1024, 10, nil},
		{1024, -1, nil},
		{5000, -1, nil},
	} {
		r, err := s.OpenRange(t.Context(), "r", tc.offset, tc.length)
		if err != nil {
			t.Fatalf("OpenRange(%d, %d): %v", tc.offset, tc.length, err)
		}
		got, err := io.ReadAll(r)
		r.Close()
		if err != nil || !bytes.Equal(got, tc.want) {
			t.Fatalf("OpenRange(%d, %d) read %d bytes, %v; want %d bytes", tc.offset, tc.length, len(got), err, len(tc.want))
		}
	}
	if r, err := s.OpenRange(t.Context(), "r", -1, 10); err == nil {
		r.Close()
		t.Fatal("OpenRange with a negative offset succeeded")
	}
}

func testList(t *testing.T, s ufs.Store) {
	// "a-b" and "a.b" sort before "a/…" as object keys ('-' and '.' come
	// before '/') but after "a" as names: a store must sort by name.
	for _, p := range []string{"B", "a-b", "a.b", "a/x", "c"} {
		write(t, s, p, []byte(p))
	}
	mkdirs(t, s, "b")

	for _, root := range []string{"", "/"} {
		got := list(t, s, root)
		wantStrings(t, "list of the root", names(got), []string{"B", "a", "a-b", "a.b", "b", "c"})
		for _, st := range got {
			wantDir := st.Name == "a" || st.Name == "b"
			if st.IsDir != wantDir || st.Path != st.Name {
				t.Fatalf("list entry %+v: want IsDir=%v and Path=%q", st, wantDir, st.Name)
			}
			if !wantDir && st.Length != int64(len(st.Name)) {
				t.Fatalf("list entry %+v: want Length %d", st, len(st.Name))
			}
		}
	}
	got := list(t, s, "a")
	if len(got) != 1 || got[0].Name != "x" || got[0].Path != "a/x" || got[0].Length != 3 {
		t.Fatalf("list a = %+v, want the one file a/x", got)
	}
	if got := list(t, s, "b"); len(got) != 0 {
		t.Fatalf("list of an empty directory = %q", names(got))
	}
	_, err := s.List(t.Context(), "missing")
	wantErr(t, "list missing", err, ufs.ErrNotFound)
	_, err = s.List(t.Context(), "c")
	wantErr(t, "list a file", err, ufs.ErrNotDirectory)
}

func testWalk(t *testing.T, s ufs.Store) {
	for _, p := range []string{"a/x", "a/y/z", "a/y/w", "a/y/deep/er/est", "a-b", "c"} {
		write(t, s, p, []byte(p))
	}
	mkdirs(t, s, "b")
	wantStrings(t, "walk of the root", walk(t, s, ""), []string{
		"a", "a/x", "a/y", "a/y/deep", "a/y/deep/er", "a/y/deep/er/est", "a/y/w", "a/y/z", "a-b", "b", "c",
	})
	wantStrings(t, "walk of a", walk(t, s, "a/"), []string{
		"a/x", "a/y", "a/y/deep", "a/y/deep/er", "a/y/deep/er/est", "a/y/w", "a/y/z",
	})
	if got := walk(t, s, "b"); len(got) != 0 {
		t.Fatalf("walk of an empty directory = %q", got)
	}

	var visited []string
	stop := errors.New("stop")
	err := s.Walk(t.Context(), "", func(st ufs.Status) error {
		visited = append(visited, st.Path)
		if st.Path == "a/y" {
			return stop
		}
		return nil
	})
	wantErr(t, "walk stopped by fn", err, stop)
	wantStrings(t, "visited before stopping", visited, []string{"a", "a/x", "a/y"})

	wantErr(t, "walk missing", s.Walk(t.Context(), "missing", func(ufs.Status) error { return nil }), ufs.ErrNotFound)
	wantErr(t, "walk a file", s.Walk(t.Context(), "c", func(ufs.Status) error { return nil }), ufs.ErrNotDirectory)
}

// pagedListingSize exceeds 1000, the page size of S3's ListObjectsV2, so
// that an adapter which reads only the first page fails.
const pagedListingSize = 1005

func testPagedListing(t *testing.T, s ufs.Store) {
	var want []string
	for i := range pagedListingSize {
		want = append(want, fmt.Sprintf("f-%d", i))
	}
	want = append(want, "sub")
	parallel(t, len(want), 16, func(i int) error {
		p := "many/" + want[i]
		if want[i] == "sub" {
			p = "many/sub/inner"
		}
		return ufs.WriteFile(t.Context(), s, p, []byte(p), ufs.CreateOptions{})
	})
	slices.Sort(want)
	wantStrings(t, "list many", names(list(t, s, "many")), want)
	if got := walk(t, s, "many"); len(got) != len(want)+1 {
		t.Fatalf("walk of many visited %d entries, want %d", len(got), len(want)+1)
	}
}

// parallel runs fn(0) … fn(n-1) on at most width goroutines and fails the
// test with the first error.
func parallel(t *testing.T, n, width int, fn func(i int) error) {
	t.Helper()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		slots = make(chan struct{}, width)
	)
	for i := range n {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			if err := fn(i); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if first != nil {
		t.Fatal(first)
	}
}

func testDeleteFile(t *testing.T, s ufs.Store) {
	write(t, s, "d/f", []byte("x"))
	write(t, s, "d/keep", []byte("y"))
	if err := s.Delete(t.Context(), "d/f"); err != nil {
		t.Fatal(err)
	}
	wantMissing(t, s, "d/f")
	wantStrings(t, "list after delete", names(list(t, s, "d")), []string{"keep"})
	if err := s.Delete(t.Context(), "d/keep"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(t.Context(), "d"); err != nil {
		t.Fatalf("delete of a directory emptied by deletes: %v", err)
	}
	wantMissing(t, s, "d")
}

func testDeleteMissing(t *testing.T, s ufs.Store) {
	wantErr(t, "delete missing", s.Delete(t.Context(), "missing"), ufs.ErrNotFound)
	wantErr(t, "delete missing nested", s.Delete(t.Context(), "no/such/file"), ufs.ErrNotFound)
	if err := s.DeleteAll(t.Context(), "missing"); err != nil {
		t.Fatalf("DeleteAll of a missing path: %v", err)
	}
}

func testDeleteNonEmptyDirectory(t *testing.T, s ufs.Store) {
	write(t, s, "d/f", []byte("x"))
	wantErr(t, "delete non-empty directory", s.Delete(t.Context(), "d"), ufs.ErrNotEmpty)
	wantContent(t, s, "d/f", []byte("x"))
	mkdirs(t, s, "empty")
	if err := s.Delete(t.Context(), "empty"); err != nil {
		t.Fatalf("delete empty directory: %v", err)
	}
	wantMissing(t, s, "empty")
}

func testDeleteAll(t *testing.T, s ufs.Store) {
	// Siblings that share the prefix "t" must survive: an object store
	// deleting by key prefix must add the slash.
	for _, p := range []string{"t/a", "t/b/c", "t/b/d/e", "t2", "t-x/y", "t.z"} {
		write(t, s, p, []byte(p))
	}
	mkdirs(t, s, "t/empty")
	if err := s.DeleteAll(t.Context(), "t"); err != nil {
		t.Fatal(err)
	}
	wantMissing(t, s, "t")
	wantMissing(t, s, "t/b/c")
	wantStrings(t, "what DeleteAll left", walk(t, s, ""), []string{"t-x", "t-x/y", "t.z", "t2"})
	if err := s.DeleteAll(t.Context(), "t"); err != nil {
		t.Fatalf("repeated DeleteAll: %v", err)
	}
	if err := s.DeleteAll(t.Context(), "t.z"); err != nil {
		t.Fatalf("DeleteAll of a file: %v", err)
	}
	wantMissing(t, s, "t.z")
}

func testRootIsProtected(t *testing.T, s ufs.Store) {
	write(t, s, "f", []byte("x"))
	for _, root := range []string{"", "/"} {
		wantErr(t, "delete of the root", s.Delete(t.Context(), root), ufs.ErrInvalidPath)
		wantErr(t, "DeleteAll of the root", s.DeleteAll(t.Context(), root), ufs.ErrInvalidPath)
		wantErr(t, "rename of the root", s.Rename(t.Context(), root, "elsewhere"), ufs.ErrInvalidPath)
	}
	wantContent(t, s, "f", []byte("x"))
	if st := stat(t, s, ""); !st.IsDir || st.Path != "" {
		t.Fatalf("stat of the root = %+v, want a directory with path \"\"", st)
	}
}

func testRenameFile(t *testing.T, s ufs.Store) {
	ctx := t.Context()
	write(t, s, "a", []byte("content"))
	if err := s.Rename(ctx, "a", "sub/dir/b"); err != nil {
		t.Fatal(err)
	}
	wantMissing(t, s, "a")
	wantContent(t, s, "sub/dir/b", []byte("content"))

	write(t, s, "c", []byte("other"))
	wantErr(t, "rename onto an existing file", s.Rename(ctx, "c", "sub/dir/b"), ufs.ErrExists)
	wantContent(t, s, "c", []byte("other"))
	wantContent(t, s, "sub/dir/b", []byte("content"))

	wantErr(t, "rename onto itself", s.Rename(ctx, "c", "c"), ufs.ErrExists)
	wantContent(t, s, "c", []byte("other"))

	wantErr(t, "rename missing", s.Rename(ctx, "missing", "d"), ufs.ErrNotFound)
	wantMissing(t, s, "d")
}

func testRenameDirectory(t *testing.T, s ufs.Store) {
	ctx := t.Context()
	for _, p := range []string{"d/x", "d/y/z"} {
		write(t, s, p, []byte(p))
	}
	if err := s.Rename(ctx, "d", "e"); err != nil {
		t.Fatal(err)
	}
	wantMissing(t, s, "d")
	wantStrings(t, "walk after rename", walk(t, s, "e"), []string{"e/x", "e/y", "e/y/z"})
	wantContent(t, s, "e/y/z", []byte("d/y/z"))

	mkdirs(t, s, "f")
	wantErr(t, "rename onto an existing directory", s.Rename(ctx, "e", "f"), ufs.ErrExists)
	wantErr(t, "rename into itself", s.Rename(ctx, "e", "e/inner"), ufs.ErrInvalidPath)
	wantContent(t, s, "e/x", []byte("d/x"))
}

func testMkdirs(t *testing.T, s ufs.Store) {
	ctx := t.Context()
	mkdirs(t, s, "m/n/o")
	for _, p := range []string{"m", "m/n", "m/n/o"} {
		if st := stat(t, s, p); !st.IsDir || st.Name != ufs.Base(p) {
			t.Fatalf("stat %q = %+v, want a directory", p, st)
		}
	}
	mkdirs(t, s, "m/n/o")
	mkdirs(t, s, "m")
	mkdirs(t, s, "")
	wantStrings(t, "walk after mkdirs", walk(t, s, ""), []string{"m", "m/n", "m/n/o"})

	write(t, s, "file", []byte("x"))
	wantErr(t, "mkdirs onto a file", s.Mkdirs(ctx, "file"), ufs.ErrExists)
	wantContent(t, s, "file", []byte("x"))
}

func testExistsViaStat(t *testing.T, s ufs.Store) {
	write(t, s, "dir/file", []byte("x"))
	for path, want := range map[string]bool{
		"": true, "dir": true, "dir/file": true, "/dir/file": true,
		"missing": false, "dir/missing": false, "dir/fil": false, "di": false,
	} {
		got, err := ufs.Exists(t.Context(), s, path)
		if err != nil || got != want {
			t.Fatalf("Exists(%q) = %v, %v; want %v", path, got, err, want)
		}
	}
}

// largeFileSize is big enough that no adapter can hold the file in a single
// buffer by accident, and exercises multipart uploads on S3.
const largeFileSize = 64 << 20

func testLargeFile(t *testing.T, s ufs.Store) {
	w, err := s.Create(t.Context(), "large", ufs.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	source := rand.NewChaCha8([32]byte{'h', 'a', 'l', 'o'})
	written := sha256.New()
	n, err := io.CopyN(io.MultiWriter(w, written), source, largeFileSize)
	if err != nil || n != largeFileSize {
		t.Fatalf("wrote %d bytes: %v", n, err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if st := stat(t, s, "large"); st.Length != largeFileSize {
		t.Fatalf("stat large: length %d, want %d", st.Length, largeFileSize)
	}

	r, err := s.Open(t.Context(), "large")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	read := sha256.New()
	if n, err := io.Copy(read, r); err != nil || n != largeFileSize {
		t.Fatalf("read %d bytes: %v", n, err)
	}
	if !bytes.Equal(read.Sum(nil), written.Sum(nil)) {
		t.Fatal("the large file read back differs from what was written")
	}
}

func testUnicodeNames(t *testing.T, s ufs.Store) {
	const dir, file = "dir with space", "файл ✓.txt"
	p := dir + "/" + file
	write(t, s, p, []byte("unicode"))
	wantContent(t, s, p, []byte("unicode"))
	if st := stat(t, s, p); st.Name != file || st.Path != p {
		t.Fatalf("stat = %+v, want name %q and path %q", st, file, p)
	}
	wantStrings(t, "list", names(list(t, s, dir)), []string{file})
	wantStrings(t, "walk", walk(t, s, ""), []string{dir, p})

	renamed := dir + "/другой 文件 100%?#.txt"
	if err := s.Rename(t.Context(), p, renamed); err != nil {
		t.Fatal(err)
	}
	wantContent(t, s, renamed, []byte("unicode"))
	if err := s.Delete(t.Context(), renamed); err != nil {
		t.Fatal(err)
	}
	if got := list(t, s, dir); len(got) != 0 {
		t.Fatalf("list after delete = %q", names(got))
	}
}

func testInvalidPaths(t *testing.T, s ufs.Store) {
	ctx := t.Context()
	for _, p := range []string{"..", "../x", "a/../../b", "a/..", "nul\x00byte", "bad\xffutf8"} {
		_, err := s.Stat(ctx, p)
		wantErr(t, fmt.Sprintf("stat %q", p), err, ufs.ErrInvalidPath)
		_, err = s.Create(ctx, p, ufs.CreateOptions{})
		wantErr(t, fmt.Sprintf("create %q", p), err, ufs.ErrInvalidPath)
		_, err = s.Open(ctx, p)
		wantErr(t, fmt.Sprintf("open %q", p), err, ufs.ErrInvalidPath)
		_, err = s.List(ctx, p)
		wantErr(t, fmt.Sprintf("list %q", p), err, ufs.ErrInvalidPath)
		wantErr(t, fmt.Sprintf("mkdirs %q", p), s.Mkdirs(ctx, p), ufs.ErrInvalidPath)
		wantErr(t, fmt.Sprintf("delete all %q", p), s.DeleteAll(ctx, p), ufs.ErrInvalidPath)
		wantErr(t, fmt.Sprintf("rename to %q", p), s.Rename(ctx, "x", p), ufs.ErrInvalidPath)
	}
	if got := walk(t, s, ""); len(got) != 0 {
		t.Fatalf("invalid paths left %q behind", got)
	}
}

// concurrentWriters is how many goroutines write at once.
const concurrentWriters = 8

func testConcurrentDistinct(t *testing.T, s ufs.Store) {
	content := func(i int) []byte { return bytes.Repeat([]byte{byte('a' + i)}, 256<<10) }
	parallel(t, concurrentWriters, concurrentWriters, func(i int) error {
		return ufs.WriteFile(t.Context(), s, fmt.Sprintf("shared/w-%d", i), content(i), ufs.CreateOptions{})
	})
	for i := range concurrentWriters {
		wantContent(t, s, fmt.Sprintf("shared/w-%d", i), content(i))
	}
	if got := list(t, s, "shared"); len(got) != concurrentWriters {
		t.Fatalf("list shared = %q, want %d files", names(got), concurrentWriters)
	}
}

func testConcurrentOneWins(t *testing.T, s ufs.Store) {
	// Every writer passes Create's early check, since nothing exists yet;
	// then all commit at once, so the store itself must pick one winner.
	for round := range 4 {
		path := fmt.Sprintf("contended-%d", round)
		writers := make([]ufs.Writer, concurrentWriters)
		for i := range writers {
			w, err := s.Create(t.Context(), path, ufs.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Abort()
			if _, err := fmt.Fprintf(w, "writer %d", i); err != nil {
				t.Fatal(err)
			}
			writers[i] = w
		}
		errs := make([]error, len(writers))
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, w := range writers {
			wg.Go(func() {
				<-start
				errs[i] = w.Close()
			})
		}
		close(start)
		wg.Wait()

		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Fatalf("round %d: writers %d and %d both created %s", round, winner, i, path)
			case err == nil:
				winner = i
			case !errors.Is(err, ufs.ErrExists):
				t.Fatalf("round %d: writer %d: got %v, want success or %v", round, i, err, ufs.ErrExists)
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: no writer created %s: %v", round, path, errs)
		}
		wantContent(t, s, path, fmt.Appendf(nil, "writer %d", winner))
	}
	if got := list(t, s, ""); len(got) != 4 {
		t.Fatalf("list = %q, want only the four contended files", names(got))
	}
}

func testCancellation(t *testing.T, s ufs.Store) {
	for _, p := range []string{"d/a", "d/b", "d/c/x", "f"} {
		write(t, s, p, bytes.Repeat([]byte(p), 1000))
	}
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	noop := func(ufs.Status) error { return nil }
	_, err := s.Create(cancelled, "new", ufs.CreateOptions{})
	wantErr(t, "create", err, context.Canceled)
	_, err = s.Open(cancelled, "f")
	wantErr(t, "open", err, context.Canceled)
	_, err = s.OpenRange(cancelled, "f", 1, 2)
	wantErr(t, "open range", err, context.Canceled)
	_, err = s.Stat(cancelled, "f")
	wantErr(t, "stat", err, context.Canceled)
	_, err = s.List(cancelled, "d")
	wantErr(t, "list", err, context.Canceled)
	wantErr(t, "walk", s.Walk(cancelled, "", noop), context.Canceled)
	wantErr(t, "mkdirs", s.Mkdirs(cancelled, "m"), context.Canceled)
	wantErr(t, "delete", s.Delete(cancelled, "f"), context.Canceled)
	wantErr(t, "delete all", s.DeleteAll(cancelled, "d"), context.Canceled)
	wantErr(t, "rename", s.Rename(cancelled, "f", "g"), context.Canceled)
	wantStrings(t, "walk after cancelled calls", walk(t, s, ""), []string{"d", "d/a", "d/b", "d/c", "d/c/x", "f"})

	// Cancelled during a write: nothing is published.
	ctx, cancel := context.WithCancel(t.Context())
	w, err := s.Create(ctx, "partial", ufs.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("some")); err != nil {
		t.Fatal(err)
	}
	cancel()
	_, writeErr := w.Write([]byte("more"))
	closeErr := w.Close()
	if closeErr == nil {
		t.Fatalf("close after cancel succeeded (write error: %v)", writeErr)
	}
	wantErr(t, "close after cancel", closeErr, context.Canceled)
	wantMissing(t, s, "partial")

	// Cancelled during a read.
	ctx, cancel = context.WithCancel(t.Context())
	r, err := s.Open(ctx, "f")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := io.ReadFull(r, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	cancel()
	_, err = io.ReadAll(r)
	wantErr(t, "read after cancel", err, context.Canceled)

	// Cancelled during a walk.
	ctx, cancel = context.WithCancel(t.Context())
	visited := 0
	err = s.Walk(ctx, "", func(ufs.Status) error {
		visited++
		cancel()
		return nil
	})
	wantErr(t, "walk cancelled by fn", err, context.Canceled)
	if visited != 1 {
		t.Fatalf("walk called fn %d times after cancellation, want none", visited-1)
	}
}

func testUseAfterClose(t *testing.T, s ufs.Store) {
	write(t, s, "f", []byte("x"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := s.Stat(t.Context(), "f")
	wantErr(t, "stat after close", err, ufs.ErrClosed)
	_, err = s.Create(t.Context(), "g", ufs.CreateOptions{})
	wantErr(t, "create after close", err, ufs.ErrClosed)
	if err := s.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
}
