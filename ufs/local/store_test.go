package local

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"

	"github.com/halo-fs/halo/ufs"
	"github.com/halo-fs/halo/ufs/ufstest"
)

func newStore(t *testing.T) *Store {
	t.Helper()
	s, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	ufstest.RunConformance(t, func(t *testing.T) ufs.Store { return newStore(t) })
}

// TestConformanceWithoutRenameNoReplace runs the suite as on a file system
// that rejects RENAME_NOREPLACE, where hard links keep creates exclusive.
func TestConformanceWithoutRenameNoReplace(t *testing.T) {
	ufstest.RunConformance(t, func(t *testing.T) ufs.Store {
		s := newStore(t)
		s.renameNoReplace = func(string, string) error { return errNoReplaceUnsupported }
		return s
	})
}

func TestNewCreatesRootAndRefusesRelative(t *testing.T) {
	root := filepath.Join(t.TempDir(), "not", "yet")
	s, err := New(root)
	if err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(root); err != nil || !info.IsDir() {
		t.Fatalf("root not created: %v", err)
	}
	if want := "file://" + root; s.URI() != want {
		t.Fatalf("URI = %q, want %q", s.URI(), want)
	}
	if _, err := New("relative/dir"); !errors.Is(err, ufs.ErrInvalidPath) {
		t.Fatalf("New with a relative root: %v, want %v", err, ufs.ErrInvalidPath)
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := New(file); err == nil {
		t.Fatal("New with a file as root succeeded")
	}
}

func TestOpenChecksAuthority(t *testing.T) {
	root := t.TempDir()
	for _, authority := range []string{"", "localhost"} {
		s, err := Open(t.Context(), ufs.URI{Scheme: "file", Authority: authority, Path: filepath.ToSlash(root)}, nil)
		if err != nil {
			t.Fatalf("authority %q: %v", authority, err)
		}
		s.Close()
	}
	_, err := Open(t.Context(), ufs.URI{Scheme: "file", Authority: "otherhost", Path: root}, nil)
	if !errors.Is(err, ufs.ErrInvalidPath) || !strings.Contains(err.Error(), "otherhost") {
		t.Fatalf("remote authority: %v", err)
	}
}

func TestStatReportsModeAndOwner(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	if err := ufs.WriteFile(ctx, s, "private", []byte("x"), ufs.CreateOptions{Mode: 0o600}); err != nil {
		t.Fatal(err)
	}
	if err := ufs.WriteFile(ctx, s, "default", []byte("x"), ufs.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// 0o666 is wider than the usual umask allows: the mode must not be trimmed.
	if err := ufs.WriteFile(ctx, s, "shared", []byte("x"), ufs.CreateOptions{Mode: 0o666}); err != nil {
		t.Fatal(err)
	}
	me, err := user.Current()
	if err != nil {
		t.Skipf("no current user to compare with: %v", err)
	}
	for path, mode := range map[string]uint32{"private": 0o600, "default": ufs.DefaultFileMode, "shared": 0o666} {
		st, err := s.Stat(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode != mode {
			t.Errorf("%s: mode %o, want %o", path, st.Mode, mode)
		}
		if st.Owner != me.Username {
			t.Errorf("%s: owner %q, want %q", path, st.Owner, me.Username)
		}
		if st.Group == "" {
			t.Errorf("%s: no group", path)
		}
	}
}

func TestTemporaryFilesAreHiddenAndReserved(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	w, err := s.Create(ctx, "dir/file", ufs.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	onDisk, err := os.ReadDir(filepath.Join(s.root, "dir"))
	if err != nil {
		t.Fatal(err)
	}
	if len(onDisk) != 1 || !isTempName(onDisk[0].Name()) || !strings.HasPrefix(onDisk[0].Name(), ".file.") {
		t.Fatalf("directory holds %v, want one temporary file named after the destination", onDisk)
	}
	listed, err := s.List(ctx, "dir")
	if err != nil || len(listed) != 0 {
		t.Fatalf("List shows %+v, %v; want nothing while the write is in progress", listed, err)
	}

	_, err = s.Stat(ctx, "dir/"+onDisk[0].Name())
	if !errors.Is(err, ufs.ErrInvalidPath) {
		t.Fatalf("stat of a temporary name: %v, want %v", err, ufs.ErrInvalidPath)
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if onDisk, _ := os.ReadDir(filepath.Join(s.root, "dir")); len(onDisk) != 0 {
		t.Fatalf("Abort left %v", onDisk)
	}
}

func TestLongNamesFitTheTemporaryName(t *testing.T) {
	s := newStore(t)
	// 250 bytes of two-byte runes: the temporary name must be cut, and cut
	// on a rune boundary.
	name := strings.Repeat("я", 125)
	if err := ufs.WriteFile(t.Context(), s, name, []byte("x"), ufs.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if ok, err := ufs.Exists(t.Context(), s, name); !ok || err != nil {
		t.Fatalf("Exists = %v, %v", ok, err)
	}
}

func TestCreateUnderAFile(t *testing.T) {
	s := newStore(t)
	if err := ufs.WriteFile(t.Context(), s, "file", []byte("x"), ufs.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	err := ufs.WriteFile(t.Context(), s, "file/child", []byte("y"), ufs.CreateOptions{})
	if !errors.Is(err, ufs.ErrNotDirectory) {
		t.Fatalf("create under a file: %v, want %v", err, ufs.ErrNotDirectory)
	}
	if err := s.Mkdirs(t.Context(), "file/sub"); !errors.Is(err, ufs.ErrNotDirectory) {
		t.Fatalf("mkdirs under a file: %v, want %v", err, ufs.ErrNotDirectory)
	}
}

func TestErrorsNameTheStorePath(t *testing.T) {
	s := newStore(t)
	_, err := s.Stat(t.Context(), "some/missing file")
	var pathErr *fs.PathError
	if !errors.As(err, &pathErr) || pathErr.Path != s.URI()+"/some/missing file" || pathErr.Op != "stat" {
		t.Fatalf("error %#v does not name the path as a URI", err)
	}
	if want := "stat " + s.URI() + "/some/missing file: not found"; err.Error() != want {
		t.Fatalf("message %q, want %q", err, want)
	}
}

func TestSymlinksAreReadButNotWalkedOrDeletedThrough(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "precious"), []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(s.root, "d"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(s.root, "d", "link")); err != nil {
		t.Fatal(err)
	}
	// A link back to the root would make a walk that follows links endless.
	if err := os.Symlink(s.root, filepath.Join(s.root, "d", "loop")); err != nil {
		t.Fatal(err)
	}
	data, err := ufs.ReadFile(ctx, s, "d/link/precious")
	if err != nil || string(data) != "keep" {
		t.Fatalf("read through a link: %q, %v", data, err)
	}
	var walked []string
	if err := s.Walk(ctx, "", func(st ufs.Status) error {
		walked = append(walked, st.Path)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"d", "d/link", "d/loop"}; strings.Join(walked, ",") != strings.Join(want, ",") {
		t.Fatalf("walk = %q, want %q", walked, want)
	}
	if err := s.DeleteAll(ctx, "d"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(outside, "precious")); err != nil {
		t.Fatalf("DeleteAll followed a link out of the store: %v", err)
	}
}

func TestCommitIsDurableOrAbsent(t *testing.T) {
	// A cancelled writer must remove its temporary file, not leave it for a
	// later List to hide forever.
	s := newStore(t)
	ctx, cancel := context.WithCancel(t.Context())
	w, err := s.Create(ctx, "f", ufs.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := w.Close(); !errors.Is(err, context.Canceled) {
		t.Fatalf("close: %v", err)
	}
	if onDisk, _ := os.ReadDir(s.root); len(onDisk) != 0 {
		t.Fatalf("cancelled write left %v", onDisk)
	}
}
