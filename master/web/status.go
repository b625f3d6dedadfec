// Package web owns a master's web port: /health (with /health/live and
// /health/ready for orchestrators), /metrics for Prometheus with the
// master's metrics themselves (Metrics), /checkpoint/digest for
// comparing replicas, and the web UI with its /api/v1 JSON (package
// web/masterui) at every other path. It sees the master only through what
// it reports: the replicator's status, the namespace it digests, the
// metrics registry it serves and what the UI asks.
package web

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/ha"
	"github.com/halo-fs/halo/ha/state"
	"github.com/halo-fs/halo/internal/sharedsecret"
	"github.com/halo-fs/halo/master/identity"
	webui "github.com/halo-fs/halo/web"
	"github.com/halo-fs/halo/web/masterui"
	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Replicator is what the web port asks of the master's replicator.
type Replicator interface {
	Status() ha.Status
}

// Config is what a web port serves and how it authenticates operators.
type Config struct {
	Replicator Replicator
	FSM        *fsm.FSM
	Metrics    prometheus.Gatherer
	// DigestInterval is the least time between two namespace walks of
	// /checkpoint/digest; 0 means DefaultDigestInterval.
	DigestInterval time.Duration
	// Operators is how /checkpoint/digest authenticates its callers: as
	// the RPC port does.
	Operators Operators
	// Secret is the shared secret SignedBySecret checks.
	Secret []byte
	// TLS is the master's server-side TLS; with CertificateRequired the
	// port serves over it and asks for a client certificate, which health
	// checks and scrapes need not present.
	TLS    *tls.Config
	Logger hclog.Logger
	// UI is what the web UI shows; nil serves no UI.
	UI masterui.Master
	// LogFile is the master's log file the Logs page shows, "" for none.
	LogFile string
}

// Operators says how operator endpoints authenticate their callers.
type Operators int

const (
	// Unchecked: SIMPLE and NOSASL verify nothing on the RPC port either.
	Unchecked Operators = iota
	// SignedBySecret: a request signed with the shared secret (SECRET).
	SignedBySecret
	// CertificateRequired: a verified client certificate (CERTIFICATE).
	CertificateRequired
)

// Server is a master's running web port.
type Server struct {
	cfg      Config
	listener net.Listener
	http     *http.Server
	digests  *digestCache
}

// New prepares a web port; Serve opens it. The digest cache is usable
// before (and without) Serve.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	return &Server{cfg: cfg, digests: newDigestCache(cfg.FSM, cfg.DigestInterval)}
}

// Serve listens on addr and serves until Close.
func (s *Server) Serve(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("master web port %s: %w", addr, err)
	}
	s.listener = l
	if s.cfg.Operators == CertificateRequired && s.cfg.TLS != nil {
		tlsCfg := s.cfg.TLS.Clone()
		tlsCfg.ClientAuth = tls.VerifyClientCertIfGiven
		l = tls.NewListener(l, tlsCfg)
	}
	h, err := s.handler()
	if err != nil {
		l.Close()
		return err
	}
	s.http = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := s.http.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.cfg.Logger.Error("web server stopped", "error", err)
		}
	}()
	return nil
}

// Addr is the address the port listens on, "" before Serve.
func (s *Server) Addr() net.Addr {
	if s.listener == nil {
		return nil
	}
	return s.listener.Addr()
}

// Close stops serving.
func (s *Server) Close() {
	if s.http != nil {
		s.http.Close()
	}
}

// handler serves the web port. Health and metrics stay open to load
// balancers and scrapers; the digest and the UI's operator pages need the
// same authentication as the RPC port when that has any.
func (s *Server) handler() (http.Handler, error) {
	mux := http.NewServeMux()
	if s.cfg.UI != nil {
		ui, err := masterui.New(masterui.Config{Master: s.cfg.UI, Metrics: s.cfg.Metrics, LogFile: s.cfg.LogFile, Refusal: s.refusal})
		if err != nil {
			return nil, fmt.Errorf("master web UI: %w", err)
		}
		ui.Register(mux)
	}
	mux.Handle("/metrics", promhttp.HandlerFor(s.cfg.Metrics, promhttp.HandlerOpts{}))
	mux.HandleFunc("/health/live", func(w http.ResponseWriter, _ *http.Request) {
		webui.WriteJSON(w, http.StatusOK, map[string]any{"live": true})
	})
	mux.HandleFunc("/health/ready", func(w http.ResponseWriter, _ *http.Request) {
		ready, body := s.readiness()
		code := http.StatusOK
		if !ready {
			code = http.StatusServiceUnavailable
		}
		webui.WriteJSON(w, code, body)
	})
	mux.HandleFunc("/health", func(w http.ResponseWriter, _ *http.Request) {
		_, body := s.readiness()
		webui.WriteJSON(w, http.StatusOK, body)
	})
	mux.HandleFunc("GET "+sharedsecret.LoginPath, s.login)
	mux.Handle("GET /checkpoint/digest", s.operatorOnly(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		d, err := s.CheckpointDigest()
		if err != nil {
			webui.WriteJSONError(w, http.StatusInternalServerError, err.Error())
			return
		}
		webui.WriteJSON(w, http.StatusOK, d)
	})))
	return mux, nil
}

// operatorOnly refuses requests that do not authenticate the way the RPC
// port requires.
func (s *Server) operatorOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if refusal := s.refusal(r); refusal != "" {
			webui.WriteJSONError(w, http.StatusUnauthorized, refusal)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// refusal says why r does not authenticate as an operator, "" when it
// does.
func (s *Server) refusal(r *http.Request) string { return Refusal(s.cfg.Operators, s.cfg.Secret, r) }

// Refusal says why r does not authenticate as an operator under ops, ""
// when it does: a session cookie or a signed request with the shared
// secret (SECRET), a verified client certificate (CERTIFICATE). A
// worker's operator pages check the same, so that one login covers a
// host's master and worker (browsers send cookies per host, whatever the
// port).
func Refusal(ops Operators, secret []byte, r *http.Request) string {
	switch ops {
	case SignedBySecret:
		now := time.Now()
		if c, err := r.Cookie(sessionCookie); err == nil {
			if err := sharedsecret.VerifySession(c.Value, secret, now); err != nil {
				return "alluxio.security.authentication.type=SECRET: " + err.Error()
			}
			return ""
		}
		if err := sharedsecret.VerifyRequest(r, secret, now); err != nil {
			return "alluxio.security.authentication.type=SECRET: " + err.Error() + "; in a browser, open the link `halo fsadmin webLogin` prints"
		}
	case CertificateRequired:
		if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 {
			return "alluxio.security.authentication.type=CERTIFICATE: present a client certificate"
		}
	}
	return ""
}

// OperatorsFor is how operator pages authenticate under the RPC port's
// authentication type.
func OperatorsFor(a identity.Authentication) Operators {
	switch a {
	case identity.Secret:
		return SignedBySecret
	case identity.Certificate:
		return CertificateRequired
	}
	return Unchecked
}

// readiness: a master is ready when it serves requests, that is when it
// leads. A standby is live but not ready, so a load balancer sends clients
// to the leader.
func (s *Server) readiness() (bool, map[string]any) {
	st := s.cfg.Replicator.Status()
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
