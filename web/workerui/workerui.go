// Package workerui is the worker's web UI on its web port (30000): the
// pages (Overview, Blocks, Metrics, Logs) and the JSON behind them under
// /api/v1/worker/, with Alluxio's endpoint names, in the frame every
// Halo UI shares (package web). It sees the worker only through Config,
// so it does not depend on the worker package, which serves it.
package workerui

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/halo-fs/halo/web"
	"github.com/halo-fs/halo/worker/blockstore"
	"github.com/prometheus/client_golang/prometheus"
)

// Store is what the UI reads of the worker's block store.
type Store interface {
	Report() blockstore.Report
	Usage() []blockstore.TierReport
	LostStorage() map[string][]string
	BlockMeta(blockID int64) (blockstore.BlockMeta, error)
}

// MasterLink is what the worker knows of one master it reports to.
type MasterLink struct {
	Address       string
	Registered    bool
	Registrations int
	LastContact   time.Time // zero when the master never answered
	LastError     string
}

// Config is the worker the UI shows.
type Config struct {
	ID      int64
	Host    string
	RPCPort int
	WebPort int
	Version string
	Started time.Time
	Store   Store
	// Masters lists the masters the worker reports to, as it knows them
	// now.
	Masters func() []MasterLink
	Metrics prometheus.Gatherer
	// LogFile is the worker's log file, "" when it writes none.
	LogFile string
	// Refusal says why a request may not see the Logs page, "" when it
	// may: like the master's, it follows the authentication of the RPC
	// port. Nil refuses nothing.
	Refusal func(*http.Request) string
}

// UI serves the worker's pages and their JSON.
type UI struct {
	cfg   Config
	pages *web.Pages
}

//go:embed pages
var pageFiles embed.FS

// Page paths. The Prometheus endpoint keeps /metrics, so the metrics page
// lives under it, as on the master.
const (
	pathOverview = "/"
	pathBlocks   = "/blocks"
	pathMetrics  = "/metrics/ui"
	pathLogs     = "/logs"
	apiPrefix    = "/api/v1/worker/"
)

var nav = []web.Link{
	{Name: "Overview", Href: pathOverview},
	{Name: "Blocks", Href: pathBlocks},
	{Name: "Metrics", Href: pathMetrics},
	{Name: "Logs", Href: pathLogs},
}

// New parses the pages.
func New(cfg Config) (*UI, error) {
	sub, err := fs.Sub(pageFiles, "pages")
	if err != nil {
		return nil, err
	}
	pages, err := web.Parse(web.Frame{Product: "Halo worker", Nav: nav}, sub, "overview.html", "blocks.html")
	if err != nil {
		return nil, err
	}
	return &UI{cfg: cfg, pages: pages}, nil
}

// Register adds the pages, the JSON endpoints and the stylesheet to mux,
// which keeps its other paths (/health, /metrics).
func (u *UI) Register(mux *http.ServeMux) {
	page := func(name, title, active string, build web.Build) http.HandlerFunc {
		return u.pages.Page(name, title, active, web.NoBanner, build)
	}
	mux.Handle("GET /static/", web.Static())
	mux.HandleFunc("GET /{$}", page("overview.html", "Overview", pathOverview, u.overview))
	mux.HandleFunc("GET "+pathBlocks, page("blocks.html", "Blocks", pathBlocks, u.blocks))
	mux.HandleFunc("GET "+pathMetrics, page("metrics.html", "Metrics", pathMetrics, u.metrics))
	mux.HandleFunc("GET "+pathLogs, u.operator(page("logs.html", "Logs", pathLogs, u.logs)))

	mux.HandleFunc("GET "+apiPrefix+"info", web.API(u.info))
	mux.HandleFunc("GET "+apiPrefix+"webui_overview", web.API(u.overview))
	mux.HandleFunc("GET "+apiPrefix+"webui_blocks", web.API(u.blocks))
	mux.HandleFunc("GET "+apiPrefix+"webui_metrics", web.API(u.metrics))
	mux.HandleFunc("GET "+apiPrefix+"webui_logs", u.operator(web.API(u.logs)))
	mux.HandleFunc(apiPrefix, func(w http.ResponseWriter, r *http.Request) {
		web.WriteJSONError(w, http.StatusNotFound, "no endpoint "+r.URL.Path+"; see docs/WEB.md for the endpoints")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		u.pages.Error(w, http.StatusNotFound, nil, "no page "+r.URL.Path)
	})
}

// operator lets through only requests authenticated as the RPC port
// requires.
func (u *UI) operator(next http.HandlerFunc) http.HandlerFunc {
	isAPI := func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, apiPrefix) }
	return u.pages.OperatorOnly(u.cfg.Refusal, isAPI, web.NoBanner, next)
}

func (u *UI) metrics(*http.Request) (any, error) { return web.Metrics(u.cfg.Metrics) }

func (u *UI) logs(*http.Request) (any, error) { return web.LogTail("worker", u.cfg.LogFile) }
