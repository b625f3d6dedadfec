package ufstest

import (
	"bytes"
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
