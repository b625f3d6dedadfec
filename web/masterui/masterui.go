// Package masterui is the master's web UI on its web port: the pages
// (Overview, Browse, In-Alluxio data, Configuration, Workers, Mount
// table, Metrics, Masters, Logs) and the JSON behind them under
// /api/v1/master/, with Alluxio's endpoint names. Every page renders the same value its JSON
// endpoint answers. It sees the master only through Master, so any
// process that can answer those questions can serve it.
//
// Every master serves it, standbys too: a standby shows a banner naming
// its role and lag, with a link to the leader, and answers every page from
// its own replica, labelled with the applied index it describes (see
// docs/WEB.md for why Browse is not forwarded to the leader).
package masterui

import (
	"context"
	"embed"
	"io/fs"
	"net/http"

	"github.com/halo-fs/halo/conf"
	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/ha"
	"github.com/halo-fs/halo/master/blockmaster"
	"github.com/halo-fs/halo/proto/halopb"
	"github.com/halo-fs/halo/web"
	"github.com/prometheus/client_golang/prometheus"
)

// Master is what the UI asks of the master it shows.
type Master interface {
	Info() *halopb.MasterInfo
	// Namespace is this master's replica of the namespace.
	Namespace() *fsm.FSM
	Workers() *blockmaster.Table
	ClusterConfiguration() []conf.KeyValue
	// QuorumInfo is the embedded journal's view of its members; an error
	// in modes without one.
	QuorumInfo(ctx context.Context) (*halopb.QuorumInfo, error)
	// CommitIndex is the commit index this master last heard of; known
	// is false in modes that have none (a standby's lag is measured
	// against it).
	CommitIndex() (index uint64, known bool)
	// LeaderWebURL is the leader's web UI, found by asking the leader.
	LeaderWebURL(ctx context.Context) (string, error)
	// Election is the leader changes this master saw since it started;
	// known is false in modes without elections.
	Election() (e ha.Election, known bool)
	// ReadFileRange reads up to length bytes from offset of the complete
	// file at path through the data path, caching nothing (a look must
	// not change what is cached).
	ReadFileRange(ctx context.Context, path string, offset, length int64) ([]byte, error)
}

// Config is what the UI serves.
type Config struct {
	Master  Master
	Metrics prometheus.Gatherer
	// LogFile is this master's log file, "" when it writes none.
	LogFile string
	// Refusal says why a request may not see operator pages (Browse,
	// Configuration, Mount table, Logs), "" when it may: they follow the
	// authentication of the RPC port. Nil refuses nothing.
	Refusal func(*http.Request) string
}

// UI serves the master's pages and their JSON.
type UI struct {
	cfg   Config
	pages *web.Pages
}

//go:embed pages
var pageFiles embed.FS

// Page paths. The Prometheus endpoint keeps /metrics, so the metrics page
// lives under it.
const (
	pathOverview   = "/"
	pathBrowse     = "/browse"
	pathData       = "/data"
	pathConfig     = "/config"
	pathWorkers    = "/workers"
	pathMountTable = "/mounttable"
	pathMetrics    = "/metrics/ui"
	pathMasters    = "/masters"
	pathLogs       = "/logs"
	pathLeader     = "/leader"
	apiPrefix      = "/api/v1/master/"
)

var nav = []web.Link{
	{Name: "Overview", Href: pathOverview},
	{Name: "Browse", Href: pathBrowse},
	{Name: "In-Alluxio data", Href: pathData},
	{Name: "Configuration", Href: pathConfig},
	{Name: "Workers", Href: pathWorkers},
	{Name: "Mount table", Href: pathMountTable},
	{Name: "Metrics", Href: pathMetrics},
	{Name: "Masters", Href: pathMasters},
	{Name: "Logs", Href: pathLogs},
}

// New parses the pages.
func New(cfg Config) (*UI, error) {
	sub, err := fs.Sub(pageFiles, "pages")
	if err != nil {
		return nil, err
	}
	pages, err := web.Parse(web.Frame{Product: "Halo master", Nav: nav}, sub,
		"overview.html", "browse.html", "data.html", "config.html", "workers.html", "mounttable.html", "masters.html")
	if err != nil {
		return nil, err
	}
	return &UI{cfg: cfg, pages: pages}, nil
}

func (u *UI) metrics(*http.Request) (any, error) { return web.Metrics(u.cfg.Metrics) }

func (u *UI) logs(*http.Request) (any, error) { return web.LogTail("master", u.cfg.LogFile) }

// Register adds the pages, the JSON endpoints and the stylesheet to mux.
func (u *UI) Register(mux *http.ServeMux) {
	mux.Handle("GET /static/", web.Static())
	mux.HandleFunc("GET /{$}", u.page("overview.html", "Overview", pathOverview, u.overview))
	mux.HandleFunc("GET "+pathBrowse, u.operator(u.page("browse.html", "Browse", pathBrowse, u.browse)))
	mux.HandleFunc("GET "+pathData, u.operator(u.page("data.html", "In-Alluxio data", pathData, u.data)))
	mux.HandleFunc("GET "+pathConfig, u.operator(u.page("config.html", "Configuration", pathConfig, u.configuration)))
	mux.HandleFunc("GET "+pathWorkers, u.page("workers.html", "Workers", pathWorkers, u.workers))
	mux.HandleFunc("GET "+pathMountTable, u.operator(u.page("mounttable.html", "Mount table", pathMountTable, u.mountTable)))
	mux.HandleFunc("GET "+pathMetrics, u.page("metrics.html", "Metrics", pathMetrics, u.metrics))
	mux.HandleFunc("GET "+pathMasters, u.page("masters.html", "Masters", pathMasters, u.masters))
	mux.HandleFunc("GET "+pathLogs, u.operator(u.page("logs.html", "Logs", pathLogs, u.logs)))
	mux.HandleFunc("GET "+pathLeader, u.toLeader)

	mux.HandleFunc("GET "+apiPrefix+"info", web.API(u.info))
	mux.HandleFunc("GET "+apiPrefix+"webui_overview", web.API(u.overview))
	mux.HandleFunc("GET "+apiPrefix+"webui_browse", u.operator(web.API(u.browse)))
	mux.HandleFunc("GET "+apiPrefix+"webui_data", u.operator(web.API(u.data)))
	mux.HandleFunc("GET "+apiPrefix+"webui_config", u.operator(web.API(u.configuration)))
	mux.HandleFunc("GET "+apiPrefix+"webui_workers", web.API(u.workers))
	mux.HandleFunc("GET "+apiPrefix+"webui_mounttable", u.operator(web.API(u.mountTable)))
	mux.HandleFunc("GET "+apiPrefix+"webui_metrics", web.API(u.metrics))
	mux.HandleFunc("GET "+apiPrefix+"webui_masters", web.API(u.masters))
	mux.HandleFunc("GET "+apiPrefix+"webui_logs", u.operator(web.API(u.logs)))
	mux.HandleFunc(apiPrefix, func(w http.ResponseWriter, r *http.Request) {
		web.WriteJSONError(w, http.StatusNotFound, "no endpoint "+r.URL.Path+"; see docs/WEB.md for the endpoints")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		u.pages.Error(w, http.StatusNotFound, u.banner(), "no page "+r.URL.Path)
	})
}
