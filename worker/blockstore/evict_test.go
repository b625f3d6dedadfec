package blockstore

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/internal/poll"
)

const blockSize = 100 << 10

// threeTiers has room for three blocks of blockSize per tier.
func threeTiers(t *testing.T) Config {
	return newConfig(t,
		testTier{TierMEM, []int64{3 * blockSize}},
		testTier{TierSSD, []int64{blockSize, 2 * blockSize}},
		testTier{TierHDD, []int64{3 * blockSize}})
}

func TestFillingMEMMovesBlocksToSSDThenHDDAndPinnedBlocksStay(t *testing.T) {
	s := openStore(t, threeTiers(t))
	s.Pin([]int64{2})
	for id := int64(1); id <= 9; id++ {
		writeBlock(t, s, id, "", blockSize)
	}
	// LRU: each new block pushes the oldest unpinned one down a tier, and
	// that one the oldest there, so the newest stay on top. Block 2 is
	// pinned in MEM.
	if got, want := blocksIn(s, TierMEM), []int64{2, 8, 9}; !slices.Equal(got, want) {
		t.Errorf("MEM holds %v, want %v", got, want)
	}
	if got, want := blocksIn(s, TierSSD), []int64{5, 6, 7}; !slices.Equal(got, want) {
		t.Errorf("SSD holds %v, want %v", got, want)
	}
	if got, want := blocksIn(s, TierHDD), []int64{1, 3, 4}; !slices.Equal(got, want) {
		t.Errorf("HDD holds %v, want %v", got, want)
	}
	for id := int64(1); id <= 9; id++ {
		checkBlock(t, s, id, blockSize)
	}
	checkCapacityAddsUp(t, s, 9*blockSize)

	// A tenth block pushes one out of HDD, the last tier: it is removed.
	s.TakeChanges()
	writeBlock(t, s, 10, "", blockSize)
	ch := s.TakeChanges()
	if !slices.Equal(ch.Removed, []int64{1}) {
		t.Errorf("removed %v, want the least recently used block 1", ch.Removed)
	}
	moved := map[string][]int64{}
	for loc, ids := range ch.Added {
		moved[loc.Tier] = append(moved[loc.Tier], ids...)
	}
	for _, ids := range moved {
		slices.Sort(ids)
	}
	if !slices.Equal(moved[TierMEM], []int64{10}) || !slices.Equal(moved[TierSSD], []int64{8}) || !slices.Equal(moved[TierHDD], []int64{5}) {
		t.Errorf("added by location %v, want 10 in MEM, 8 in SSD, 5 in HDD", moved)
	}
	checkCapacityAddsUp(t, s, 9*blockSize)
}

// checkCapacityAddsUp compares the report's figures with each other and
// with the bytes the test knows are stored.
func checkCapacityAddsUp(t *testing.T, s *Store, stored int64) {
	t.Helper()
	var used int64
	usage := s.Usage()
	for i, tier := range s.Report().Tiers {
		if usage[i].Used != tier.Used || usage[i].Capacity != tier.Capacity || len(usage[i].Blocks) != 0 {
			t.Errorf("Usage()[%d] = %+v, Report has %d/%d bytes", i, usage[i], tier.Used, tier.Capacity)
		}
		var dirCapacity, dirUsed int64
		for _, d := range tier.Dirs {
			dirCapacity += d.Capacity
			dirUsed += d.Used
			if d.Used > d.Capacity {
				t.Errorf("%s uses %d of %d bytes", d.Path, d.Used, d.Capacity)
			}
		}
		if dirCapacity != tier.Capacity || dirUsed != tier.Used {
			t.Errorf("tier %s: %d/%d bytes, its folders %d/%d", tier.Alias, tier.Used, tier.Capacity, dirUsed, dirCapacity)
		}
		if tier.Capacity != 3*blockSize {
			t.Errorf("tier %s capacity %d, want %d", tier.Alias, tier.Capacity, 3*blockSize)
		}
		used += tier.Used
	}
	if used != stored {
		t.Errorf("used %d bytes in all, want %d", used, stored)
	}
}

func TestBlocksBeingReadAreNotEvicted(t *testing.T) {
	s := openStore(t, newConfig(t, testTier{TierMEM, []int64{2 * blockSize}}, testTier{TierSSD, []int64{4 * blockSize}}))
	writeBlock(t, s, 1, "", blockSize)
	writeBlock(t, s, 2, "", blockSize)
	r, err := s.OpenBlock(1) // also makes 1 the most recently used...
	if err != nil {
		t.Fatal(err)
	}
	checkBlock(t, s, 2, blockSize) // ...until 2 is read after it
	writeBlock(t, s, 3, "", blockSize)
	if got := blocksIn(s, TierMEM); !slices.Equal(got, []int64{1, 3}) {
		t.Errorf("MEM holds %v, want [1 3]: block 1 is being read", got)
	}
	r.Close()
	writeBlock(t, s, 4, "", blockSize)
	if got := blocksIn(s, TierMEM); !slices.Equal(got, []int64{3, 4}) {
		t.Errorf("MEM holds %v, want [3 4] once block 1 is closed", got)
	}
}

func TestReservationThatCannotBeMetIsNoSpace(t *testing.T) {
	s := openStore(t, newConfig(t, testTier{TierMEM, []int64{2 * blockSize}}))
	s.Pin([]int64{1})
	writeBlock(t, s, 1, "", blockSize)
	if _, err := s.CreateBlock(1, 2, "", 2*blockSize); !errors.Is(err, ErrNoSpace) {
		t.Errorf("reserving more than the unpinned space: got %v, want ErrNoSpace", err)
	}
	b, err := s.CreateBlock(1, 3, "", blockSize)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Write(make([]byte, blockSize+1)); !errors.Is(err, ErrNoSpace) {
		t.Errorf("writing past the space left: got %v, want ErrNoSpace", err)
	}
	if b.Size() != 0 {
		t.Errorf("a refused write wrote %d bytes", b.Size())
	}
	if _, err := b.Write(make([]byte, blockSize)); err != nil {
		t.Errorf("writing what fits: %v", err)
	}
}

func TestMoveBlockPromotesAndDemotes(t *testing.T) {
	s := openStore(t, threeTiers(t))
	writeBlock(t, s, 1, TierHDD, blockSize)
	s.TakeChanges()
	if err := s.MoveBlock(1, TierMEM); err != nil {
		t.Fatal(err)
	}
	meta, err := s.BlockMeta(1)
	if err != nil || meta.Location.Tier != TierMEM {
		t.Fatalf("after the move: %+v, %v", meta, err)
	}
	checkBlock(t, s, 1, blockSize)
	ch := s.TakeChanges()
	if !slices.Equal(ch.Added[meta.Location], []int64{1}) || len(ch.Removed) != 0 {
		t.Errorf("changes after a move = %+v, want block 1 added in MEM only", ch)
	}
	if err := s.MoveBlock(1, TierSSD); err != nil {
		t.Fatal(err)
	}
	if got := blocksIn(s, TierSSD); !slices.Equal(got, []int64{1}) {
		t.Errorf("SSD holds %v after demotion", got)
	}
	if err := s.MoveBlock(1, "NVME"); !errors.Is(err, ErrUnknownTier) {
		t.Errorf("move to an unknown tier: %v", err)
	}
	checkCapacityAddsUp(t, s, blockSize)
}

func TestHighWatermarkEvictsDownToTheLowWatermark(t *testing.T) {
	cfg := newConfig(t, testTier{TierMEM, []int64{10 * blockSize}}, testTier{TierSSD, []int64{10 * blockSize}})
	cfg.Tiers[0].HighWatermark, cfg.Tiers[0].LowWatermark = 0.8, 0.5
	s := openStore(t, cfg)
	for id := int64(1); id <= 8; id++ {
		writeBlock(t, s, id, "", blockSize)
	}
	// 8 of 10 is not above 80%; the ninth is.
	if got := blocksIn(s, TierSSD); len(got) != 0 {
		t.Fatalf("evicted %v at the high watermark", got)
	}
	writeBlock(t, s, 9, "", blockSize)
	poll.Until(t, 30*time.Second, "MEM down to its low watermark", func() bool {
		return len(blocksIn(s, TierMEM)) == 5
	})
	if got := blocksIn(s, TierSSD); !slices.Equal(got, []int64{1, 2, 3, 4}) {
		t.Errorf("SSD holds %v, want the four least recently used blocks", got)
	}
}

func TestLRFUKeepsAFrequentlyReadBlock(t *testing.T) {
	for _, tc := range []struct {
		annotator Annotator
		evicted   int64
	}{{LRU, 1}, {LRFU, 2}} {
		t.Run(string(tc.annotator), func(t *testing.T) {
			cfg := newConfig(t, testTier{TierMEM, []int64{3 * blockSize}}, testTier{TierSSD, []int64{3 * blockSize}})
			cfg.Annotator = tc.annotator
			s := openStore(t, cfg)
			writeBlock(t, s, 1, "", blockSize)
			for range 10 {
				checkBlock(t, s, 1, blockSize)
			}
			writeBlock(t, s, 2, "", blockSize)
			writeBlock(t, s, 3, "", blockSize)
			checkBlock(t, s, 2, blockSize)
			checkBlock(t, s, 3, blockSize)
			writeBlock(t, s, 4, "", blockSize)
			if got := blocksIn(s, TierSSD); !slices.Equal(got, []int64{tc.evicted}) {
				t.Errorf("evicted %v, want [%d]", got, tc.evicted)
			}
		})
	}
}

func TestPinnedFilesAndUnpinnedBlocks(t *testing.T) {
	s := openStore(t, newConfig(t, testTier{TierMEM, []int64{2 * blockSize}}, testTier{TierSSD, []int64{8 * blockSize}}))
	const file = int64(5)<<fsm.BlockSequenceBits | 0xFFFFFF // Alluxio's file id for container 5
	fileBlock := int64(5)<<fsm.BlockSequenceBits | 1
	s.Pin([]int64{1})
	s.Unpin([]int64{1})
	s.SetPinnedFiles([]int64{99 << fsm.BlockSequenceBits})
	s.SetPinnedFiles([]int64{file}) // replaces the previous list
	writeBlock(t, s, 1, "", blockSize)
	writeBlock(t, s, fileBlock, "", blockSize)
	writeBlock(t, s, 3, "", blockSize)
	if got := blocksIn(s, TierMEM); !slices.Equal(got, []int64{3, fileBlock}) {
		t.Errorf("MEM holds %v, want 3 and the pinned file's block", got)
	}
}
