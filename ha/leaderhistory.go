package ha

import (
	"sync"
	"time"
)

// LeaderChange is one change of leader a master saw.
type LeaderChange struct {
	// At is when this master learned of the new leader.
	At time.Time
	// Term is the Raft term, or in ZooKeeper mode the election epoch,
	// of the new leadership; 0 when this master does not know it.
	Term uint64
	// From and To are the old and new leaders' RPC addresses; From is ""
	// for the first leader this master saw after it started.
	From, To string
	// NoLeaderFor is how long this master was without a leader between
	// From and To, counted from the last time it heard from From where
	// the mode tells (Raft), else from when it saw From gone (ZooKeeper:
	// the leader znode vanished, a session timeout after the leader
	// died, so writes were unavailable longer). 0 when this master saw
	// no gap (it heard from To before it gave up on From), or From is "".
	NoLeaderFor time.Duration
}

// Election is what a master knows of its mode's leader elections.
type Election struct {
	// Since is when this master started watching: the history covers
	// nothing earlier.
	Since   time.Time
	Changes []LeaderChange // oldest first, the newest MaxLeaderChanges
	// Dropped counts the older changes left out.
	Dropped int
	// Epoch is this master's election epoch while it leads (ZooKeeper
	// mode), 0 otherwise.
	Epoch uint64
	// Connection is the state of this master's connection to ZooKeeper
	// ("" in other modes).
	Connection string
	// JournalLocation is the shared journal's folder (ZooKeeper mode);
	// JournalBatch the newest batch this master has written there
	// (JournalWriting: it leads) or read from it (a standby's position).
	JournalLocation string
	JournalBatch    uint64
	JournalWriting  bool
}

// ElectionReporter is a replicator that keeps an Election: the modes
// with elections (Raft, ZooKeeper).
type ElectionReporter interface {
	Election() Election
}

// MaxLeaderChanges bounds a LeaderHistory: a master flapping for days
// keeps the newest changes, not all of them.
const MaxLeaderChanges = 100

// LeaderHistory remembers, in memory, the leader changes one master saw
// since it started.
type LeaderHistory struct {
	mu      sync.Mutex
	since   time.Time
	changes []LeaderChange
	dropped int
	// leader is the leader known now ("" none); last the most recent one
	// known, the From of the next change; lostAt when leader became "".
	leader, last string
	lostAt       time.Time
}

// NewLeaderHistory starts a history at now, with no leader known.
func NewLeaderHistory(now time.Time) *LeaderHistory {
	return &LeaderHistory{since: now}
}

// Observe notes that from at on this master knows leader ("" for none:
// at is when the old one was last known alive) in term (0 when
// unknown). Repeated observations of the same leader are one.
func (h *LeaderHistory) Observe(at time.Time, leader string, term uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if leader == h.leader {
		h.raiseTermLocked(leader, term)
		return
	}
	if leader == "" {
		h.leader, h.lostAt = "", at
		return
	}
	c := LeaderChange{At: at, Term: term, From: h.last, To: leader}
	if h.leader == "" && h.last != "" {
		c.NoLeaderFor = max(0, at.Sub(h.lostAt))
	}
	if len(h.changes) == MaxLeaderChanges {
		h.changes = append(h.changes[:0], h.changes[1:]...)
		h.dropped++
	}
	h.changes = append(h.changes, c)
	h.leader, h.last = leader, leader
}

// raiseTermLocked fills in the term of the current leadership when it
// becomes known after its leader did.
func (h *LeaderHistory) raiseTermLocked(leader string, term uint64) {
	if n := len(h.changes); leader != "" && n > 0 && h.changes[n-1].Term < term {
		h.changes[n-1].Term = term
	}
}

// Election is the history so far.
func (h *LeaderHistory) Election() Election {
	h.mu.Lock()
	defer h.mu.Unlock()
	return Election{Since: h.since, Changes: append([]LeaderChange(nil), h.changes...), Dropped: h.dropped}
}
