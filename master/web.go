package master

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/ha"
	"github.com/halo-fs/halo/ha/state"
	"github.com/halo-fs/halo/internal/sharedsecret"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// webHandler serves the master's web port: /health (with /health/live and
// /health/ready for orchestrators), /metrics for Prometheus and
// /checkpoint/digest for comparing replicas. Health and metrics stay open
// to load balancers and scrapers; the digest is for operators and needs
// the same authentication as the RPC port when that has any.
func (m *Master) webHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.metrics.Registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("/health/live", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"live": true})
	})
	mux.HandleFunc("/health/ready", func(w http.ResponseWriter, _ *http.Request) {
		ready, body := m.readiness()
		code := http.StatusOK
		if !ready {
			code = http.StatusServiceUnavailable
		}
		writeJSON(w, code, body)
	})
	mux.HandleFunc("/health", func(w http.ResponseWriter, _ *http.Request) {
		_, body := m.readiness()
		writeJSON(w, http.StatusOK, body)
	})
	mux.Handle("GET /checkpoint/digest", m.operatorOnly(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		d, err := m.CheckpointDigest()
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]any{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, d)
	})))
	return mux
}

// webTLS is the web port's TLS configuration: only in CERTIFICATE mode,
// where operators prove who they are with a client certificate. Health
// checks and scrapes need none.
func (m *Master) webTLS() *tls.Config {
	if m.cfg.Authentication != AuthCertificate || m.cfg.TLS == nil {
		return nil
	}
	cfg := m.cfg.TLS.Clone()
	cfg.ClientAuth = tls.VerifyClientCertIfGiven
	return cfg
}

// operatorOnly refuses requests that do not authenticate the way the RPC
// port requires: a signed request in SECRET mode, a verified client
// certificate in CERTIFICATE mode. SIMPLE and NOSASL verify nothing on the
// RPC port either, so nothing is asked here.
func (m *Master) operatorOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var refusal string
		switch m.cfg.Authentication {
		case AuthSecret:
			if err := sharedsecret.VerifyRequest(r, m.cfg.Secret, time.Now()); err != nil {
				refusal = "alluxio.security.authentication.type=SECRET: " + err.Error()
			}
		case AuthCertificate:
			if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 {
				refusal = "alluxio.security.authentication.type=CERTIFICATE: present a client certificate"
			}
		}
		if refusal != "" {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"error": refusal})
			return
		}
		next.ServeHTTP(w, r)
	})
}

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
func (m *Master) CheckpointDigest() (CheckpointDigest, error) {
	return m.digests.get()
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
	counted := &ha.CountingWriter{W: h}
	hdr, err := d.fsm.WriteCheckpoint(counted)
	if err != nil {
		return CheckpointDigest{}, err
	}
	return CheckpointDigest{
		AppliedIndex: hdr.AppliedIndex, InodeCount: hdr.InodeCount,
		Bytes: counted.N, SHA256: hex.EncodeToString(h.Sum(nil)),
	}, nil
}

// readiness: a master is ready when it serves requests, that is when it
// leads. A standby is live but not ready, so a load balancer sends clients
// to the leader.
func (m *Master) readiness() (bool, map[string]any) {
	st := m.replicator.Status()
	role := state.Standby
	if st.Leader {
		role = state.Primary
	}
	return st.Leader, map[string]any{
		"live":          true,
		"ready":         st.Leader,
		"role":          role,
		"applied_index": st.AppliedIndex,
		"journal_type":  st.JournalType,
		"leader":        st.LeaderRPCAddress,
	}
}

func writeJSON(w http.ResponseWriter, code int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(body)
}
