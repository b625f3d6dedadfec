package web

import (
	"io/fs"
	"net/http"
	"slices"
	"strings"
)

// Section is one page of a UI and the JSON endpoint behind it, both
// made by Build, so that a page always shows what its endpoint answers.
type Section struct {
	// Name is the page's title and its navigation entry; "" for an
	// endpoint without a page.
	Name     string
	Path     string // the page's path; "/" is the front page
	Template string // the page's template, in the site's Templates or shared
	Endpoint string // under the site's APIPrefix; "" for a page without one
	Build    Build
	// Operator sections follow the authentication of the RPC port.
	Operator bool
}

// SiteConfig describes one process's UI.
type SiteConfig struct {
	Product   string // shown in the title bar and the page head
	APIPrefix string // e.g. /api/v1/master/
	Templates fs.FS
	Sections  []Section
	// Banner is asked at each request, as a process's role may change;
	// nil shows none.
	Banner func() *Banner
	// Refusal says why a request may not see operator sections, "" when
	// it may; nil refuses nothing.
	Refusal func(*http.Request) string
}

// Site serves a UI: its sections in the shared frame, their JSON, the
// stylesheet, and 404s that say what is missing.
type Site struct {
	cfg   SiteConfig
	pages *Pages
}

// NewSite parses the sections' templates.
func NewSite(cfg SiteConfig) (*Site, error) {
	if cfg.Banner == nil {
		cfg.Banner = NoBanner
	}
	var nav []Link
	var own []string
	for _, s := range cfg.Sections {
		if s.Name != "" {
			nav = append(nav, Link{Name: s.Name, Href: s.Path})
		}
		if s.Template != "" && !slices.Contains(sharedPages, s.Template) {
			own = append(own, s.Template)
		}
	}
	pages, err := Parse(Frame{Product: cfg.Product, Nav: nav}, cfg.Templates, own...)
	if err != nil {
		return nil, err
	}
	return &Site{cfg: cfg, pages: pages}, nil
}

// Register adds the site to mux, which keeps its other paths (/health,
// /metrics); paths it does not know get a 404 page, or JSON under the
// API prefix.
func (s *Site) Register(mux *http.ServeMux) {
	mux.Handle("GET /static/", Static())
	for _, sec := range s.cfg.Sections {
		if sec.Template != "" {
			pattern := "GET " + sec.Path
			if sec.Path == "/" {
				pattern = "GET /{$}"
			}
			mux.HandleFunc(pattern, s.guard(sec, s.pages.Page(sec.Template, sec.Name, sec.Path, s.cfg.Banner, sec.Build)))
		}
		if sec.Endpoint != "" {
			mux.HandleFunc("GET "+s.cfg.APIPrefix+sec.Endpoint, s.guard(sec, API(sec.Build)))
		}
	}
	mux.HandleFunc(s.cfg.APIPrefix, func(w http.ResponseWriter, r *http.Request) {
		WriteJSONError(w, http.StatusNotFound, "no endpoint "+r.URL.Path+"; see docs/WEB.md for the endpoints")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.Error(w, http.StatusNotFound, "no page "+r.URL.Path)
	})
}

// Error answers with an error page under the site's banner.
func (s *Site) Error(w http.ResponseWriter, code int, message string) {
	s.pages.Error(w, code, s.cfg.Banner(), message)
}

func (s *Site) guard(sec Section, h http.HandlerFunc) http.HandlerFunc {
	if !sec.Operator {
		return h
	}
	isAPI := func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, s.cfg.APIPrefix) }
	return s.pages.OperatorOnly(s.cfg.Refusal, isAPI, s.cfg.Banner, h)
}
