package web

import (
	"net/http"
	"strconv"

	"github.com/halo-fs/halo/fserr"
)

// Build makes what one page and its JSON endpoint show, or an error
// that says what was wrong with the request.
type Build func(r *http.Request) (any, error)

// StatusOf is the HTTP status that says what went wrong: the request's
// fault (400, 404, 403) or the process's state (503), never a bare 500
// for a known cause.
func StatusOf(err error) int {
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

// Page renders what build makes with the page template name, or an error
// page; banner is asked at each request, as a process's role may change.
func (p *Pages) Page(name, title, active string, banner func() *Banner, build Build) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b := banner()
		data, err := build(r)
		if err != nil {
			p.Error(w, StatusOf(err), b, err.Error())
			return
		}
		p.Render(w, http.StatusOK, name, View{Title: title, Active: active, Banner: b, Data: data})
	}
}

// API answers what build makes as JSON, or {"error": …}.
func API(build Build) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		data, err := build(r)
		if err != nil {
			WriteJSONError(w, StatusOf(err), err.Error())
			return
		}
		WriteJSON(w, http.StatusOK, data)
	}
}

// OperatorOnly lets through the requests refusal (nil: none) has nothing
// against; others get 401 with the reason, as JSON when isAPI says the
// request is for JSON, else as an error page.
func (p *Pages) OperatorOnly(refusal func(*http.Request) string, isAPI func(*http.Request) bool, banner func() *Banner, next http.HandlerFunc) http.HandlerFunc {
	if refusal == nil {
		return next
	}
	return func(w http.ResponseWriter, r *http.Request) {
		reason := refusal(r)
		switch {
		case reason == "":
			next(w, r)
		case isAPI(r):
			WriteJSONError(w, http.StatusUnauthorized, reason)
		default:
			p.Error(w, http.StatusUnauthorized, banner(), reason)
		}
	}
}

// NoBanner is the banner func of a process whose pages carry none.
func NoBanner() *Banner { return nil }

// Paging: a page of a listing holds at most MaxPageLimit entries.
const (
	DefaultPageLimit = 100
	MaxPageLimit     = 1000
)

// PageLimit reads a listing's limit parameter: DefaultPageLimit when
// empty, else a whole number from 1 to MaxPageLimit.
func PageLimit(s string) (int, error) {
	if s == "" {
		return DefaultPageLimit, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > MaxPageLimit {
		return 0, fserr.New(fserr.InvalidArgument, "limit %q: give a whole number of entries from 1 to %d", s, MaxPageLimit)
	}
	return n, nil
}
