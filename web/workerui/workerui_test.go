package workerui

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/halo-fs/halo/web"
	"github.com/halo-fs/halo/worker/blockstore"
	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
)

// testWorker is a worker's UI over a real block store with a MEM tier of
// one folder and an SSD tier of two, one of which is lost (its path is
// under a regular file).
type testWorker struct {
	store  *blockstore.Store
	server *httptest.Server
	lost   string
	links  []MasterLink
}

func newTestWorker(t testing.TB, logFile string) *testWorker {
	return newTestWorkerRefusing(t, logFile, nil)
}

func newTestWorkerRefusing(t testing.TB, logFile string, refusal func(*http.Request) string) *testWorker {
	t.Helper()
	root := t.TempDir()
	mem, ssd := filepath.Join(root, "mem"), filepath.Join(root, "ssd")
	for _, d := range []string{mem, ssd} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	notADir := filepath.Join(root, "file")
	if err := os.WriteFile(notADir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tw := &testWorker{lost: filepath.Join(notADir, "ssd")}
	store, err := blockstore.Open(blockstore.Config{Tiers: []blockstore.TierConfig{
		{Alias: blockstore.TierMEM, Dirs: []blockstore.DirConfig{{Path: mem, Quota: 1 << 20}}},
		{Alias: blockstore.TierSSD, Dirs: []blockstore.DirConfig{{Path: ssd, Quota: 4 << 20}, {Path: tw.lost, Quota: 4 << 20}}},
	}}, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	tw.store = store
	tw.links = []MasterLink{
		{Address: "m2:19998", LastError: "connection refused <again>"},
		{Address: "m1:19998", Registered: true, Registrations: 1, LastContact: time.Now()},
	}
	requests := prometheus.NewCounter(prometheus.CounterOpts{Name: "test_requests_total", Help: "Requests."})
	requests.Add(3)
	registry := prometheus.NewRegistry()
	registry.MustRegister(requests)
	ui, err := New(Config{
		ID: 42, Host: "w1", RPCPort: 29999, WebPort: 30000, Version: "test", Started: time.Now().Add(-time.Minute),
		Store: store, Masters: func() []MasterLink { return append([]MasterLink(nil), tw.links...) },
		Metrics: registry, LogFile: logFile, Refusal: refusal,
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	ui.Register(mux)
	tw.server = httptest.NewServer(mux)
	t.Cleanup(tw.server.Close)
	return tw
}

func (tw *testWorker) writeBlock(t *testing.T, id int64, tier string, n int) {
	t.Helper()
	b, err := tw.store.CreateBlock(1, id, tier, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Write(make([]byte, n)); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Commit(); err != nil {
		t.Fatal(err)
	}
}

func (tw *testWorker) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(tw.server.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

func (tw *testWorker) getJSON(t *testing.T, path string, wantCode int, into any) {
	t.Helper()
	code, body := tw.get(t, path)
	if code != wantCode {
		t.Fatalf("GET %s: %d, want %d: %s", path, code, wantCode, body)
	}
	if err := json.Unmarshal([]byte(body), into); err != nil {
		t.Fatalf("GET %s: %v: %s", path, err, body)
	}
}

func TestOverviewShowsMastersTiersFoldersAndLostStorage(t *testing.T) {
	tw := newTestWorker(t, "")
	tw.writeBlock(t, 1, blockstore.TierMEM, 1000)
	tw.writeBlock(t, 2, blockstore.TierSSD, 3000)
	var o Overview
	tw.getJSON(t, "/api/v1/worker/webui_overview", http.StatusOK, &o)
	if o.ID != 42 || o.RPCAddress != "w1:29999" || o.UptimeMs < time.Minute.Milliseconds() {
		t.Errorf("worker: %+v", o.Info)
	}
	if len(o.Masters) != 2 || o.Masters[0].Address != "m1:19998" || !o.Masters[0].Registered || o.Masters[0].LastContactMs < 0 ||
		o.Masters[1].LastContactMs != -1 || o.Masters[1].LastError == "" {
		t.Errorf("masters: %+v", o.Masters)
	}
	if len(o.Tiers) != 2 || o.Tiers[0].Alias != "MEM" || o.Tiers[0].UsedBytes != 1000 || o.Tiers[0].Blocks != 1 ||
		o.Tiers[1].CapacityBytes != 4<<20 || len(o.Tiers[1].Dirs) != 1 || o.Tiers[1].Blocks != 1 {
		t.Errorf("tiers: %+v", o.Tiers)
	}
	if o.CapacityBytes != 5<<20 || o.UsedBytes != 4000 {
		t.Errorf("total: %d of %d", o.UsedBytes, o.CapacityBytes)
	}
	if len(o.LostStorage) != 1 || o.LostStorage[0] != (LostStorage{Tier: "SSD", Path: tw.lost}) {
		t.Errorf("lost storage: %+v", o.LostStorage)
	}
	code, body := tw.get(t, "/")
	for _, want := range []string{`<td id="worker-id">42</td>`, "m1:19998", "connection refused &lt;again&gt;", "never", tw.lost, `<a href="/blocks?tier=MEM">1</a>`, "Halo worker"} {
		if code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("overview page (%d) lacks %q", code, want)
		}
	}
	var info Info
	tw.getJSON(t, "/api/v1/worker/info", http.StatusOK, &info)
	if info.ID != 42 || info.WebPort != 30000 || info.Version != "test" {
		t.Errorf("info: %+v", info)
	}
}

func TestBlocksArePagedByID(t *testing.T) {
	tw := newTestWorker(t, "")
	const blocks = 25
	for i := range blocks {
		tw.writeBlock(t, int64(1000-i*7), blockstore.TierSSD, 10+i)
	}
	tw.writeBlock(t, 5, blockstore.TierMEM, 1)
	var seen []int64
	after := ""
	for page := 0; page < blocks; page++ {
		var b Blocks
		tw.getJSON(t, "/api/v1/worker/webui_blocks?tier=SSD&limit=10&after="+after, http.StatusOK, &b)
		if b.Tier != "SSD" || len(b.Tiers) != 2 || b.Tiers[1].Blocks != blocks {
			t.Fatalf("page %d: %+v", page, b)
		}
		for _, blk := range b.Blocks {
			if len(seen) > 0 && blk.ID <= seen[len(seen)-1] {
				t.Fatalf("page %d: block %d after %d", page, blk.ID, seen[len(seen)-1])
			}
			if want := int64(10 + (1000-blk.ID)/7); blk.LengthBytes != want || blk.Medium != "SSD" {
				t.Fatalf("block %d: %+v, want length %d", blk.ID, blk, want)
			}
			seen = append(seen, blk.ID)
		}
		if b.NextAfter == "" {
			break
		}
		after = b.NextAfter
	}
	if len(seen) != blocks {
		t.Fatalf("paged through %d blocks, want %d: %v", len(seen), blocks, seen)
	}
	var first Blocks
	tw.getJSON(t, "/api/v1/worker/webui_blocks", http.StatusOK, &first)
	if first.Tier != "MEM" || len(first.Blocks) != 1 || first.Blocks[0].ID != 5 {
		t.Errorf("the default tier is the first: %+v", first)
	}
	code, body := tw.get(t, "/blocks?tier=SSD&limit=10")
	if code != http.StatusOK || !strings.Contains(body, `<a href="/blocks?tier=SSD&after=895" id="next">Next page</a>`) {
		t.Errorf("blocks page (%d) lacks the next page's link:\n%s", code, body)
	}
	var past Blocks
	tw.getJSON(t, "/api/v1/worker/webui_blocks?tier=SSD&after=9223372036854775807", http.StatusOK, &past)
	if len(past.Blocks) != 0 || past.NextAfter != "" {
		t.Errorf("after the last block: %+v", past)
	}
}

func TestBadInputIsAClearClientError(t *testing.T) {
	tw := newTestWorker(t, "")
	for _, c := range []struct {
		query string
		code  int
		want  string
	}{
		{"tier=<b>HDD</b>", http.StatusBadRequest, `this worker has the tiers MEM, SSD`},
		{"limit=0", http.StatusBadRequest, "from 1 to 1000"},
		{"limit=1001", http.StatusBadRequest, "from 1 to 1000"},
		{"limit=ten", http.StatusBadRequest, "from 1 to 1000"},
		{"after=12abc", http.StatusBadRequest, "the block id that ends the previous page"},
		{"after=99999999999999999999999", http.StatusBadRequest, "the block id that ends the previous page"},
		{"after=%ff", http.StatusBadRequest, "the block id that ends the previous page"},
	} {
		var e map[string]string
		tw.getJSON(t, "/api/v1/worker/webui_blocks?"+c.query, c.code, &e)
		if !strings.Contains(e["error"], c.want) {
			t.Errorf("%s: error %q lacks %q", c.query, e["error"], c.want)
		}
		code, body := tw.get(t, "/blocks?"+c.query)
		if code != c.code || strings.Contains(body, "<b>HDD</b>") || !strings.Contains(body, `id="error"`) {
			t.Errorf("%s: page %d:\n%s", c.query, code, body)
		}
	}
	var e map[string]string
	tw.getJSON(t, "/api/v1/worker/webui_nothing", http.StatusNotFound, &e)
	if code, _ := tw.get(t, "/nothing"); code != http.StatusNotFound {
		t.Errorf("unknown page: %d", code)
	}
}

func TestMetricsAndLogs(t *testing.T) {
	file := filepath.Join(t.TempDir(), "worker.log")
	tw := newTestWorker(t, file)
	var m struct{ Metrics []web.MetricFamily }
	tw.getJSON(t, "/api/v1/worker/webui_metrics", http.StatusOK, &m)
	if len(m.Metrics) != 1 || m.Metrics[0].Name != "test_requests_total" || m.Metrics[0].Samples[0].Value != 3 {
		t.Errorf("metrics: %+v", m)
	}
	if code, body := tw.get(t, "/metrics/ui"); code != http.StatusOK || !strings.Contains(body, "test_requests_total") {
		t.Errorf("metrics page: %d", code)
	}
	var logs web.Logs
	tw.getJSON(t, "/api/v1/worker/webui_logs", http.StatusOK, &logs)
	if !strings.Contains(logs.Note, "This worker has written no log file at "+file) {
		t.Errorf("before the log exists: %+v", logs)
	}
	if err := os.WriteFile(file, []byte("first\n<script>last</script>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, body := tw.get(t, "/logs"); code != http.StatusOK || !strings.Contains(body, "&lt;script&gt;last&lt;/script&gt;") {
		t.Errorf("logs page (%d):\n%s", code, body)
	}
}

// The Logs page follows the RPC port's authentication, as the master's
// does; the other pages stay open.
func TestLogsNeedTheOperator(t *testing.T) {
	tw := newTestWorkerRefusing(t, "", func(r *http.Request) string {
		if r.Header.Get("X-Test-Operator") == "yes" {
			return ""
		}
		return "present the <secret>"
	})
	for _, path := range []string{"/logs", "/api/v1/worker/webui_logs"} {
		code, body := tw.get(t, path)
		if code != http.StatusUnauthorized || !strings.Contains(body, "present the") || strings.Contains(body, "<secret>") {
			t.Errorf("%s without authentication: %d\n%s", path, code, body)
		}
		req, err := http.NewRequest(http.MethodGet, tw.server.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Test-Operator", "yes")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s authenticated: %d", path, resp.StatusCode)
		}
	}
	for _, path := range []string{"/", "/blocks", "/metrics/ui", "/api/v1/worker/info"} {
		if code, _ := tw.get(t, path); code != http.StatusOK {
			t.Errorf("%s: %d, want open", path, code)
		}
	}
}
