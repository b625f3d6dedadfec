package raft

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/ha/hatest"
	"github.com/halo-fs/halo/ufs"
	"github.com/halo-fs/halo/ufs/local"
)

func newTestArchive(t *testing.T, retain int) (*CheckpointArchive, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "archive")
	store, err := local.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return &CheckpointArchive{Store: store, Retain: retain, Log: hatest.Logger(t, "archive")}, dir
}

// namespaceAt returns the checkpoint of a namespace after n (at most 6)
// mutations.
func namespaceAt(t *testing.T, n int) (uint64, []byte) {
	t.Helper()
	f := fsm.New(fsm.DefaultConfig())
	for i, e := range hatest.SomeMutations(1)[:n] {
		if res := f.Apply(uint64(i+1), e); res.Err != nil {
			t.Fatalf("apply %d: %v", i+1, res.Err)
		}
	}
	return f.AppliedIndex(), hatest.CheckpointBytes(t, f)
}

func archivedIndexes(t *testing.T, a *CheckpointArchive) []uint64 {
	t.Helper()
	idx, err := a.indexes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return idx
}

func TestArchiveRoundTrip(t *testing.T) {
	ctx := context.Background()
	a, _ := newTestArchive(t, 0)

	loc, data, err := a.RestoreNewest(ctx, fsm.New(fsm.DefaultConfig()))
	if loc != "" || data != nil || err != nil {
		t.Fatalf("RestoreNewest of an empty archive = %q, %d bytes, %v; want nothing", loc, len(data), err)
	}

	index, want := namespaceAt(t, 6)
	loc, err = a.Write(ctx, index, bytes.NewReader(want))
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	if wantLoc := ufs.Join(a.Store.URI(), archiveName(index)); loc != wantLoc {
		t.Errorf("Write returned %q, want %q", loc, wantLoc)
	}
	f := fsm.New(fsm.DefaultConfig())
	got, data, err := a.RestoreNewest(ctx, f)
	if err != nil || got != loc || !bytes.Equal(data, want) {
		t.Fatalf("RestoreNewest = %q, %d bytes, %v; want %q, %d bytes", got, len(data), err, loc, len(want))
	}
	if f.AppliedIndex() != index || !bytes.Equal(hatest.CheckpointBytes(t, f), want) {
		t.Errorf("restored namespace differs from the archived one")
	}
}

func TestArchiveSkipsDamagedCopies(t *testing.T) {
	ctx := context.Background()
	a, dir := newTestArchive(t, 5)
	oldIndex, oldData := namespaceAt(t, 3)
	midIndex, midData := namespaceAt(t, 5)
	newIndex, newData := namespaceAt(t, 6)
	for _, c := range []struct {
		index uint64
		data  []byte
	}{{oldIndex, oldData}, {midIndex, midData}, {newIndex, newData}} {
		if _, err := a.Write(ctx, c.index, bytes.NewReader(c.data)); err != nil {
			t.Fatal(err)
		}
	}

	damage := func(index uint64, change func([]byte) []byte) {
		t.Helper()
		path := filepath.Join(dir, archiveName(index))
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, change(b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	restore := func(wantIndex uint64, wantData []byte) {
		t.Helper()
		f := fsm.New(fsm.DefaultConfig())
		loc, data, err := a.RestoreNewest(ctx, f)
		if err != nil {
			t.Fatalf("RestoreNewest: %v", err)
		}
		if want := ufs.Join(a.Store.URI(), archiveName(wantIndex)); loc != want || !bytes.Equal(data, wantData) {
			t.Fatalf("RestoreNewest = %q, want %q", loc, want)
		}
		if !bytes.Equal(hatest.CheckpointBytes(t, f), wantData) {
			t.Fatalf("namespace restored from %s differs from the one archived", loc)
		}
	}

	damage(newIndex, func(b []byte) []byte { b[len(b)/2] ^= 1; return b })
	restore(midIndex, midData)
	damage(midIndex, func(b []byte) []byte { return b[:len(b)-3] })
	restore(oldIndex, oldData)
	damage(oldIndex, func([]byte) []byte { return nil })
	f := fsm.New(fsm.DefaultConfig())
	before := hatest.CheckpointBytes(t, f)
	if loc, _, err := a.RestoreNewest(ctx, f); loc != "" || err != nil {
		t.Errorf("RestoreNewest with every copy damaged = %q, %v; want nothing", loc, err)
	}
	if !bytes.Equal(hatest.CheckpointBytes(t, f), before) {
		t.Errorf("failed restores changed the namespace")
	}
}

func TestArchivePruning(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		retain, want int
	}{{1, 1}, {2, 2}, {0, 3}} {
		a, dir := newTestArchive(t, tt.retain)
		// Files that are not archived checkpoints are left alone.
		for _, name := range []string{"notes.txt", "checkpoint-1.ckpt", "checkpoint-00000000000000zz.ckpt"} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		index, data := namespaceAt(t, 1)
		var written []uint64
		// Out of order, as two leaders in turn may write them.
		for _, i := range []uint64{5, 3, 9, 7, 11, 1} {
			if _, err := a.Write(ctx, index+i, bytes.NewReader(data)); err != nil {
				t.Fatal(err)
			}
			written = append(written, index+i)
		}
		slices.Sort(written)
		slices.Reverse(written)
		// Each Write prunes to the newest Retain, so an older copy written
		// after newer ones is removed at once.
		if got, want := archivedIndexes(t, a), written[:tt.want]; !slices.Equal(got, want) {
			t.Errorf("retain %d: archive holds %v, want %v", tt.retain, got, want)
		}
		for _, name := range []string{"notes.txt", "checkpoint-1.ckpt", "checkpoint-00000000000000zz.ckpt"} {
			if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
				t.Errorf("retain %d: pruning touched %s: %v", tt.retain, name, err)
			}
		}
	}
}

func TestArchiveNames(t *testing.T) {
	for _, index := range []uint64{0, 1, 0xabc, 1<<64 - 1} {
		got, ok := parseArchiveName(archiveName(index))
		if !ok || got != index {
			t.Errorf("parseArchiveName(archiveName(%d)) = %d, %v", index, got, ok)
		}
	}
	for _, name := range []string{"", "checkpoint-.ckpt", "checkpoint-1.ckpt", "checkpoint-00000000000000001.ckpt",
		"checkpoint-000000000000000g.ckpt", "checkpoint-0000000000000001.ckpt.tmp", "x-0000000000000001.ckpt",
		"checkpoint-+000000000000001.ckpt"} {
		if _, ok := parseArchiveName(name); ok {
			t.Errorf("parseArchiveName(%q) accepted", name)
		}
	}
}
