package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/halo-fs/halo/internal/sharedsecret"
	webui "github.com/halo-fs/halo/web"
)

// sessionCookie holds a browser's session in SECRET mode.
const sessionCookie = "halo_session"

// login trades a login link (SECRET mode) for a session cookie and sends
// the browser on to the page named by next. The link's token is good for
// a minute; the session for sharedsecret.SessionLifetime.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Operators != SignedBySecret {
		webui.WriteJSONError(w, http.StatusBadRequest, "login links are for alluxio.security.authentication.type=SECRET; this master needs none")
		return
	}
	now := time.Now()
	if err := sharedsecret.VerifyLoginToken(r.URL.Query().Get("token"), s.cfg.Secret, now); err != nil {
		webui.WriteJSONError(w, http.StatusUnauthorized, "login link refused: "+err.Error()+"; make a new one with `halo fsadmin webLogin`")
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: sharedsecret.NewSession(s.cfg.Secret, now), Path: "/",
		Expires: now.Add(sharedsecret.SessionLifetime), HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode,
	})
	http.Redirect(w, r, localPath(r.URL.Query().Get("next")), http.StatusSeeOther)
}

// localPath is next when it names a page of this port, else "/": a login
// link must not send the browser elsewhere.
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/"
	}
	return next
}
