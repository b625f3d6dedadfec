package masterui

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/ha/state"
	"github.com/halo-fs/halo/web"
)

// view builds what one page and its JSON endpoint show.
type view func(r *http.Request) (any, error)

// statusOf is the HTTP status that says what went wrong: the request's
// fault (400, 404, 403) or the master's state (503), never a bare 500 for
// a known cause.
func statusOf(err error) int {
	switch fserr.CodeOf(err) {
	case fserr.NotFound:
		return http.StatusNotFound
	case fserr.InvalidPath, fserr.InvalidArgument:
		return http.StatusBadRequest
	case fserr.PermissionDenied, fserr.Unauthenticated:
		return http.StatusForbidden
	case fserr.NotLeader, fserr.Unavailable, fserr.FailedPrecondition:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// page renders the view with the page template name.
func (u *UI) page(name, title, active string, build view) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		banner := u.banner()
		data, err := build(r)
		if err != nil {
			u.pages.Error(w, statusOf(err), banner, err.Error())
			return
		}
		u.pages.Render(w, http.StatusOK, name, web.View{Title: title, Active: active, Banner: banner, Data: data})
	}
}

// api answers the view as JSON.
func (u *UI) api(build view) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		data, err := build(r)
		if err != nil {
			web.WriteJSONError(w, statusOf(err), err.Error())
			return
		}
		web.WriteJSON(w, http.StatusOK, data)
	}
}

// operator lets through only requests authenticated as the RPC port
// requires, answering others 401 with the reason, as a page or as JSON.
func (u *UI) operator(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		refusal := u.cfg.Refusal(r)
		if refusal == "" {
			next(w, r)
			return
		}
		if isAPI(r) {
			web.WriteJSONError(w, http.StatusUnauthorized, refusal)
			return
		}
		u.pages.Error(w, http.StatusUnauthorized, u.banner(), refusal)
	}
}

func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, apiPrefix) }

// banner is a standby's notice: its role, what its pages describe, and a
// link to the leader; nil on the leader.
func (u *UI) banner() *web.Banner {
	info := u.cfg.Master.Info()
	if state.Of(info) == state.Primary {
		return nil
	}
	text := fmt.Sprintf("This master is a standby: its pages show its own replica, as of applied index %d", info.AppliedIndex)
	if commit, known := u.cfg.Master.CommitIndex(); known && commit >= info.AppliedIndex {
		text += fmt.Sprintf(", %d entries behind the commit index it last heard of (%d)", commit-info.AppliedIndex, commit)
	}
	text += "."
	if info.LeaderAddress == "" {
		return &web.Banner{Text: text + " No leader is known right now."}
	}
	return &web.Banner{Text: text, Link: pathLeader, LinkText: "Go to the leader (" + info.LeaderAddress + ")"}
}

// toLeader sends the browser to the leader's UI, which only the leader
// itself can name (its web port may differ from this master's).
func (u *UI) toLeader(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	url, err := u.cfg.Master.LeaderWebURL(ctx)
	if err != nil {
		u.pages.Error(w, http.StatusServiceUnavailable, u.banner(), "cannot reach the leader's web UI: "+err.Error())
		return
	}
	http.Redirect(w, r, url, http.StatusFound)
}
