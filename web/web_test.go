package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

func TestFormatting(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{FormatBytes(0), "0B"},
		{FormatBytes(1023), "1023B"},
		{FormatBytes(1536), "1.50KB"},
		{FormatBytes(1 << 30), "1.00GB"},
		{FormatBytes(1 << 62), "4.00EB"},
		{FormatMode(0o755, true), "drwxr-xr-x"},
		{FormatMode(0o1644, false), "-rw-r--r--"},
		{FormatTimeMs(0), ""},
		{FormatTimeMs(1_700_000_000_000), "2023-11-14 22:13:20 UTC"},
		{FormatDurationMs(1500), "2s"},
		{FormatDurationMs(250), "250ms"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// TestPagesShareTheFrame: any process's pages get the navigation, the
// banner and an error page from the layout, so a worker UI need only
// write its pages' content.
func TestPagesShareTheFrame(t *testing.T) {
	pages, err := Parse(Frame{Product: "Halo worker", Nav: []Link{{Name: "Blocks", Href: "/blocks"}}},
		fstest.MapFS{"blocks.html": {Data: []byte(`{{define "content"}}<p id="n">{{.Data}}</p>{{end}}`)}}, "blocks.html")
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	pages.Render(w, http.StatusOK, "blocks.html", View{Title: "Blocks", Active: "/blocks", Banner: &Banner{Text: "draining"}, Data: "<7>"})
	body := w.Body.String()
	for _, want := range []string{"<title>Blocks · Halo worker</title>", `<a href="/blocks" class="active">Blocks</a>`, "draining", `<p id="n">&lt;7&gt;</p>`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q:\n%s", want, body)
		}
	}
	w = httptest.NewRecorder()
	pages.Error(w, http.StatusBadRequest, nil, "bad <input>")
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), `<p class="error" id="error">bad &lt;input&gt;</p>`) {
		t.Errorf("error page: %d\n%s", w.Code, w.Body.String())
	}
	w = httptest.NewRecorder()
	Static().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/static/style.css", nil))
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "banner") {
		t.Errorf("stylesheet: %d", w.Code)
	}
}
