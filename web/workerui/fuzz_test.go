package workerui

import (
	"net/http"
	"net/url"
	"testing"
)

// FuzzBlocks: whatever the query, Blocks answers a page or a 400 with a
// reason, never a 500 or a panic.
func FuzzBlocks(f *testing.F) {
	f.Add("MEM", "", "")
	f.Add("SSD", "12", "10")
	f.Add("\xff", "-9223372036854775808", "1e9")
	f.Add("", "0x10", "-1")
	tw := newTestWorker(f, "")
	f.Fuzz(func(t *testing.T, tier, after, limit string) {
		q := url.Values{"tier": {tier}, "after": {after}, "limit": {limit}}
		for _, endpoint := range []string{"/blocks", apiPrefix + "webui_blocks"} {
			resp, err := http.Get(tw.server.URL + endpoint + "?" + q.Encode())
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("%s tier=%q after=%q limit=%q: %d", endpoint, tier, after, limit, resp.StatusCode)
			}
		}
	})
}
