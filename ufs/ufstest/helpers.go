package ufstest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/halo-fs/halo/ufs"
)

// Helpers for the subtests. Each fails the test with the path and error in
// the message.

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
