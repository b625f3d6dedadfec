package ufstest

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/halo-fs/halo/ufs"
)

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
