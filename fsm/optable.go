package fsm

import (
	"cmp"
	clist "container/list"
	"fmt"
	"slices"
	"time"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/proto/journalpb"
)

// Defaults of the exactly-once table, for a new namespace and for a
// checkpoint written before the table's limits were replicated.
const (
	// DefaultOperationRetention outlasts the client's retry budget
	// (alluxio.user.rpc.retry.max.duration, 2 minutes: its last attempt
	// starts within it) by a minute for queueing and for the offset
	// between the clocks of the masters that stamp the first attempt and
	// the retry.
	DefaultOperationRetention = 3 * time.Minute
	// DefaultOperationTableMaxRecords is only a memory cap: the default
	// retention of creates at 22,000 per second, above the fastest rate
	// measured (15,600 per second on one master, 6,500 under Raft; see
	// docs/BENCHMARKS.md). A record takes 144 bytes of heap when clients
	// make many operations each and 229 when each makes one (a CLI command
	// is a client; BenchmarkOperationTableMemory), plus the message of a
	// failure: a full table takes 0.6 to 0.9 GB, and at the rates measured
	// the table holds 1.2 to 2.8 million records.
	DefaultOperationTableMaxRecords = 4_000_000

	// maxOperationTableRecords and maxOperationRetention refuse limits
	// that can only be typing mistakes.
	maxOperationTableRecords = 1 << 28
	maxOperationRetention    = 7 * 24 * time.Hour
)

// OperationTableSettings are the limits of the exactly-once table. They
// are replicated state, set by an OperationTableConfigEntry and carried in
// checkpoints, so that every replica forgets the same ids at the same
// entry whatever its own configuration says.
type OperationTableSettings struct {
	Enabled bool
	// MaxRecords caps memory: when the table holds this many records, the
	// oldest is forgotten even inside its retention.
	MaxRecords uint64
	// Retention is how long, in leader-stamped entry time, a record is
	// kept; it must outlast every client's retries.
	Retention time.Duration
}

// DefaultOperationTableSettings returns the limits of a new namespace.
func DefaultOperationTableSettings() OperationTableSettings {
	return OperationTableSettings{Enabled: true, MaxRecords: DefaultOperationTableMaxRecords, Retention: DefaultOperationRetention}
}

// Validate refuses limits apply would not accept.
func (s OperationTableSettings) Validate() error {
	if s.MaxRecords < 1 || s.MaxRecords > maxOperationTableRecords {
		return fserr.New(fserr.InvalidArgument, "operation table size %d is outside 1..%d", s.MaxRecords, maxOperationTableRecords)
	}
	if s.Retention < time.Millisecond || s.Retention > maxOperationRetention {
		return fserr.New(fserr.InvalidArgument, "operation retention %v is outside 1ms..%v", s.Retention, maxOperationRetention)
	}
	return nil
}

// ConfigEntry is the journal payload that sets s.
func (s OperationTableSettings) ConfigEntry() *journalpb.OperationTableConfigEntry {
	return &journalpb.OperationTableConfigEntry{Enabled: s.Enabled, MaxRecords: s.MaxRecords, RetentionMs: s.Retention.Milliseconds()}
}

func settingsOf(c *journalpb.OperationTableConfigEntry) (OperationTableSettings, error) {
	s := OperationTableSettings{Enabled: c.Enabled, MaxRecords: c.MaxRecords, Retention: time.Duration(c.RetentionMs) * time.Millisecond}
	if c.RetentionMs > maxOperationRetention.Milliseconds() {
		s.Retention = maxOperationRetention + 1 // no overflow; Validate refuses it
	}
	return s, s.Validate()
}

func applyOperationTableConfig(f *FSM, e *journalpb.Entry) (uint64, error) {
	s, err := settingsOf(e.GetOperationTableConfig())
	if err != nil {
		return 0, err
	}
	f.ops.configure(s, e.TimeMs)
	return 0, nil
}

// OperationTableSettings returns the replicated limits of the table.
func (f *FSM) OperationTableSettings() OperationTableSettings {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.ops.settings
}

type clientID struct{ hi, lo uint64 }

type opKey struct {
	client clientID
	seq    uint64
}

func keyOf(id *journalpb.OperationID) opKey {
	return opKey{clientID{id.ClientHi, id.ClientLo}, id.Seq}
}

// opRecord is one remembered result: 64 bytes, plus the map entry that
// finds it, its client's mark and the message of a failure.
type opRecord struct {
	key     opKey
	timeMs  int64
	inodeID uint64
	code    fserr.Code
	message string
}

// clientMark is what the table knows of one client: how many of its
// records it holds, and below which sequence number it may have forgotten
// some. Sequence numbers only grow per client, so a retry below the mark
// that is not in the table may be one whose record is gone.
type clientMark struct {
	live           uint32
	forgottenBelow uint64
	forgottenAtMs  int64          // entry time of the newest record forgotten
	ghost          *clist.Element // in operationTable.ghosts when live is 0
}

// verdict is what the table says of an operation id.
type verdict int

const (
	opNew       verdict = iota // never applied: apply it
	opKnown                    // applied: answer with its first result
	opForgotten                // may have been applied and forgotten: outcome unknown
)

// operationTable remembers the results of recent mutations, so a retried
// mutation (same operation id) is answered with its first result instead
// of being applied twice. Everything it does depends only on the entries
// applied — their order, their operation ids and their leader-stamped
// times — so it is part of the deterministic state and of every
// checkpoint.
//
// A record is kept for the retention, measured in entry time, and is
// forgotten earlier only when the table holds MaxRecords. How a retry of a
// forgotten id is recognised:
//   - a client that still has records here, or that had one forgotten
//     within the retention, keeps a mark: every sequence number below it may
//     be forgotten, so such an id not in the table is answered "outcome
//     unknown" (an id below the mark that was never applied is one whose
//     first attempt came after a later operation of its client had been
//     forgotten — later than any retry window);
//   - a client with no mark has had nothing forgotten within the
//     retention, so an id of it not in the table was never applied, unless
//     the marks themselves overflowed MaxRecords: then every client without
//     a mark is answered "outcome unknown" until the dropped marks would
//     have expired.
//
// A client whose last record passes the retention is forgotten whole: a
// retry of it later still cannot be told from a new operation and is
// applied. No id is kept forever in bounded memory without the client's
// help; that is why the retention must outlast every client's retries.
//
// Memory is bounded by MaxRecords records plus MaxRecords marks.
type operationTable struct {
	settings OperationTableSettings
	// ring holds the records oldest first at logical positions
	// head..tail-1; its length is a power of two.
	ring       []opRecord
	head, tail uint64
	byKey      map[opKey]uint64 // logical position
	clients    map[clientID]*clientMark
	// ghosts lists the clients without records whose mark is still within
	// the retention, in the order their last record was forgotten.
	ghosts                  clist.List
	strangersUnknownUntilMs int64
	// undated is set while some record or mark has no time (from a
	// checkpoint that carried none, or an entry without one); the next
	// entry with a time dates them.
	undated bool
}

func newOperationTable(s OperationTableSettings) *operationTable {
	return &operationTable{settings: s, byKey: map[opKey]uint64{}, clients: map[clientID]*clientMark{}}
}

func (t *operationTable) len() int { return int(t.tail - t.head) }

func (t *operationTable) at(pos uint64) *opRecord { return &t.ring[pos&uint64(len(t.ring)-1)] }

func (t *operationTable) retentionMs() int64 { return t.settings.Retention.Milliseconds() }

// expired says whether something stamped at ms is past the retention at
// nowMs.
func (t *operationTable) expired(ms, nowMs int64) bool { return ms+t.retentionMs() < nowMs }

// advance moves the table to entry time nowMs: it dates undated records
// and forgets those and the marks past the retention. An entry without a
// time (tools and tests) moves nothing.
func (t *operationTable) advance(nowMs int64) {
	if nowMs <= 0 {
		return
	}
	if t.undated {
		t.date(nowMs)
	}
	for t.len() > 0 && t.expired(t.at(t.head).timeMs, nowMs) {
		t.forgetOldest(nowMs)
	}
	for t.ghosts.Len() > 0 {
		id := t.ghosts.Front().Value.(clientID)
		if !t.expired(t.clients[id].forgottenAtMs, nowMs) {
			break
		}
		t.dropGhost(id)
	}
}

func (t *operationTable) date(nowMs int64) {
	for pos := t.head; pos < t.tail; pos++ {
		if r := t.at(pos); r.timeMs == 0 {
			r.timeMs = nowMs
		}
	}
	for _, m := range t.clients {
		if m.forgottenBelow > 0 && m.forgottenAtMs == 0 {
			m.forgottenAtMs = nowMs
		}
	}
	t.undated = false
}

// lookup says whether id was applied, at entry time nowMs.
func (t *operationTable) lookup(id *journalpb.OperationID, nowMs int64) (*opRecord, verdict) {
	if !t.settings.Enabled {
		return nil, opNew
	}
	key := keyOf(id)
	if pos, ok := t.byKey[key]; ok {
		return t.at(pos), opKnown
	}
	if m, ok := t.clients[key.client]; ok {
		if key.seq < m.forgottenBelow {
			return nil, opForgotten
		}
		return nil, opNew
	}
	if nowMs < t.strangersUnknownUntilMs {
		return nil, opForgotten
	}
	return nil, opNew
}

// record remembers the result of id, applied at entry time nowMs.
func (t *operationTable) record(id *journalpb.OperationID, res Result, nowMs int64) {
	if !t.settings.Enabled {
		return
	}
	rec := opRecord{key: keyOf(id), timeMs: nowMs, inodeID: res.InodeID}
	if res.Err != nil {
		rec.code, rec.message = res.Err.Code, res.Err.Message
	}
	t.add(rec, nowMs)
}

func (t *operationTable) add(rec opRecord, nowMs int64) {
	if t.len() == len(t.ring) {
		t.resize(max(16, 2*len(t.ring)))
	}
	*t.at(t.tail) = rec
	t.byKey[rec.key] = t.tail
	t.tail++
	if rec.timeMs == 0 {
		t.undated = true
	}
	m := t.clients[rec.key.client]
	if m == nil {
		m = &clientMark{}
		t.clients[rec.key.client] = m
	}
	if m.ghost != nil {
		t.ghosts.Remove(m.ghost)
		m.ghost = nil
	}
	m.live++
	for uint64(t.len()) > t.settings.MaxRecords {
		t.forgetOldest(nowMs)
	}
}

// resize moves the records into a ring of n slots; a ring that a burst
// grew shrinks again once the retention has emptied it.
func (t *operationTable) resize(n int) {
	ring := make([]opRecord, n)
	for pos := t.head; pos < t.tail; pos++ {
		ring[pos&uint64(n-1)] = *t.at(pos)
	}
	t.ring = ring
}

// forgetOldest drops the oldest record and raises its client's mark.
func (t *operationTable) forgetOldest(nowMs int64) {
	rec := *t.at(t.head)
	*t.at(t.head) = opRecord{}
	delete(t.byKey, rec.key)
	t.head++
	if n := len(t.ring); n > 1024 && t.len() < n/4 {
		t.resize(n / 2)
	}
	m := t.clients[rec.key.client]
	m.live--
	m.forgottenBelow = max(m.forgottenBelow, rec.key.seq+1)
	m.forgottenAtMs = max(m.forgottenAtMs, rec.timeMs)
	if rec.timeMs == 0 {
		// An undated record makes an undated mark: both take the time of
		// the next entry that has one, so the mark outlives the record.
		m.forgottenAtMs = 0
	}
	if m.live > 0 {
		return
	}
	if nowMs > 0 && t.expired(m.forgottenAtMs, nowMs) && m.forgottenAtMs != 0 {
		delete(t.clients, rec.key.client)
		return
	}
	t.addGhost(rec.key.client, m)
}

func (t *operationTable) addGhost(id clientID, m *clientMark) {
	m.ghost = t.ghosts.PushBack(id)
	t.trimGhosts()
}

// trimGhosts keeps at most MaxRecords marks of clients without records.
// A mark dropped within its retention leaves no trace of which clients
// had ids forgotten, so every client without a mark is suspect until the
// dropped mark would have expired.
func (t *operationTable) trimGhosts() {
	for uint64(t.ghosts.Len()) > t.settings.MaxRecords {
		oldest := t.ghosts.Front().Value.(clientID)
		t.strangersUnknownUntilMs = max(t.strangersUnknownUntilMs, t.clients[oldest].forgottenAtMs+t.retentionMs()+1)
		t.dropGhost(oldest)
	}
}

func (t *operationTable) dropGhost(id clientID) {
	t.ghosts.Remove(t.clients[id].ghost)
	delete(t.clients, id)
}

// configure installs new limits at entry time nowMs. Disabling forgets
// everything; a smaller table or retention forgets what no longer fits.
func (t *operationTable) configure(s OperationTableSettings, nowMs int64) {
	if !s.Enabled {
		*t = *newOperationTable(s)
		return
	}
	t.settings = s
	for uint64(t.len()) > s.MaxRecords {
		t.forgetOldest(nowMs)
	}
	t.trimGhosts()
	t.advance(nowMs)
}

// tableRecord is the table's own state for a checkpoint.
func (t *operationTable) tableRecord() *journalpb.OperationTableRecord {
	return &journalpb.OperationTableRecord{Config: t.settings.ConfigEntry(), StrangersUnknownUntilMs: t.strangersUnknownUntilMs}
}

// each visits records oldest first.
func (t *operationTable) each(fn func(*journalpb.OperationRecord) error) error {
	out := &journalpb.OperationRecord{OpId: &journalpb.OperationID{}}
	for pos := t.head; pos < t.tail; pos++ {
		r := t.at(pos)
		*out.OpId = journalpb.OperationID{ClientHi: r.key.client.hi, ClientLo: r.key.client.lo, Seq: r.key.seq}
		out.ErrorCode, out.ErrorMessage, out.InodeId, out.TimeMs = uint32(r.code), r.message, r.inodeID, r.timeMs
		if err := fn(out); err != nil {
			return err
		}
	}
	return nil
}

// eachMark visits the marks that records do not imply: ghosts in the
// order they were made, then the marks of clients with records by id.
func (t *operationTable) eachMark(fn func(*journalpb.ForgottenOperationsRecord) error) error {
	visit := func(id clientID, m *clientMark) error {
		return fn(&journalpb.ForgottenOperationsRecord{ClientHi: id.hi, ClientLo: id.lo, ForgottenBelow: m.forgottenBelow, ForgottenAtMs: m.forgottenAtMs})
	}
	for g := t.ghosts.Front(); g != nil; g = g.Next() {
		id := g.Value.(clientID)
		if err := visit(id, t.clients[id]); err != nil {
			return err
		}
	}
	var live []clientID
	for id, m := range t.clients {
		if m.live > 0 && m.forgottenBelow > 0 {
			live = append(live, id)
		}
	}
	slices.SortFunc(live, func(a, b clientID) int { return cmp.Or(cmp.Compare(a.hi, b.hi), cmp.Compare(a.lo, b.lo)) })
	for _, id := range live {
		if err := visit(id, t.clients[id]); err != nil {
			return err
		}
	}
	return nil
}

// restoreConfig installs the table record of a checkpoint.
func (t *operationTable) restoreConfig(r *journalpb.OperationTableRecord) error {
	if r.Config == nil {
		return fmt.Errorf("operation table record has no limits")
	}
	s, err := settingsOf(r.Config)
	if err != nil {
		return err
	}
	t.settings, t.strangersUnknownUntilMs = s, r.StrangersUnknownUntilMs
	return nil
}

// restoreRecord adds a checkpoint's operation record. A checkpoint from
// before the table had limits of its own may hold more than the default
// cap: its oldest records are forgotten as apply would.
func (t *operationTable) restoreRecord(o *journalpb.OperationRecord) error {
	if !t.settings.Enabled {
		return fmt.Errorf("operation record in a disabled table")
	}
	t.add(opRecord{key: keyOf(o.OpId), timeMs: o.TimeMs, inodeID: o.InodeId, code: fserr.Code(o.ErrorCode), message: o.ErrorMessage}, 0)
	return nil
}

// restoreMark adds a checkpoint's mark; every operation record precedes
// the marks.
func (t *operationTable) restoreMark(r *journalpb.ForgottenOperationsRecord) error {
	id := clientID{r.ClientHi, r.ClientLo}
	if r.ForgottenBelow == 0 {
		return fmt.Errorf("mark of client %016x%016x forgets nothing", id.hi, id.lo)
	}
	m := t.clients[id]
	if m != nil && (m.live == 0 || m.forgottenBelow != 0) {
		return fmt.Errorf("client %016x%016x has two marks", id.hi, id.lo)
	}
	if m == nil {
		m = &clientMark{}
		t.clients[id] = m
	}
	m.forgottenBelow, m.forgottenAtMs = r.ForgottenBelow, r.ForgottenAtMs
	if r.ForgottenAtMs == 0 {
		t.undated = true
	}
	if m.live == 0 {
		if uint64(t.ghosts.Len()) >= t.settings.MaxRecords {
			return fmt.Errorf("more marks than the table holds")
		}
		m.ghost = t.ghosts.PushBack(id)
	}
	return nil
}

// recordResult is the result a record answers a retry with.
func recordResult(rec *opRecord) Result {
	res := Result{InodeID: rec.inodeID, Replayed: true}
	if rec.code != fserr.OK {
		res.Err = &fserr.Error{Code: rec.code, Message: rec.message}
	}
	return res
}

// forgottenResult answers an operation the table may have forgotten.
// Every later retry gets the same answer, so it is final: the client
// reports it rather than retrying for the rest of its budget.
func forgottenResult(id *journalpb.OperationID) Result {
	err := fserr.New(fserr.OutcomeUnknown,
		"outcome unknown: operation %016x%016x/%d is older than the ids the master still remembers (a retry later than the retention, or the table was full); it may or may not have been applied",
		id.ClientHi, id.ClientLo, id.Seq)
	err.Final = true
	return Result{Err: err}
}
