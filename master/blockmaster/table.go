// Package blockmaster keeps the masters' table of workers: who they are,
// their tiers with capacity and used bytes, and which blocks each holds.
//
// The table is soft state, never journaled: workers report it (register,
// heartbeats, block commits) and every master, standby or primary,
// rebuilds it from those reports. What the journal keeps is the files'
// block lists, which belong to the namespace. Worker ids are derived from
// the worker's address (WorkerID), so every master hands a worker the
// same id and a heartbeat that reaches a new leader after a failover is
// recognised, not refused as unknown.
//
// A worker silent for longer than the timeout is lost: its block
// locations are dropped, and its next heartbeat is answered with a
// command to register again, which brings it back live with its blocks.
// Time comes from an injected clock, so tests step it instead of waiting.
package blockmaster

import (
	"hash/fnv"
	"math"
	"net"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/halo-fs/halo/fserr"
)

// Address is where a worker serves; Host and RPCPort identify it.
type Address struct {
	Host                       string
	RPCPort, DataPort, WebPort int
	DomainSocketPath           string
	// Locality is the worker's tiered identity (tier name to value,
	// e.g. node, rack), echoed back to clients.
	Locality []LocalityTier
}

// LocalityTier is one level of a worker's tiered identity.
type LocalityTier struct{ Name, Value string }

// WorkerID is the id every master gives the worker at addr: a hash of its
// host and RPC port, positive and never zero. Two processes serving the
// same address are the same worker, as for Alluxio's masters.
func WorkerID(addr Address) int64 {
	h := fnv.New64a()
	h.Write([]byte(net.JoinHostPort(addr.Host, strconv.Itoa(addr.RPCPort))))
	id := int64(h.Sum64() & math.MaxInt64)
	if id == 0 {
		return 1
	}
	return id
}

// Registration is a worker's full report: its tiers in order (MEM first),
// their capacity and used bytes, the blocks it holds per tier and the
// storage it has lost (tier to dirs).
type Registration struct {
	Tiers       []string
	Capacity    map[string]int64
	Used        map[string]int64
	Blocks      map[string][]int64
	LostStorage map[string][]string
}

// Heartbeat is a worker's periodic report of what changed.
type Heartbeat struct {
	Used map[string]int64
	// Capacity, when set, replaces the tiers' capacity (a tier dir lost
	// or added since registration).
	Capacity    map[string]int64
	Added       map[string][]int64
	Removed     []int64
	LostStorage map[string][]string
}

// Command is the master's answer to a heartbeat.
type Command int

const (
	// Nothing: carry on.
	Nothing Command = iota
	// Register: this master does not know the worker (it never heard of
	// it, or lost it); the worker must register again with its full
	// report.
	Register
)

// State is a worker's liveness.
type State int

const (
	Live State = iota
	Lost
)

// Config configures a table.
type Config struct {
	// Timeout is alluxio.master.worker.timeout: a worker silent longer is
	// lost.
	Timeout time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Table is the soft-state worker table of one master.
type Table struct {
	timeout time.Duration
	now     func() time.Time

	mu sync.Mutex
	// addresses are the workers that asked for an id, registered or not.
	addresses map[int64]Address
	workers   map[int64]*worker
	// locations index the live workers' blocks: block id to the ids of
	// the workers holding it (the tier is in each worker's blocks). A
	// slice, not a map: a block usually has one holder, and a worker may
	// report a million blocks.
	locations map[int64][]int64
	// lengths are block lengths learnt from commits.
	lengths map[int64]int64
}

type worker struct {
	id          int64
	state       State
	started     time.Time // when it last registered
	lastContact time.Time
	tiers       []string
	capacity    map[string]int64
	used        map[string]int64
	blocks      map[int64]string // block id to tier alias
	lostStorage map[string][]string
	// registration counts the worker's registrations with this table.
	registration uint64
	// unverified are the blocks of its last registration not yet
	// checked against the namespace (see Unverified).
	unverified []int64
	// toFree are blocks the worker is to drop at its next heartbeat
	// (see Free).
	toFree []int64
}

// New makes an empty table.
func New(cfg Config) *Table {
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Table{
		timeout:   cfg.Timeout,
		now:       now,
		addresses: make(map[int64]Address),
		workers:   make(map[int64]*worker),
		locations: make(map[int64][]int64),
		lengths:   make(map[int64]int64),
	}
}

// IDFor is GetWorkerId: the worker's id, remembered with its address for
// the registration that follows.
func (t *Table) IDFor(addr Address) (int64, error) {
	if addr.Host == "" || addr.RPCPort <= 0 || addr.RPCPort > math.MaxUint16 {
		return 0, fserr.New(fserr.InvalidArgument, "a worker address needs a host and an RPC port in 1..65535, got %q port %d", addr.Host, addr.RPCPort)
	}
	id := WorkerID(addr)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.addresses[id] = addr
	return id, nil
}

// Register records the worker's full report, replacing whatever the
// table held for it; a lost worker is live again.
func (t *Table) Register(id int64, r Registration) error {
	if err := validTiers(r); err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.addresses[id]; !ok {
		return unknownWorker(id)
	}
	var registration uint64
	if old, ok := t.workers[id]; ok {
		t.dropLocations(old)
		registration = old.registration + 1
	}
	now := t.now()
	w := &worker{
		id: id, state: Live, started: now, lastContact: now,
		tiers:        append([]string(nil), r.Tiers...),
		capacity:     copyCounts(r.Capacity),
		used:         copyCounts(r.Used),
		blocks:       make(map[int64]string),
		lostStorage:  r.LostStorage,
		registration: registration,
	}
	t.workers[id] = w
	for tier, ids := range r.Blocks {
		for _, b := range ids {
			t.addLocation(w, b, tier)
			w.unverified = append(w.unverified, b)
		}
	}
	return nil
}

// Check is a worker's registered blocks awaiting the check against the
// namespace, from one registration.
type Check struct {
	Blocks       []int64
	registration uint64
}

// Unverified returns up to limit of the blocks the worker registered
// with that no check against the namespace has passed yet: a check of a
// few at a time keeps each heartbeat's answer, and the namespace's read
// lock, short. Only the blocks of a registration
// are checked: the worker held them before it registered, so a block the
// namespace does not know is left over (its file deleted, or its write
// abandoned), whereas a block added since may belong to a write still in
// progress.
func (t *Table) Unverified(id int64, limit int) Check {
	t.mu.Lock()
	defer t.mu.Unlock()
	w, ok := t.workers[id]
	if !ok || w.state == Lost {
		return Check{}
	}
	return Check{Blocks: w.unverified[:min(limit, len(w.unverified))], registration: w.registration}
}

// Verified ends check: its blocks are checked, and unknown, those the
// namespace does not know, lose their location on the worker. It returns
// those the worker still held, which it is to delete. A check of an
// earlier registration changes nothing.
func (t *Table) Verified(id int64, check Check, unknown []int64) []int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	w, ok := t.workers[id]
	if !ok || w.registration != check.registration {
		return nil
	}
	var dropped []int64
	for _, b := range unknown {
		if _, held := w.blocks[b]; held {
			t.removeLocation(w, b)
			dropped = append(dropped, b)
		}
	}
	w.unverified = w.unverified[len(check.Blocks):]
	if len(w.unverified) == 0 {
		w.unverified = nil
	}
	return dropped
}

// Heartbeat applies a worker's heartbeat and returns the command for it.
// A worker this table does not hold live is told to register.
func (t *Table) Heartbeat(id int64, h Heartbeat) Command {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sweep()
	w, ok := t.workers[id]
	if !ok || w.state == Lost {
		return Register
	}
	w.lastContact = t.now()
	for tier, n := range h.Used {
		w.used[tier] = n
	}
	for tier, n := range h.Capacity {
		w.capacity[tier] = n
	}
	for _, b := range h.Removed {
		t.removeLocation(w, b)
	}
	for tier, ids := range h.Added {
		for _, b := range ids {
			// A block freed since the worker added it is dropped on the
			// command this heartbeat takes (TakeFreed): its add is stale.
			if !slices.Contains(w.toFree, b) {
				t.addLocation(w, b, tier)
			}
		}
	}
	if len(h.LostStorage) > 0 {
		w.lostStorage = h.LostStorage
	}
	return Nothing
}

// Commit records that the worker holds a new block of length bytes on
// tier, which now has used bytes in use.
func (t *Table) Commit(id int64, tier string, block, length, used int64) error {
	if length < 0 || used < 0 {
		return fserr.New(fserr.InvalidArgument, "block %d: negative length %d or used bytes %d", block, length, used)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sweep()
	w, ok := t.workers[id]
	if !ok || w.state == Lost {
		return unknownWorker(id)
	}
	w.lastContact = t.now()
	w.used[tier] = used
	t.lengths[block] = length
	t.addLocation(w, block, tier)
	// A block committed again after a free (a load that found it still
	// there) is to stay: the drop the free queued is called off.
	w.toFree = slices.DeleteFunc(w.toFree, func(b int64) bool { return b == block })
	return nil
}

// Summary is the cluster's worker figures.
type Summary struct {
	Live, Lost                   int
	Capacity, Used               int64
	CapacityOnTiers, UsedOnTiers map[string]int64
}

// Summary adds up the live workers' capacity and used bytes.
func (t *Table) Summary() Summary {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sweep()
	s := Summary{CapacityOnTiers: map[string]int64{}, UsedOnTiers: map[string]int64{}}
	for _, w := range t.workers {
		if w.state == Lost {
			s.Lost++
			continue
		}
		s.Live++
		for tier, n := range w.capacity {
			s.CapacityOnTiers[tier] += n
			s.Capacity += n
		}
		for tier, n := range w.used {
			s.UsedOnTiers[tier] += n
			s.Used += n
		}
	}
	return s
}

// WorkerInfo describes one worker.
type WorkerInfo struct {
	ID                           int64
	Address                      Address
	State                        State
	Started, LastContact         time.Time
	Capacity, Used               int64
	CapacityOnTiers, UsedOnTiers map[string]int64
	BlockCount                   int
}

// Workers lists the workers, live and lost, by id.
func (t *Table) Workers() []WorkerInfo {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sweep()
	out := make([]WorkerInfo, 0, len(t.workers))
	for _, w := range t.workers {
		info := WorkerInfo{
			ID: w.id, Address: t.addresses[w.id], State: w.state, Started: w.started, LastContact: w.lastContact,
			CapacityOnTiers: copyCounts(w.capacity), UsedOnTiers: copyCounts(w.used), BlockCount: len(w.blocks),
		}
		for _, n := range w.capacity {
			info.Capacity += n
		}
		for _, n := range w.used {
			info.Used += n
		}
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Location is one live worker holding a block.
type Location struct {
	WorkerID int64
	Address  Address
	Tier     string
}

// Block is what the table knows of a block: its length (-1 when no
// commit reported it) and where live workers hold it.
type Block struct {
	ID, Length int64
	Locations  []Location
}

// Block looks a block up; ok is false when no worker reported it.
func (t *Table) Block(id int64) (Block, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sweep()
	length, known := t.lengths[id]
	holders := t.locations[id]
	if !known && len(holders) == 0 {
		return Block{}, false
	}
	if !known {
		length = -1
	}
	b := Block{ID: id, Length: length}
	for _, w := range holders {
		b.Locations = append(b.Locations, Location{WorkerID: w, Address: t.addresses[w], Tier: t.workers[w].blocks[id]})
	}
	sort.Slice(b.Locations, func(i, j int) bool { return b.Locations[i].WorkerID < b.Locations[j].WorkerID })
	return b, true
}

// sweep marks the live workers silent longer than the timeout lost and
// drops their block locations. Callers hold t.mu.
func (t *Table) sweep() {
	if t.timeout <= 0 {
		return
	}
	now := t.now()
	for _, w := range t.workers {
		if w.state == Live && now.Sub(w.lastContact) > t.timeout {
			w.state = Lost
			t.dropLocations(w)
		}
	}
}

// addLocation records that w holds block on tier. A worker holds a block
// exactly when the block's locations name it.
func (t *Table) addLocation(w *worker, block int64, tier string) {
	if _, held := w.blocks[block]; !held {
		t.locations[block] = append(t.locations[block], w.id)
	}
	w.blocks[block] = tier
}

func (t *Table) removeLocation(w *worker, block int64) {
	delete(w.blocks, block)
	holders := slices.DeleteFunc(t.locations[block], func(id int64) bool { return id == w.id })
	if len(holders) == 0 {
		delete(t.locations, block)
		return
	}
	t.locations[block] = holders
}

func (t *Table) dropLocations(w *worker) {
	for b := range w.blocks {
		t.removeLocation(w, b)
	}
}

func validTiers(r Registration) error {
	for _, tier := range r.Tiers {
		if tier == "" {
			return fserr.New(fserr.InvalidArgument, "a worker registered a tier with no alias")
		}
	}
	for tier, n := range r.Capacity {
		if n < 0 {
			return fserr.New(fserr.InvalidArgument, "tier %s: negative capacity %d", tier, n)
		}
	}
	for tier, n := range r.Used {
		if n < 0 {
			return fserr.New(fserr.InvalidArgument, "tier %s: negative used bytes %d", tier, n)
		}
	}
	return nil
}

func unknownWorker(id int64) error {
	return fserr.New(fserr.NotFound, "no worker with id %d is known to this master: ask for an id (GetWorkerId) and register", id)
}

func copyCounts(m map[string]int64) map[string]int64 {
	out := make(map[string]int64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Free forgets where the live workers hold blocks and queues the blocks
// for each holder to drop at its next heartbeat (TakeFreed). It returns
// how many copies are to go.
func (t *Table) Free(blocks []int64) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, b := range blocks {
		for _, id := range slices.Clone(t.locations[b]) {
			w := t.workers[id]
			t.removeLocation(w, b)
			w.toFree = append(w.toFree, b)
			n++
		}
	}
	return n
}

// TakeFreed returns the blocks the worker is to drop, once.
func (t *Table) TakeFreed(id int64) []int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	w, ok := t.workers[id]
	if !ok {
		return nil
	}
	freed := w.toFree
	w.toFree = nil
	return freed
}
