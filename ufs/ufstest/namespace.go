package ufstest

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/halo-fs/halo/ufs"
)

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
