package blockstore

import (
	"errors"
	"io"
	"os"
	"slices"
	"testing"

	"github.com/halo-fs/halo/fserr"
)

func TestTempBlockIsInvisibleUntilCommit(t *testing.T) {
	s := openStore(t, newConfig(t, testTier{TierMEM, []int64{1 << 20}}))
	b, err := s.CreateBlock(1, 42, "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Write(blockData(42, 5000)); err != nil {
		t.Fatal(err)
	}
	if s.HasBlock(42) {
		t.Error("HasBlock sees an uncommitted block")
	}
	if _, err := s.OpenBlock(42); !errors.Is(err, ErrBlockNotFound) {
		t.Errorf("OpenBlock of an uncommitted block: got %v, want ErrBlockNotFound", err)
	}
	if ids := blocksIn(s, TierMEM); len(ids) != 0 {
		t.Errorf("Report lists uncommitted blocks %v", ids)
	}
	if ch := s.TakeChanges(); len(ch.Added) != 0 {
		t.Errorf("TakeChanges reports an uncommitted block: %v", ch.Added)
	}
	if used := s.Report().Tiers[0].Used; used != 5000 {
		t.Errorf("used while writing = %d, want the 5000 bytes reserved", used)
	}
	if _, err := s.CreateBlock(2, 42, "", 0); !errors.Is(err, ErrBlockExists) {
		t.Errorf("second CreateBlock of a block being written: got %v, want ErrBlockExists", err)
	}

	meta, err := b.Commit()
	if err != nil {
		t.Fatal(err)
	}
	if meta.Length != 5000 || meta.Location.Tier != TierMEM {
		t.Errorf("commit meta = %+v", meta)
	}
	checkBlock(t, s, 42, 5000)
	ch := s.TakeChanges()
	if got := ch.Added[meta.Location]; !slices.Equal(got, []int64{42}) {
		t.Errorf("TakeChanges after commit added %v, want [42] at %+v", ch.Added, meta.Location)
	}
	if _, err := s.CreateBlock(2, 42, "", 0); !errors.Is(err, ErrBlockExists) || fserr.CodeOf(err) != fserr.AlreadyExists {
		t.Errorf("CreateBlock of a committed block: got %v (code %v), want ErrBlockExists/AlreadyExists", err, fserr.CodeOf(err))
	}
}

func TestAbortReleasesSpaceAndLeavesNothing(t *testing.T) {
	s := openStore(t, newConfig(t, testTier{TierMEM, []int64{1 << 20}}))
	b, err := s.CreateBlock(1, 7, "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Write(make([]byte, 3000)); err != nil {
		t.Fatal(err)
	}
	if err := b.Abort(); err != nil {
		t.Fatal(err)
	}
	if used := s.Report().Tiers[0].Used; used != 0 {
		t.Errorf("used after abort = %d, want 0", used)
	}
	if s.HasBlock(7) {
		t.Error("an aborted block is visible")
	}
	if _, err := b.Commit(); !errors.Is(err, ErrClosed) {
		t.Errorf("Commit after Abort: got %v, want ErrClosed", err)
	}
	writeBlock(t, s, 7, "", 10) // the id is free again
}

func TestCleanupSessionAbortsOnlyThatSessionsBlocks(t *testing.T) {
	s := openStore(t, newConfig(t, testTier{TierMEM, []int64{1 << 20}}))
	mine, err := s.CreateBlock(1, 1, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.CreateBlock(2, 2, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	s.CleanupSession(1)
	if _, err := mine.Write([]byte("x")); !errors.Is(err, ErrClosed) {
		t.Errorf("write after the session's cleanup: got %v, want ErrClosed", err)
	}
	if _, err := other.Write([]byte("x")); err != nil {
		t.Errorf("another session's block: %v", err)
	}
	if used := s.Report().Tiers[0].Used; used != 100 {
		t.Errorf("used = %d, want the other session's 100 bytes", used)
	}
}

func TestReadsPastTheEndAndOfUnknownBlocksAreTypedErrors(t *testing.T) {
	s := openStore(t, newConfig(t, testTier{TierMEM, []int64{1 << 20}}))
	writeBlock(t, s, 5, "", 1000)
	r, err := s.OpenBlock(5)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	buf := make([]byte, 100)
	for _, off := range []int64{1000, 5000, -1} {
		_, err := r.ReadAt(buf, off)
		var e *Error
		if !errors.Is(err, ErrReadPastEnd) || !errors.As(err, &e) || e.Offset != off || e.BlockID != 5 {
			t.Errorf("ReadAt(off %d): got %v, want ErrReadPastEnd naming block 5 and the offset", off, err)
		}
		if fserr.CodeOf(err) != fserr.InvalidArgument {
			t.Errorf("ReadAt(off %d): code %v, want InvalidArgument", off, fserr.CodeOf(err))
		}
	}
	n, err := r.ReadAt(buf, 950)
	if n != 50 || !errors.Is(err, io.EOF) {
		t.Errorf("ReadAt over the end: %d bytes, %v; want 50 and io.EOF", n, err)
	}
	if string(buf[:50]) != string(blockData(5, 1000)[950:]) {
		t.Error("ReadAt over the end returned the wrong bytes")
	}

	for name, call := range map[string]func() error{
		"OpenBlock":   func() error { _, err := s.OpenBlock(99); return err },
		"RemoveBlock": func() error { return s.RemoveBlock(99) },
		"MoveBlock":   func() error { return s.MoveBlock(99, TierMEM) },
		"BlockMeta":   func() error { _, err := s.BlockMeta(99); return err },
	} {
		err := call()
		if !errors.Is(err, ErrBlockNotFound) || fserr.CodeOf(err) != fserr.NotFound {
			t.Errorf("%s(99): got %v, want ErrBlockNotFound with code NotFound", name, err)
		}
	}
	if _, err := s.CreateBlock(1, 6, "SSD", 0); !errors.Is(err, ErrUnknownTier) {
		t.Errorf("CreateBlock in a tier not configured: got %v, want ErrUnknownTier", err)
	}
	if _, err := s.CreateBlock(1, 6, "", -1); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("CreateBlock with a negative reservation: got %v, want ErrInvalidRequest", err)
	}
}

func TestUnalignedReadsReturnTheWrittenBytes(t *testing.T) {
	s := openStore(t, newConfig(t, testTier{TierMEM, []int64{8 << 20}}))
	const n = 3*chunkSize + 123
	writeBlock(t, s, 9, "", n)
	want := blockData(9, n)
	r, err := s.OpenBlock(9)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, span := range [][2]int64{{0, n}, {1, 10}, {chunkSize - 5, 10}, {chunkSize, chunkSize}, {2*chunkSize + 7, chunkSize + 116}, {n - 1, 1}} {
		buf := make([]byte, span[1])
		if _, err := r.ReadAt(buf, span[0]); err != nil {
			t.Fatalf("ReadAt(%d, %d): %v", span[0], span[1], err)
		}
		if string(buf) != string(want[span[0]:span[0]+span[1]]) {
			t.Errorf("ReadAt(%d, %d) returned the wrong bytes", span[0], span[1])
		}
	}
}

func TestRemoveBlockReportsTheRemoval(t *testing.T) {
	s := openStore(t, newConfig(t, testTier{TierMEM, []int64{1 << 20}}))
	writeBlock(t, s, 1, "", 100)
	writeBlock(t, s, 2, "", 100)
	s.TakeChanges()
	if err := s.RemoveBlock(1); err != nil {
		t.Fatal(err)
	}
	if s.HasBlock(1) || !s.HasBlock(2) {
		t.Error("RemoveBlock removed the wrong block")
	}
	ch := s.TakeChanges()
	if !slices.Equal(ch.Removed, []int64{1}) || len(ch.Added) != 0 {
		t.Errorf("changes = %+v, want block 1 removed", ch)
	}
	if used := s.Report().Tiers[0].Used; used != 100 {
		t.Errorf("used = %d, want 100", used)
	}
}

// A client on the worker's host writes the temp file itself (Alluxio's
// CreateLocalBlock); Commit checksums what it wrote and counts it.
func TestCommitOfABlockWrittenThroughItsPath(t *testing.T) {
	s := openStore(t, newConfig(t, testTier{TierSSD, []int64{1 << 20}}))
	b, err := s.CreateBlock(1, 4, "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Reserve(2 * chunkSize); err != nil {
		t.Fatal(err)
	}
	data := blockData(4, 2*chunkSize+500)
	if err := os.WriteFile(b.Path(), data, 0o644); err != nil {
		t.Fatal(err)
	}
	meta, err := b.Commit()
	if err != nil {
		t.Fatal(err)
	}
	if meta.Length != int64(len(data)) {
		t.Errorf("committed length %d, want %d", meta.Length, len(data))
	}
	checkBlock(t, s, 4, len(data))
	if used := s.Report().Tiers[0].Used; used != int64(len(data)) {
		t.Errorf("used %d, want %d", used, len(data))
	}
}

func TestChangesOfABlockRemovedAndWrittenAgain(t *testing.T) {
	s := openStore(t, newConfig(t, testTier{TierMEM, []int64{1 << 20}}))
	writeBlock(t, s, 1, "", 10)
	writeBlock(t, s, 2, "", 10)
	s.TakeChanges()
	if err := s.RemoveBlock(1); err != nil {
		t.Fatal(err)
	}
	meta := writeBlock(t, s, 1, "", 20)
	writeBlock(t, s, 3, "", 10)
	if err := s.RemoveBlock(3); err != nil {
		t.Fatal(err)
	}
	ch := s.TakeChanges()
	if !slices.Equal(ch.Removed, []int64{1, 3}) || !slices.Equal(ch.Added[meta.Location], []int64{1}) || len(ch.Added) != 1 {
		t.Errorf("changes %+v; want 1 and 3 removed and 1 added again", ch)
	}
	if ch := s.TakeChanges(); len(ch.Added)+len(ch.Removed) != 0 {
		t.Errorf("a second TakeChanges repeats %+v", ch)
	}
}
