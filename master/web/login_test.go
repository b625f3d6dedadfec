package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/internal/sharedsecret"
	"github.com/prometheus/client_golang/prometheus"
)

// TestLoginLinkOpensABrowserSession: in SECRET mode a browser opens the
// operator endpoints with the cookie a login link gives it, since it
// cannot sign each request; a stale or forged link gives nothing, and a
// link never sends the browser to another site.
func TestLoginLinkOpensABrowserSession(t *testing.T) {
	secret := []byte("0123456789abcdef0123")
	s := New(Config{FSM: fsm.New(fsm.DefaultConfig()), Metrics: prometheus.NewRegistry(), Operators: SignedBySecret, Secret: secret})
	h, err := s.handler()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	noRedirects := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string, cookie *http.Cookie) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		if cookie != nil {
			req.AddCookie(cookie)
		}
		resp, err := noRedirects.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := get("/checkpoint/digest", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("digest without a session: %d", resp.StatusCode)
	}
	for _, token := range []string{
		"", "garbage",
		sharedsecret.LoginToken(secret, time.Now().Add(-2*time.Minute)),
		sharedsecret.LoginToken([]byte("another secret of 20b"), time.Now()),
	} {
		if resp := get("/login?token="+url.QueryEscape(token), nil); resp.StatusCode != http.StatusUnauthorized || len(resp.Cookies()) != 0 {
			t.Errorf("login with token %q: %d, cookies %v", token, resp.StatusCode, resp.Cookies())
		}
	}
	resp := get("/login?next=/checkpoint/digest&token="+url.QueryEscape(sharedsecret.LoginToken(secret, time.Now())), nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/checkpoint/digest" || len(resp.Cookies()) != 1 {
		t.Fatalf("login: %d to %q with cookies %v", resp.StatusCode, resp.Header.Get("Location"), resp.Cookies())
	}
	session := resp.Cookies()[0]
	if !session.HttpOnly {
		t.Errorf("the session cookie is readable by scripts: %v", session)
	}
	if resp := get("/checkpoint/digest", session); resp.StatusCode != http.StatusOK {
		t.Fatalf("digest with the session: %d", resp.StatusCode)
	}
	forged := *session
	forged.Value = strings.Replace(forged.Value, ":", "9:", 1)
	if resp := get("/checkpoint/digest", &forged); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("digest with an extended session: %d", resp.StatusCode)
	}
	for _, next := range []string{"//evil.example/x", "https://evil.example/", `/\evil.example`, ""} {
		resp := get("/login?next="+url.QueryEscape(next)+"&token="+url.QueryEscape(sharedsecret.LoginToken(secret, time.Now())), nil)
		if resp.Header.Get("Location") != "/" {
			t.Errorf("login with next=%q sends the browser to %q", next, resp.Header.Get("Location"))
		}
	}
}
