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
	cfg  Config
	site *web.Site
}

//go:embed pages
var pageFiles embed.FS

// New parses the pages.
func New(cfg Config) (*UI, error) {
	sub, err := fs.Sub(pageFiles, "pages")
	if err != nil {
		return nil, err
	}
	u := &UI{cfg: cfg}
	u.site, err = web.NewSite(web.SiteConfig{
		Product: "Halo worker", APIPrefix: apiPrefix, Templates: sub,
		Refusal: cfg.Refusal, Sections: u.sections(),
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

const apiPrefix = "/api/v1/worker/"

// sections are the pages in navigation order; the Prometheus endpoint
// keeps /metrics, so the metrics page lives under it, as on the master.
func (u *UI) sections() []web.Section {
	return []web.Section{
		{Endpoint: "info", Build: u.info},
		{Name: "Overview", Path: "/", Template: "overview.html", Endpoint: "webui_overview", Build: u.overview},
		{Name: "Blocks", Path: "/blocks", Template: "blocks.html", Endpoint: "webui_blocks", Build: u.blocks},
		{Name: "Metrics", Path: "/metrics/ui", Template: "metrics.html", Endpoint: "webui_metrics", Build: u.metrics},
		{Name: "Logs", Path: "/logs", Template: "logs.html", Endpoint: "webui_logs", Build: u.logs, Operator: true},
	}
}

// Register adds the pages, the JSON endpoints and the stylesheet to mux,
// which keeps its other paths (/health, /metrics).
func (u *UI) Register(mux *http.ServeMux) { u.site.Register(mux) }

func (u *UI) metrics(*http.Request) (any, error) { return web.Metrics(u.cfg.Metrics) }

func (u *UI) logs(*http.Request) (any, error) { return web.LogTail("worker", u.cfg.LogFile) }
