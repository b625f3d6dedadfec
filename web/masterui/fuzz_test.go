package masterui

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// FuzzBrowse: whatever the query, Browse and In-Alluxio data answer a
// page or a 4xx with a reason, never a 500 or a panic.
func FuzzBrowse(f *testing.F) {
	f.Add("/", "", "")
	f.Add("/d", "/d/f", "10")
	f.Add("/d/../x", "/d/\x00", "-1")
	f.Add("\xff", "zz", "1e9")
	f.Fuzz(func(t *testing.T, path, after, limit string) {
		m := newFakeMaster(t)
		m.touch("/d/f")
		m.touch("/d/g")
		ui, err := New(Config{Master: m})
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		ui.Register(mux)
		for _, endpoint := range []string{"/browse", apiPrefix + "webui_browse", "/data", apiPrefix + "webui_data"} {
			q := url.Values{"path": {path}, "after": {after}, "limit": {limit}}
			w := httptest.NewRecorder()
			mux.ServeHTTP(w, httptest.NewRequest(http.MethodGet, endpoint+"?"+q.Encode(), nil))
			if w.Code != http.StatusOK && w.Code != http.StatusBadRequest && w.Code != http.StatusNotFound {
				t.Fatalf("%s path=%q after=%q limit=%q: %d\n%s", endpoint, path, after, limit, w.Code, w.Body)
			}
		}
	})
}
