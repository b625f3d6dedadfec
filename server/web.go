package server

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// webHandler serves the master's web port: /health (with /health/live and
// /health/ready for orchestrators), /metrics for Prometheus and
// /checkpoint/digest for comparing replicas.
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
	mux.HandleFunc("GET /checkpoint/digest", func(w http.ResponseWriter, _ *http.Request) {
		d, err := m.CheckpointDigest()
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]any{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, d)
	})
	return mux
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

// CheckpointDigest serialises the namespace into a hash (under the read
// lock, as a checkpoint does: mutations wait meanwhile, about a second per
// million inodes). Requests at an unchanged applied index share the last
// result, and one is computed at a time.
func (m *Master) CheckpointDigest() (CheckpointDigest, error) {
	m.digestMu.Lock()
	defer m.digestMu.Unlock()
	if m.digest.SHA256 != "" && m.digest.AppliedIndex == m.fsm.AppliedIndex() {
		return m.digest, nil
	}
	h := sha256.New()
	counted := &countingWriter{w: h}
	hdr, err := m.fsm.WriteCheckpoint(counted)
	if err != nil {
		return CheckpointDigest{}, err
	}
	m.digest = CheckpointDigest{
		AppliedIndex: hdr.AppliedIndex, InodeCount: hdr.InodeCount,
		Bytes: counted.n, SHA256: hex.EncodeToString(h.Sum(nil)),
	}
	return m.digest, nil
}

// readiness: a master is ready when it serves requests, that is when it
// leads. A standby is live but not ready, so a load balancer sends clients
// to the leader.
func (m *Master) readiness() (bool, map[string]any) {
	st := m.replicator.Status()
	role := "STANDBY"
	if st.Leader {
		role = "PRIMARY"
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
