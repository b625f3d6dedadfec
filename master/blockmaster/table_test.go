package blockmaster

import (
	"slices"
	"testing"
	"time"

	"github.com/halo-fs/halo/fserr"
)

// clock is a test's time, stepped by hand.
type clock struct{ t time.Time }

func (c *clock) now() time.Time       { return c.t }
func (c *clock) step(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *clock                { return &clock{t: time.Unix(1_800_000_000, 0)} }
func table(c *clock, timeout time.Duration) *Table {
	return New(Config{Timeout: timeout, Now: c.now})
}

var addr = Address{Host: "127.0.0.7", RPCPort: 29999, DataPort: 29999, WebPort: 30000}

func memTier(capacity, used int64, blocks ...int64) Registration {
	return Registration{
		Tiers:    []string{"MEM"},
		Capacity: map[string]int64{"MEM": capacity},
		Used:     map[string]int64{"MEM": used},
		Blocks:   map[string][]int64{"MEM": blocks},
	}
}

func register(t *testing.T, tb *Table, a Address, r Registration) int64 {
	t.Helper()
	id, err := tb.IDFor(a)
	if err != nil {
		t.Fatal(err)
	}
	if err := tb.Register(id, r); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestWorkerIDIsTheSameOnEveryTable(t *testing.T) {
	c := newClock()
	first, second := table(c, time.Minute), table(c, time.Minute)
	a, err := first.IDFor(addr)
	if err != nil {
		t.Fatal(err)
	}
	b, err := second.IDFor(addr)
	if err != nil {
		t.Fatal(err)
	}
	if a != b || a <= 0 {
		t.Fatalf("ids %d and %d for the same worker: want one positive id", a, b)
	}
	other := addr
	other.RPCPort++
	o, _ := first.IDFor(other)
	if o == a {
		t.Fatalf("workers on ports %d and %d share id %d", addr.RPCPort, other.RPCPort, a)
	}
}

func TestRegisterAndHeartbeatAddUp(t *testing.T) {
	c := newClock()
	tb := table(c, time.Minute)
	id := register(t, tb, addr, memTier(100<<20, 1<<20, 1, 2))
	s := tb.Summary()
	if s.Live != 1 || s.Lost != 0 || s.Capacity != 100<<20 || s.Used != 1<<20 || s.CapacityOnTiers["MEM"] != 100<<20 {
		t.Fatalf("after register: %+v", s)
	}
	cmd := tb.Heartbeat(id, Heartbeat{Used: map[string]int64{"MEM": 3 << 20}, Added: map[string][]int64{"MEM": {3}}, Removed: []int64{1}})
	if cmd != Nothing {
		t.Fatalf("heartbeat of a registered worker answered %v, want Nothing", cmd)
	}
	if s := tb.Summary(); s.Used != 3<<20 {
		t.Fatalf("used after heartbeat %d, want %d", s.Used, 3<<20)
	}
	if _, ok := tb.Block(1); ok {
		t.Fatal("block 1 is still located after the worker removed it")
	}
	for _, b := range []int64{2, 3} {
		blk, ok := tb.Block(b)
		if !ok || len(blk.Locations) != 1 || blk.Locations[0].WorkerID != id || blk.Locations[0].Tier != "MEM" {
			t.Fatalf("block %d: %+v, %v; want on worker %d in MEM", b, blk, ok, id)
		}
	}
}

func TestCommitRecordsLengthAndLocation(t *testing.T) {
	c := newClock()
	tb := table(c, time.Minute)
	id := register(t, tb, addr, memTier(100, 0))
	if err := tb.Commit(id, "MEM", 77, 40, 40); err != nil {
		t.Fatal(err)
	}
	blk, ok := tb.Block(77)
	if !ok || blk.Length != 40 || len(blk.Locations) != 1 {
		t.Fatalf("block 77: %+v, %v", blk, ok)
	}
	if s := tb.Summary(); s.Used != 40 {
		t.Fatalf("used %d after commit, want 40", s.Used)
	}
	if err := tb.Commit(id+1, "MEM", 78, 1, 1); fserr.CodeOf(err) != fserr.NotFound {
		t.Fatalf("commit from an unknown worker: %v, want NotFound", err)
	}
}

func TestUnknownWorkerIsToldToRegister(t *testing.T) {
	c := newClock()
	tb := table(c, time.Minute)
	if cmd := tb.Heartbeat(WorkerID(addr), Heartbeat{}); cmd != Register {
		t.Fatalf("heartbeat of an unknown worker answered %v, want Register", cmd)
	}
	if err := tb.Register(WorkerID(addr), memTier(1, 0)); fserr.CodeOf(err) != fserr.NotFound {
		t.Fatalf("register without an id: %v, want NotFound", err)
	}
}

// A heartbeat that reaches a second master (a new leader) with the id the
// first gave is answered Register, and the registration that follows keeps
// the id: no "No worker with workerId … is found" loop.
func TestWorkerMovesToAnotherTableWithItsID(t *testing.T) {
	c := newClock()
	old, leader := table(c, time.Minute), table(c, time.Minute)
	id := register(t, old, addr, memTier(100, 0, 5))
	if cmd := leader.Heartbeat(id, Heartbeat{}); cmd != Register {
		t.Fatalf("new leader answered %v, want Register", cmd)
	}
	if again := register(t, leader, addr, memTier(100, 0, 5)); again != id {
		t.Fatalf("new leader gave id %d, the old one %d", again, id)
	}
	if cmd := leader.Heartbeat(id, Heartbeat{}); cmd != Nothing {
		t.Fatalf("heartbeat after re-registering answered %v", cmd)
	}
	if blk, ok := leader.Block(5); !ok || len(blk.Locations) != 1 {
		t.Fatalf("block 5 on the new leader: %+v, %v", blk, ok)
	}
}

func TestSilentWorkerIsLostAndComesBack(t *testing.T) {
	c := newClock()
	tb := table(c, time.Minute)
	id := register(t, tb, addr, memTier(100, 10, 9))
	c.step(time.Minute)
	if s := tb.Summary(); s.Live != 1 {
		t.Fatalf("lost at exactly the timeout: %+v", s)
	}
	c.step(time.Millisecond)
	s := tb.Summary()
	if s.Live != 0 || s.Lost != 1 || s.Capacity != 0 {
		t.Fatalf("after the timeout: %+v, want one lost worker and no capacity", s)
	}
	if _, ok := tb.Block(9); ok {
		t.Fatal("a lost worker's block is still located")
	}
	if ws := tb.Workers(); len(ws) != 1 || ws[0].State != Lost {
		t.Fatalf("workers: %+v", ws)
	}
	if cmd := tb.Heartbeat(id, Heartbeat{}); cmd != Register {
		t.Fatalf("heartbeat of a lost worker answered %v, want Register", cmd)
	}
	register(t, tb, addr, memTier(100, 10, 9))
	if s := tb.Summary(); s.Live != 1 || s.Lost != 0 || s.Capacity != 100 {
		t.Fatalf("after coming back: %+v", s)
	}
	if blk, ok := tb.Block(9); !ok || len(blk.Locations) != 1 {
		t.Fatalf("block 9 after coming back: %+v, %v", blk, ok)
	}
}

func TestHeartbeatsKeepAWorkerLive(t *testing.T) {
	c := newClock()
	tb := table(c, time.Minute)
	id := register(t, tb, addr, memTier(100, 0))
	for range 5 {
		c.step(50 * time.Second)
		if cmd := tb.Heartbeat(id, Heartbeat{}); cmd != Nothing {
			t.Fatalf("heartbeat answered %v", cmd)
		}
	}
	if s := tb.Summary(); s.Live != 1 {
		t.Fatalf("a worker heartbeating within the timeout: %+v", s)
	}
}

func TestBadReportsAreRefused(t *testing.T) {
	tb := table(newClock(), time.Minute)
	if _, err := tb.IDFor(Address{Host: "h", RPCPort: 70000}); fserr.CodeOf(err) != fserr.InvalidArgument {
		t.Fatalf("port 70000: %v", err)
	}
	if _, err := tb.IDFor(Address{RPCPort: 1}); fserr.CodeOf(err) != fserr.InvalidArgument {
		t.Fatalf("no host: %v", err)
	}
	id, _ := tb.IDFor(addr)
	if err := tb.Register(id, memTier(-1, 0)); fserr.CodeOf(err) != fserr.InvalidArgument {
		t.Fatalf("negative capacity: %v", err)
	}
	if err := tb.Register(id, memTier(1, 0)); err != nil {
		t.Fatal(err)
	}
	if err := tb.Commit(id, "MEM", 1, -5, 0); fserr.CodeOf(err) != fserr.InvalidArgument {
		t.Fatalf("negative length: %v", err)
	}
}

func TestBlockOnTwoWorkersKeepsTheLiveOne(t *testing.T) {
	c := newClock()
	tb := table(c, time.Minute)
	first := register(t, tb, addr, memTier(100, 0, 42))
	other := addr
	other.Host = "127.0.0.8"
	c.step(30 * time.Second)
	second := register(t, tb, other, memTier(100, 0, 42))
	if blk, _ := tb.Block(42); len(blk.Locations) != 2 {
		t.Fatalf("block 42 on both workers: %+v", blk)
	}
	c.step(31 * time.Second) // the first is silent 61 s, the second 31 s
	blk, ok := tb.Block(42)
	if !ok || len(blk.Locations) != 1 || blk.Locations[0].WorkerID != second {
		t.Fatalf("block 42 after worker %d was lost: %+v, %v; want it on worker %d alone", first, blk, ok, second)
	}
}

// BenchmarkRegisterMillionBlocks is the registration of a worker holding
// 1,000,000 blocks (go test -run - -bench Million -benchmem ./master/blockmaster).
func BenchmarkRegisterMillionBlocks(b *testing.B) {
	blocks := make([]int64, 1_000_000)
	for i := range blocks {
		blocks[i] = int64(i) << 24
	}
	r := memTier(1<<40, 0, blocks...)
	for b.Loop() {
		tb := New(Config{Timeout: time.Minute})
		id, _ := tb.IDFor(addr)
		if err := tb.Register(id, r); err != nil {
			b.Fatal(err)
		}
	}
}

// The blocks a worker registers with wait for a check against the
// namespace; blocks it adds later (writes in progress) do not. The check
// drops the unknown ones from the table, once: a heartbeat after it has
// nothing left to check, and a check that raced a new registration is
// ignored, since the new report is checked on its own.
func TestRegisteredBlocksAwaitVerification(t *testing.T) {
	c := newClock()
	tb := table(c, time.Minute)
	id := register(t, tb, addr, memTier(100<<20, 0, 1, 2, 3))
	tb.Heartbeat(id, Heartbeat{Added: map[string][]int64{"MEM": {4}}})
	check := tb.Unverified(id, 10)
	if got := sortedIDs(check.Blocks); len(got) != 3 || got[0] != 1 || got[2] != 3 {
		t.Fatalf("blocks awaiting the check: %v, want the registered 1 2 3", got)
	}
	tb.Verified(id, check, []int64{2})
	if _, ok := tb.Block(2); ok {
		t.Errorf("block 2, unknown to the namespace, still has a location")
	}
	if _, ok := tb.Block(1); !ok {
		t.Errorf("block 1, known to the namespace, lost its location")
	}
	if again := tb.Unverified(id, 10); len(again.Blocks) != 0 {
		t.Errorf("after the check, %v still await one", again.Blocks)
	}
	stale := tb.Unverified(id, 10)
	register(t, tb, addr, memTier(100<<20, 0, 5))
	tb.Verified(id, stale, []int64{5})
	if _, ok := tb.Block(5); !ok {
		t.Errorf("a check begun before the registration dropped block 5 it never looked at")
	}
	if fresh := tb.Unverified(id, 10); len(fresh.Blocks) != 1 || fresh.Blocks[0] != 5 {
		t.Errorf("the new registration's blocks awaiting the check: %v, want [5]", fresh.Blocks)
	}
}

func sortedIDs(ids []int64) []int64 {
	out := append([]int64(nil), ids...)
	slices.Sort(out)
	return out
}

// A large registration is checked a few blocks at a time, each block
// once.
func TestRegisteredBlocksAreCheckedInBatches(t *testing.T) {
	tb := table(newClock(), time.Minute)
	id := register(t, tb, addr, memTier(100<<20, 0, 1, 2, 3))
	first := tb.Unverified(id, 2)
	if !slices.Equal(first.Blocks, []int64{1, 2}) {
		t.Fatalf("first check: %v, want [1 2]", first.Blocks)
	}
	tb.Verified(id, first, nil)
	if rest := tb.Unverified(id, 2); !slices.Equal(rest.Blocks, []int64{3}) {
		t.Fatalf("second check: %v, want [3]", rest.Blocks)
	}
}

// A free queues the drop for the worker's next heartbeat. A commit of the
// block before then (a load that found it still there) calls the drop
// off; an add the heartbeat reports from before the free does not bring
// the freed location back, since that heartbeat's command drops it.
func TestCommitAfterFreeCallsTheDropOff(t *testing.T) {
	c := newClock()
	tb := table(c, time.Minute)
	id := register(t, tb, addr, memTier(100, 20, 77, 78))
	if n := tb.Free([]int64{77, 78}); n != 2 {
		t.Fatalf("free: %d copies to drop, want 2", n)
	}
	if err := tb.Commit(id, "MEM", 77, 10, 20); err != nil {
		t.Fatal(err)
	}
	tb.Heartbeat(id, Heartbeat{Added: map[string][]int64{"MEM": {78}}})
	if freed := tb.TakeFreed(id); !slices.Equal(freed, []int64{78}) {
		t.Errorf("blocks to drop after 77 was committed again: %v, want [78]", freed)
	}
	if blk, ok := tb.Block(77); !ok || len(blk.Locations) != 1 {
		t.Errorf("block 77, committed again after the free: %+v, %v; want one location", blk, ok)
	}
	if blk, ok := tb.Block(78); ok && len(blk.Locations) > 0 {
		t.Errorf("block 78, freed, reported added by a heartbeat from before the free: %+v; want no location", blk)
	}
}
