// Package web is what every Halo web UI shares (the master's on 19999,
// web/masterui; the worker's on 30000, web/workerui): the page frame with
// its navigation and banner, the stylesheet, the formatting the pages
// use, the Metrics and Logs pages, paging limits, and how a request is
// answered, as a page or as JSON, with errors that say what was wrong. Templates and assets are embedded, so `go build` is the
// whole build of a UI.
package web

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
)

//go:embed layout.html error.html metrics.html logs.html static
var assets embed.FS

// Link is one entry of the navigation.
type Link struct{ Name, Href string }

// Banner is a notice above every page's content, such as a standby's.
type Banner struct {
	Text     string
	LinkText string
	Link     string
}

// Frame is what the pages of one process share.
type Frame struct {
	Product string // shown in the title bar and the page head
	Nav     []Link
}

// View is one page to render: its title, the navigation entry to
// highlight, the banner (nil for none) and the data its template reads as
// .Data.
type View struct {
	Title  string
	Active string
	Banner *Banner
	Data   any
	Frame  Frame
}

// Pages renders a UI's pages inside its frame.
type Pages struct {
	frame  Frame
	byName map[string]*template.Template
}

// sharedPages are the pages every UI has, whose data is Metrics' and
// LogTail's.
var sharedPages = []string{"error.html", "metrics.html", "logs.html"}

// Parse reads the named page templates from fsys; each defines
// "content", which the frame's layout places in the page. The shared
// pages (error.html, metrics.html, logs.html) come with the frame.
func Parse(frame Frame, fsys fs.FS, names ...string) (*Pages, error) {
	base, err := template.New("layout.html").Funcs(Funcs()).ParseFS(assets, "layout.html")
	if err != nil {
		return nil, err
	}
	p := &Pages{frame: frame, byName: map[string]*template.Template{}}
	add := func(name string, from fs.FS) error {
		t, err := template.Must(base.Clone()).ParseFS(from, name)
		if err != nil {
			return fmt.Errorf("page %s: %w", name, err)
		}
		p.byName[name] = t
		return nil
	}
	for _, name := range sharedPages {
		if err := add(name, assets); err != nil {
			return nil, err
		}
	}
	for _, name := range names {
		if err := add(name, fsys); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// Render answers with the page name. The page is rendered whole before
// anything is sent, so a template failure is an error page, not half a
// page.
func (p *Pages) Render(w http.ResponseWriter, code int, name string, v View) {
	t, ok := p.byName[name]
	if !ok {
		http.Error(w, "no page "+name, http.StatusInternalServerError)
		return
	}
	v.Frame = p.frame
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", v); err != nil {
		http.Error(w, "rendering "+name+": "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}

// Error answers with an error page that says what was wrong.
func (p *Pages) Error(w http.ResponseWriter, code int, banner *Banner, message string) {
	p.Render(w, code, "error.html", View{Title: http.StatusText(code), Banner: banner, Data: message})
}

// Static serves the UI's stylesheet under /static/.
func Static() http.Handler {
	sub, _ := fs.Sub(assets, "static")
	return http.StripPrefix("/static/", http.FileServerFS(sub))
}

// WriteJSON answers with body as JSON.
func WriteJSON(w http.ResponseWriter, code int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(body)
}

// WriteJSONError answers with {"error": message}.
func WriteJSONError(w http.ResponseWriter, code int, message string) {
	WriteJSON(w, code, map[string]string{"error": message})
}
