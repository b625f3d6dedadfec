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
	cfg  Config
	site *web.Site
}

//go:embed pages
var pageFiles embed.FS

// The link to the leader and the JSON's prefix; the pages' paths are in
// sections (the Prometheus endpoint keeps /metrics, so the metrics page
// lives under it).
const (
	pathLeader = "/leader"
	apiPrefix  = "/api/v1/master/"
)

// New parses the pages.
func New(cfg Config) (*UI, error) {
	sub, err := fs.Sub(pageFiles, "pages")
	if err != nil {
		return nil, err
	}
	u := &UI{cfg: cfg}
	u.site, err = web.NewSite(web.SiteConfig{
		Product: "Halo master", APIPrefix: apiPrefix, Templates: sub,
		Banner: u.banner, Refusal: cfg.Refusal, Sections: u.sections(),
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// sections are the pages in navigation order, each with its endpoint
// under Alluxio's name.
func (u *UI) sections() []web.Section {
	return []web.Section{
		{Endpoint: "info", Build: u.info},
		{Name: "Overview", Path: "/", Template: "overview.html", Endpoint: "webui_overview", Build: u.overview},
		{Name: "Browse", Path: "/browse", Template: "browse.html", Endpoint: "webui_browse", Build: u.browse, Operator: true},
		{Name: "In-Alluxio data", Path: "/data", Template: "data.html", Endpoint: "webui_data", Build: u.data, Operator: true},
		{Name: "Configuration", Path: "/config", Template: "config.html", Endpoint: "webui_config", Build: u.configuration, Operator: true},
		{Name: "Workers", Path: "/workers", Template: "workers.html", Endpoint: "webui_workers", Build: u.workers},
		{Name: "Mount table", Path: "/mounttable", Template: "mounttable.html", Endpoint: "webui_mounttable", Build: u.mountTable, Operator: true},
		{Name: "Metrics", Path: "/metrics/ui", Template: "metrics.html", Endpoint: "webui_metrics", Build: u.metrics},
		{Name: "Masters", Path: "/masters", Template: "masters.html", Endpoint: "webui_masters", Build: u.masters},
		{Name: "Logs", Path: "/logs", Template: "logs.html", Endpoint: "webui_logs", Build: u.logs, Operator: true},
	}
}

// Register adds the pages, the JSON endpoints, the stylesheet and the
// link to the leader to mux, which keeps its other paths (/health,
// /metrics).
func (u *UI) Register(mux *http.ServeMux) {
	u.site.Register(mux)
	mux.HandleFunc("GET "+pathLeader, u.toLeader)
}

func (u *UI) metrics(*http.Request) (any, error) { return web.Metrics(u.cfg.Metrics) }

func (u *UI) logs(*http.Request) (any, error) { return web.LogTail("master", u.cfg.LogFile) }
