package blockstore

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/halo-fs/halo/fserr"
)

// flipByte damages one byte of a file in place.
func flipByte(t *testing.T, path string, off int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0xFF
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

func TestReopenKeepsWholeBlocksAndDropsDamagedOnes(t *testing.T) {
	cfg := newConfig(t, testTier{TierSSD, []int64{16 << 20}})
	s, err := Open(cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	const n = 3*chunkSize + 10
	var paths = map[int64]string{}
	for id := int64(1); id <= 7; id++ {
		paths[id] = writeBlock(t, s, id, "", n).Path
	}
	unfinished, err := s.CreateBlock(1, 8, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := unfinished.Write(blockData(8, n)); err != nil {
		t.Fatal(err)
	}
	s.Close()

	if err := os.Truncate(paths[2], n-1); err != nil { // torn data
		t.Fatal(err)
	}
	flipByte(t, paths[3], 2*chunkSize+5)        // damaged data
	flipByte(t, paths[4]+metaSuffix, 20)        // damaged metadata
	if err := os.Remove(paths[5]); err != nil { // metadata left by a commit that did not finish
		t.Fatal(err)
	}
	meta1, err := os.ReadFile(paths[1] + metaSuffix)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(paths[6]+metaSuffix, meta1, 0o644); err != nil { // another block's metadata
		t.Fatal(err)
	}
	if err := os.Truncate(paths[7]+metaSuffix, 30); err != nil { // torn metadata
		t.Fatal(err)
	}
	stray := filepath.Join(filepath.Dir(paths[1]), "notes.txt")
	if err := os.WriteFile(stray, []byte("not a block"), 0o644); err != nil {
		t.Fatal(err)
	}

	s = openStore(t, cfg)
	if got := blocksIn(s, TierSSD); !slices.Equal(got, []int64{1}) {
		t.Fatalf("after reopening, blocks %v; want only the undamaged block 1", got)
	}
	checkBlock(t, s, 1, n)
	if used := s.Report().Tiers[0].Used; used != n {
		t.Errorf("used = %d, want block 1's %d bytes", used, n)
	}
	for id := int64(2); id <= 7; id++ {
		for _, path := range []string{paths[id], paths[id] + metaSuffix} {
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s of a damaged block is still there (%v)", path, err)
			}
		}
	}
	if left, _ := os.ReadDir(filepath.Join(cfg.Tiers[0].Dirs[0].Path, blocksFolder, tmpFolder)); len(left) != 0 {
		t.Errorf("temp folder still holds %d files", len(left))
	}
	if _, err := os.Stat(stray); err != nil {
		t.Errorf("a file that is not a block was touched: %v", err)
	}
	writeBlock(t, s, 8, "", 10) // the unfinished block's id is free
}

func TestCorruptDataFoundOnReadIsTypedAndDropsTheBlock(t *testing.T) {
	s := openStore(t, newConfig(t, testTier{TierMEM, []int64{16 << 20}}))
	const n = 4 * chunkSize
	meta := writeBlock(t, s, 3, "", n)
	s.TakeChanges()
	flipByte(t, meta.Path, 2*chunkSize+100)
	r, err := s.OpenBlock(3)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	buf := make([]byte, 10)
	if _, err := r.ReadAt(buf, 10); err != nil {
		t.Errorf("a good chunk of a damaged block: %v", err)
	}
	_, err = r.ReadAt(buf, 2*chunkSize+95)
	var e *Error
	if !errors.Is(err, ErrCorruptBlock) || !errors.As(err, &e) || e.BlockID != 3 || e.Offset != 2*chunkSize {
		t.Fatalf("read of the damaged chunk: got %v, want ErrCorruptBlock for block 3 at offset %d", err, 2*chunkSize)
	}
	if fserr.CodeOf(err) != fserr.Internal {
		t.Errorf("code %v, want Internal", fserr.CodeOf(err))
	}
	if s.HasBlock(3) {
		t.Error("the damaged block is still in the store")
	}
	if ch := s.TakeChanges(); !slices.Equal(ch.Removed, []int64{3}) {
		t.Errorf("changes %+v, want block 3 removed", ch)
	}
	if used := s.Report().Tiers[0].Used; used != 0 {
		t.Errorf("used = %d after dropping the only block", used)
	}
}

func TestReopenAfterAnUnfinishedMoveKeepsOneCopy(t *testing.T) {
	cfg := newConfig(t, testTier{TierMEM, []int64{1 << 20}}, testTier{TierSSD, []int64{1 << 20}})
	s, err := Open(cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	meta := writeBlock(t, s, 1, "", 1000)
	s.Close()
	ssd := filepath.Join(cfg.Tiers[1].Dirs[0].Path, blocksFolder)
	for _, suffix := range []string{"", metaSuffix} {
		data, err := os.ReadFile(meta.Path + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(ssd, "1"+suffix), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s = openStore(t, cfg)
	if mem, ssdBlocks := blocksIn(s, TierMEM), blocksIn(s, TierSSD); len(mem)+len(ssdBlocks) != 1 {
		t.Fatalf("MEM %v and SSD %v: want one copy of block 1", mem, ssdBlocks)
	}
	checkBlock(t, s, 1, 1000)
	var used int64
	for _, tier := range s.Report().Tiers {
		used += tier.Used
	}
	if used != 1000 {
		t.Errorf("used %d bytes, want 1000", used)
	}
}

func TestMissingTierFolderIsLostStorage(t *testing.T) {
	cfg := newConfig(t, testTier{TierMEM, []int64{1 << 20, 1 << 20}}, testTier{TierSSD, []int64{1 << 20}})
	s, err := Open(cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	gone := cfg.Tiers[0].Dirs[1].Path
	for id := int64(1); id <= 4; id++ {
		writeBlock(t, s, id, "", 1000) // the roomier folder takes each: two each
	}
	s.Close()
	if err := os.RemoveAll(gone); err != nil {
		t.Fatal(err)
	}

	s = openStore(t, cfg)
	report := s.Report()
	if !slices.Equal(report.LostStorage[TierMEM], []string{gone}) {
		t.Errorf("lost storage %v, want MEM: [%s]", report.LostStorage, gone)
	}
	mem := report.Tiers[0]
	if mem.Capacity != 1<<20 || len(mem.Dirs) != 1 || mem.Used != 2000 {
		t.Errorf("MEM after losing a folder: %+v", mem)
	}
	if got := blocksIn(s, TierMEM); len(got) != 2 {
		t.Errorf("MEM holds %v, want the two blocks of the folder left", got)
	}
	if _, err := os.Stat(gone); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the lost folder was created again: %v", err)
	}
}

func TestTierFolderThatDisappearsWhileOpenIsLostStorage(t *testing.T) {
	cfg := newConfig(t, testTier{TierMEM, []int64{1 << 20, 2 << 20}})
	s := openStore(t, cfg)
	gone := cfg.Tiers[0].Dirs[1].Path // the roomier one: the next block goes there
	writeBlock(t, s, 1, "", 1000)
	s.TakeChanges()
	if err := os.RemoveAll(gone); err != nil {
		t.Fatal(err)
	}
	meta := writeBlock(t, s, 2, "", 1000)
	if meta.Location.Dir == gone {
		t.Fatalf("block 2 was committed in the vanished folder")
	}
	ch := s.TakeChanges()
	if !slices.Equal(ch.LostStorage[TierMEM], []string{gone}) || !slices.Equal(ch.Removed, []int64{1}) {
		t.Errorf("changes %+v, want %s lost and its block 1 removed", ch, gone)
	}
	if capacity := s.Report().Tiers[0].Capacity; capacity != 1<<20 {
		t.Errorf("capacity %d after the loss, want %d", capacity, 1<<20)
	}
}

func TestOpenWithNoUsableFolderFails(t *testing.T) {
	cfg := newConfig(t, testTier{TierMEM, []int64{1 << 20}})
	if err := os.RemoveAll(cfg.Tiers[0].Dirs[0].Path); err != nil {
		t.Fatal(err)
	}
	s, err := Open(cfg, testLogger(t))
	if err == nil {
		s.Close()
		t.Fatal("Open succeeded with no usable folder")
	}
	if !strings.Contains(err.Error(), cfg.Tiers[0].Dirs[0].Path) {
		t.Errorf("the error %q does not name the missing folder", err)
	}
}

func TestSecondOpenOfTheSameFoldersIsRefused(t *testing.T) {
	cfg := newConfig(t, testTier{TierMEM, []int64{1 << 20}})
	s := openStore(t, cfg)
	b, err := s.CreateBlock(1, 1, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Write([]byte("in flight")); err != nil {
		t.Fatal(err)
	}
	if second, err := Open(cfg, testLogger(t)); !errors.Is(err, ErrInUse) {
		if second != nil {
			second.Close()
		}
		t.Fatalf("second Open: got %v, want ErrInUse", err)
	}
	if _, err := b.Commit(); err != nil {
		t.Fatalf("the first store's temp block after a refused second Open: %v", err)
	}
	s.Close()
	again := openStore(t, cfg)
	checkBlockBytes(t, again, 1, []byte("in flight"))
}

func checkBlockBytes(t *testing.T, s *Store, id int64, want []byte) {
	t.Helper()
	got, err := readBlock(s, id)
	if err != nil || string(got) != string(want) {
		t.Fatalf("block %d: %q, %v; want %q", id, got, err, want)
	}
}

func TestSkippingTheDataCheckAtOpenLeavesDamageToTheRead(t *testing.T) {
	cfg := newConfig(t, testTier{TierSSD, []int64{1 << 20}})
	cfg.SkipDataCheckOnOpen = true
	s, err := Open(cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	rotten := writeBlock(t, s, 1, "", 1000)
	torn := writeBlock(t, s, 2, "", 1000)
	s.Close()
	flipByte(t, rotten.Path, 500)
	if err := os.Truncate(torn.Path, 999); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, cfg)
	if got := blocksIn(s, TierSSD); !slices.Equal(got, []int64{1}) {
		t.Fatalf("blocks %v after a quick Open, want the torn block 2 dropped and block 1 kept", got)
	}
	if _, err := readBlock(s, 1); !errors.Is(err, ErrCorruptBlock) {
		t.Errorf("reading the damaged block: got %v, want ErrCorruptBlock", err)
	}
	if s.HasBlock(1) {
		t.Error("the damaged block is still there after the read found it")
	}
}
