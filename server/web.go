package server

import (
	"encoding/json"
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// webHandler serves the master's web port: /health (with /health/live and
// /health/ready for orchestrators) and /metrics for Prometheus.
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
	return mux
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
