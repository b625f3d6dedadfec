package web

import (
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"time"

	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/journal"
)

// CheckpointDigest is what a checkpoint of this master's namespace would
// hold, reduced to its header and a SHA-256 of its bytes. Replicas that
// applied the same entries write byte-identical checkpoints (determinism),
// so equal digests at equal applied indexes mean equal namespaces, down to
// the exactly-once table: a stronger convergence check than counts.
type CheckpointDigest struct {
	AppliedIndex uint64 `json:"applied_index"`
	InodeCount   uint64 `json:"inode_count"`
	Bytes        int64  `json:"bytes"`
	SHA256       string `json:"sha256"`
}

// CheckpointDigest answers the digest of the namespace, walking it (under
// the read lock, as a checkpoint does: mutations wait meanwhile, about a
// second per million inodes) only when the last digest is stale and the
// walk budget allows; otherwise it answers the last digest, whose
// AppliedIndex says what it describes.
func (s *Server) CheckpointDigest() (CheckpointDigest, error) {
	return s.digests.get()
}

// DefaultDigestInterval is the least time between two digest walks.
const DefaultDigestInterval = time.Second

// digestWalkShare bounds the time spent walking for digests: after a walk
// that took d, the next starts no sooner than digestWalkShare*d later, so
// a large namespace is walked at most a tenth of the time.
const digestWalkShare = 10

// digestCache makes /checkpoint/digest cheap to ask: one walk at a time,
// none sooner than the interval (or ten times the last walk's duration)
// after the previous one, and a walk only when the applied index moved.
// Whoever asks meanwhile gets the last digest.
type digestCache struct {
	fsm      *fsm.FSM
	interval time.Duration
	now      func() time.Time
	walk     func() (CheckpointDigest, error)

	mu       sync.Mutex
	last     CheckpointDigest
	nextWalk time.Time
	walking  chan struct{} // closed when the walk in progress ends; nil when none runs
}

func newDigestCache(f *fsm.FSM, interval time.Duration) *digestCache {
	if interval <= 0 {
		interval = DefaultDigestInterval
	}
	d := &digestCache{fsm: f, interval: interval, now: time.Now}
	d.walk = d.walkNamespace
	return d
}

func (d *digestCache) get() (CheckpointDigest, error) {
	d.mu.Lock()
	have := d.last.SHA256 != ""
	switch {
	case have && (d.last.AppliedIndex == d.fsm.AppliedIndex() || d.walking != nil || d.now().Before(d.nextWalk)):
		last := d.last
		d.mu.Unlock()
		return last, nil
	case d.walking != nil:
		// No digest yet: wait for the first walk rather than start another.
		done := d.walking
		d.mu.Unlock()
		<-done
		return d.get()
	}
	done := make(chan struct{})
	d.walking = done
	d.mu.Unlock()

	start := d.now()
	digest, err := d.walk()

	d.mu.Lock()
	defer d.mu.Unlock()
	d.walking = nil
	close(done)
	end := d.now()
	d.nextWalk = end.Add(max(d.interval, digestWalkShare*end.Sub(start)))
	if err != nil {
		return CheckpointDigest{}, err
	}
	d.last = digest
	return digest, nil
}

func (d *digestCache) walkNamespace() (CheckpointDigest, error) {
	h := sha256.New()
	counted := &journal.CountingWriter{W: h}
	hdr, err := d.fsm.WriteCheckpoint(counted)
	if err != nil {
		return CheckpointDigest{}, err
	}
	return CheckpointDigest{
		AppliedIndex: hdr.AppliedIndex, InodeCount: hdr.InodeCount,
		Bytes: counted.N, SHA256: hex.EncodeToString(h.Sum(nil)),
	}, nil
}
