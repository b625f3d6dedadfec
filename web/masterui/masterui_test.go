package masterui

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/halo-fs/halo/conf"
	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/ha"
	"github.com/halo-fs/halo/ha/state"
	"github.com/halo-fs/halo/master/blockmaster"
	"github.com/halo-fs/halo/proto/halopb"
	"github.com/halo-fs/halo/proto/journalpb"
	"github.com/halo-fs/halo/web"
	"github.com/prometheus/client_golang/prometheus"
)

// fakeMaster is a master as the UI sees it: a namespace the test fills,
// a worker table, and a role the test sets.
type fakeMaster struct {
	t       testing.TB
	ns      *fsm.FSM
	index   uint64
	workers *blockmaster.Table
	role    state.Master
	leader  string
	commit  uint64
	quorum  *halopb.QuorumInfo
	mode    string
	// election is what the replicator saw of elections; nil in a mode
	// without them.
	election *ha.Election
	// contents are the files' bytes ReadFileRange answers; readErr, when
	// set, is its answer instead.
	contents map[string][]byte
	readErr  error
}

func newFakeMaster(t testing.TB) *fakeMaster {
	return &fakeMaster{
		t: t, ns: fsm.New(fsm.DefaultConfig()), workers: blockmaster.New(blockmaster.Config{}),
		role: state.Primary, leader: "m1:19998", mode: "raft",
	}
}

func (f *fakeMaster) Info() *halopb.MasterInfo {
	return &halopb.MasterInfo{
		Hostname: "m1", RpcPort: 19998, WebPort: 19999, State: f.role.String(), LeaderAddress: f.leader,
		Version: "test", HaMode: f.mode, JournalType: "EMBEDDED", AppliedIndex: f.ns.AppliedIndex(),
		MasterAddresses: []string{"m1:19998", "m2:19998", "m3:19998"},
	}
}
func (f *fakeMaster) Election() (ha.Election, bool) {
	if f.election == nil {
		return ha.Election{}, false
	}
	return *f.election, true
}
func (f *fakeMaster) Namespace() *fsm.FSM         { return f.ns }
func (f *fakeMaster) Workers() *blockmaster.Table { return f.workers }
func (f *fakeMaster) CommitIndex() (uint64, bool) { return f.commit, f.commit > 0 }
func (f *fakeMaster) LeaderWebURL(context.Context) (string, error) {
	return "http://m1:19999/", nil
}
func (f *fakeMaster) ReadFileRange(_ context.Context, path string, offset, length int64) ([]byte, error) {
	if f.readErr != nil {
		return nil, f.readErr
	}
	b := f.contents[path]
	return b[offset:min(offset+length, int64(len(b)))], nil
}
func (f *fakeMaster) ClusterConfiguration() []conf.KeyValue {
	return []conf.KeyValue{
		{Key: "alluxio.master.hostname", Value: "m1", Source: conf.SourceSiteProperty},
		{Key: "alluxio.master.web.port", Value: "19999", Source: conf.SourceDefault},
		{Key: "aws.secretKey", Value: "******", Source: conf.SourceCLI},
	}
}
func (f *fakeMaster) QuorumInfo(context.Context) (*halopb.QuorumInfo, error) {
	if f.quorum == nil {
		return nil, fserr.New(fserr.FailedPrecondition, "quorum commands need the embedded journal")
	}
	return f.quorum, nil
}

// apply journals e as the leader would have stamped it.
func (f *fakeMaster) apply(e *journalpb.Entry) {
	f.t.Helper()
	f.index++
	e.TimeMs = 1_700_000_000_000
	e.Caller = &journalpb.Caller{User: "alice", Groups: []string{"staff"}, Superuser: true}
	if res := f.ns.Apply(f.index, e); res.Err != nil {
		f.t.Fatalf("apply %v: %v", e, res.Err)
	}
}

func (f *fakeMaster) mkdir(path string) {
	f.apply(&journalpb.Entry{Payload: &journalpb.Entry_CreateDirectory{CreateDirectory: &journalpb.CreateDirectoryEntry{Path: path, Mode: 0o755, Recursive: true}}})
}

func (f *fakeMaster) touch(path string) {
	f.apply(&journalpb.Entry{Payload: &journalpb.Entry_CreateFile{CreateFile: &journalpb.CreateFileEntry{Path: path, Mode: 0o644, Completed: true, Recursive: true}}})
}

// serve starts the UI over f with refusal deciding operator access.
func serve(t *testing.T, f *fakeMaster, cfg Config) *httptest.Server {
	t.Helper()
	cfg.Master = f
	if cfg.Metrics == nil {
		reg := prometheus.NewRegistry()
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "halo_master_rpc_total", Help: "RPCs."}, []string{"method"})
		c.WithLabelValues("GetStatus").Add(3)
		reg.MustRegister(c)
		cfg.Metrics = reg
	}
	ui, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	ui.Register(mux)
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// get fetches path and returns the status, content type and body.
func get(t *testing.T, s *httptest.Server, path string) (int, string, string) {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(s.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(body)
}

// getJSON fetches an API path, wants status code, and decodes into v.
func getJSON(t *testing.T, s *httptest.Server, path string, code int, v any) {
	t.Helper()
	got, ctype, body := get(t, s, path)
	if got != code || !strings.HasPrefix(ctype, "application/json") {
		t.Fatalf("GET %s: %d %s, want %d JSON: %s", path, got, ctype, code, body)
	}
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("GET %s: %v in %s", path, err, body)
	}
}

func TestEveryPageShowsItsData(t *testing.T) {
	f := newFakeMaster(t)
	f.mkdir("/data/logs")
	f.touch("/data/report.csv")
	f.apply(&journalpb.Entry{Payload: &journalpb.Entry_AddMountPoint{AddMountPoint: &journalpb.AddMountPointEntry{Path: "/s3", UfsUri: "s3://bucket/dir"}}})
	id, err := f.workers.IDFor(blockmaster.Address{Host: "w1", RPCPort: 29999, WebPort: 30000})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.workers.Register(id, blockmaster.Registration{Tiers: []string{"MEM"}, Capacity: map[string]int64{"MEM": 1 << 30}, Used: map[string]int64{"MEM": 1 << 20}}); err != nil {
		t.Fatal(err)
	}
	s := serve(t, f, Config{})
	for _, c := range []struct{ path, want string }{
		{"/", `<td id="live-workers">1</td>`},
		{"/", `<td id="folders">4</td>`}, // /, /data, /data/logs, /s3
		{"/", `<td id="files">1</td>`},
		{"/", "1.00GB"},
		{"/browse?path=/data", "report.csv"},
		{"/config", "alluxio.master.hostname"},
		{"/config", "SITE_PROPERTY"},
		{"/workers", `<a href="http://w1:30000/">w1:29999</a>`},
		{"/mounttable", "s3://bucket/dir"},
		{"/metrics/ui", "halo_master_rpc_total"},
		{"/masters", "m2:19998"},
		{"/logs", "writes no log file"},
	} {
		code, ctype, body := get(t, s, c.path)
		if code != http.StatusOK || !strings.HasPrefix(ctype, "text/html") || !strings.Contains(body, c.want) {
			t.Errorf("GET %s: %d %s, want 200 HTML with %q:\n%s", c.path, code, ctype, c.want, body)
		}
	}
}

func TestEveryEndpointAnswersJSON(t *testing.T) {
	f := newFakeMaster(t)
	f.mkdir("/a")
	f.touch("/a/f")
	s := serve(t, f, Config{})

	var info Info
	getJSON(t, s, "/api/v1/master/info", http.StatusOK, &info)
	if info.Role != "PRIMARY" || info.RPCAddress != "m1:19998" || info.AppliedIndex != 2 {
		t.Errorf("info = %+v", info)
	}
	var o Overview
	getJSON(t, s, "/api/v1/master/webui_overview", http.StatusOK, &o)
	if o.Files != 1 || o.Folders != 2 || o.HAMode != "raft" {
		t.Errorf("overview = %+v", o)
	}
	var b Browse
	getJSON(t, s, "/api/v1/master/webui_browse?path=/a", http.StatusOK, &b)
	if len(b.Children) != 1 || b.Children[0].Path != "/a/f" || b.Children[0].Owner != "alice" || b.Children[0].Mode != "-rw-r--r--" || b.AppliedIndex != 2 {
		t.Errorf("browse = %+v", b)
	}
	var w Workers
	getJSON(t, s, "/api/v1/master/webui_workers", http.StatusOK, &w)
	if w.Live == nil || w.Lost == nil {
		t.Errorf("workers = %+v, want empty lists rather than null", w)
	}
	var cfg struct{ Configuration []ConfigProperty }
	getJSON(t, s, "/api/v1/master/webui_config", http.StatusOK, &cfg)
	if len(cfg.Configuration) != 3 || cfg.Configuration[2].Value != "******" || cfg.Configuration[1].Source != "DEFAULT" {
		t.Errorf("config = %+v", cfg)
	}
	var metrics struct{ Metrics []web.MetricFamily }
	getJSON(t, s, "/api/v1/master/webui_metrics", http.StatusOK, &metrics)
	if len(metrics.Metrics) != 1 || metrics.Metrics[0].Samples[0].Value != 3 || metrics.Metrics[0].Samples[0].Labels["method"] != "GetStatus" {
		t.Errorf("metrics = %+v", metrics)
	}
	var mounts MountTable
	getJSON(t, s, "/api/v1/master/webui_mounttable", http.StatusOK, &mounts)
	if mounts.Mounts == nil || mounts.AppliedIndex != 2 {
		t.Errorf("mount table = %+v", mounts)
	}
	var masters Masters
	getJSON(t, s, "/api/v1/master/webui_masters", http.StatusOK, &masters)
	if len(masters.Members) != 3 || masters.Members[0].Role != "PRIMARY" || !strings.Contains(masters.Note, "no quorum view") {
		t.Errorf("masters without a quorum view = %+v", masters)
	}
	f.mode = "zookeeper"
	var zk Masters
	getJSON(t, s, "/api/v1/master/webui_masters", http.StatusOK, &zk)
	if len(zk.Members) != 3 || zk.Members[1].Role != "STANDBY" || zk.Note != "" || zk.HAMode != "zookeeper" {
		t.Errorf("masters in ZooKeeper mode = %+v", zk)
	}
	var logs web.Logs
	getJSON(t, s, "/api/v1/master/webui_logs", http.StatusOK, &logs)
	if logs.Note == "" {
		t.Errorf("logs = %+v", logs)
	}
	var missing map[string]string
	getJSON(t, s, "/api/v1/master/webui_nothing", http.StatusNotFound, &missing)
	if !strings.Contains(missing["error"], "webui_nothing") {
		t.Errorf("unknown endpoint answered %v", missing)
	}
}

// TestBrowseShowsNamesAsText: a name is the user's text, never markup.
func TestBrowseShowsNamesAsText(t *testing.T) {
	f := newFakeMaster(t)
	f.touch("/<script>alert(1)")
	f.touch(`/<img src=x onerror="alert(2)">`)
	s := serve(t, f, Config{})
	_, _, body := get(t, s, "/browse?path=/")
	if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img") {
		t.Fatalf("a name is markup in the page:\n%s", body)
	}
	if !strings.Contains(body, "&lt;script&gt;alert(1)") || !strings.Contains(body, "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;") {
		t.Fatalf("the names are not shown as text:\n%s", body)
	}
	code, _, body := get(t, s, "/browse?path="+url.QueryEscape("/<script>alert(1)"))
	if code != http.StatusOK || strings.Contains(body, "<script>alert") || !strings.Contains(body, `<span id="path">/&lt;script&gt;alert(1)</span>`) {
		t.Fatalf("the file's page: %d\n%s", code, body)
	}
}

// TestBrowsePagesThroughALargeDirectory: following nextAfter lists every
// child once, in order, a page at a time.
func TestBrowsePagesThroughALargeDirectory(t *testing.T) {
	f := newFakeMaster(t)
	const children = 250
	for i := range children {
		f.touch(fmt.Sprintf("/big/f%04d", i))
	}
	s := serve(t, f, Config{})
	var seen []string
	after := ""
	for pages := 0; ; pages++ {
		if pages > children {
			t.Fatal("the listing does not end")
		}
		var b Browse
		getJSON(t, s, "/api/v1/master/webui_browse?path=/big&limit=100&after="+url.QueryEscape(after), http.StatusOK, &b)
		if len(b.Children) > 100 {
			t.Fatalf("a page of %d entries, limit 100", len(b.Children))
		}
		for _, c := range b.Children {
			seen = append(seen, c.Path)
		}
		if b.NextAfter == "" {
			break
		}
		after = b.NextAfter
	}
	if len(seen) != children {
		t.Fatalf("listed %d entries, want %d", len(seen), children)
	}
	for i, p := range seen {
		if want := fmt.Sprintf("/big/f%04d", i); p != want {
			t.Fatalf("entry %d is %s, want %s", i, p, want)
		}
	}
	_, _, body := get(t, s, "/browse?path=/big")
	if !strings.Contains(body, `href="/browse?path=%2fbig&after=%2fbig%2ff0099"`) {
		t.Fatalf("the page links to no next page after f0099:\n%s", body)
	}
}

// TestBrowseRefusesBadInputWithTheReason: the page and the JSON say what
// was wrong, with a 4xx, never a 500.
func TestBrowseRefusesBadInputWithTheReason(t *testing.T) {
	f := newFakeMaster(t)
	f.touch("/d/f")
	s := serve(t, f, Config{})
	for _, c := range []struct {
		query string
		code  int
		want  string
	}{
		{"path=/nothing", http.StatusNotFound, "/nothing"},
		{"path=relative", http.StatusBadRequest, "must be absolute"},
		{"path=/%ff%fe", http.StatusBadRequest, "not valid UTF-8"},
		{"path=/d&limit=abc", http.StatusBadRequest, "limit"},
		{"path=/d&limit=0", http.StatusBadRequest, "from 1 to 1000"},
		{"path=/d&limit=99999999999999999999", http.StatusBadRequest, "from 1 to 1000"},
		{"path=/d&after=/elsewhere/x", http.StatusBadRequest, "not an entry of the listing"},
		{"path=/" + strings.Repeat("a", 5000), http.StatusBadRequest, "longer than the limit"},
	} {
		var answer map[string]string
		getJSON(t, s, "/api/v1/master/webui_browse?"+c.query, c.code, &answer)
		if !strings.Contains(answer["error"], c.want) {
			t.Errorf("%s: error %q, want it to say %q", c.query, answer["error"], c.want)
		}
		code, ctype, body := get(t, s, "/browse?"+c.query)
		if code != c.code || !strings.HasPrefix(ctype, "text/html") || !strings.Contains(body, `id="error"`) {
			t.Errorf("page %s: %d %s, want an error page with %d:\n%s", c.query, code, ctype, c.code, body)
		}
	}
	// A position past the end is a valid, empty last page.
	var b Browse
	getJSON(t, s, "/api/v1/master/webui_browse?path=/d&after=/d/zzz", http.StatusOK, &b)
	if len(b.Children) != 0 || b.NextAfter != "" {
		t.Errorf("after the last entry: %+v", b)
	}
}

func TestFilePageShowsItsBlocksAndTheirWorkers(t *testing.T) {
	f := newFakeMaster(t)
	f.apply(&journalpb.Entry{Payload: &journalpb.Entry_CreateFile{CreateFile: &journalpb.CreateFileEntry{Path: "/f", Mode: 0o644, BlockSizeBytes: 100}}})
	f.apply(&journalpb.Entry{Payload: &journalpb.Entry_CompleteFile{CompleteFile: &journalpb.CompleteFileEntry{Path: "/f", Length: 150, BlockIds: []uint64{7001, 7002}}}})
	id, err := f.workers.IDFor(blockmaster.Address{Host: "w1", RPCPort: 29999})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.workers.Register(id, blockmaster.Registration{
		Tiers: []string{"MEM"}, Capacity: map[string]int64{"MEM": 1000}, Used: map[string]int64{"MEM": 100},
		Blocks: map[string][]int64{"MEM": {7001}},
	}); err != nil {
		t.Fatal(err)
	}
	s := serve(t, f, Config{})
	var b Browse
	getJSON(t, s, "/api/v1/master/webui_browse?path=/f", http.StatusOK, &b)
	if len(b.Blocks) != 2 || b.Blocks[0].ID != 7001 || b.Blocks[0].Length != 100 || b.Blocks[1].Length != 50 ||
		len(b.Blocks[0].Locations) != 1 || b.Blocks[0].Locations[0] != "w1 (MEM)" || len(b.Blocks[1].Locations) != 0 {
		t.Fatalf("blocks = %+v", b.Blocks)
	}
	_, _, body := get(t, s, "/browse?path=/f")
	if b.Entry.InAlluxioPercentage != 66 {
		t.Errorf("in Alluxio: %d%%, want 66%% (100 of 150 bytes on a live worker)", b.Entry.InAlluxioPercentage)
	}
	for _, want := range []string{"7001", "7002", "w1 (MEM)", "150 bytes", `<td id="in-alluxio">66%</td>`} {
		if !strings.Contains(body, want) {
			t.Errorf("the file's page lacks %q:\n%s", want, body)
		}
	}
}

func TestStandbyShowsABannerLinkingToTheLeader(t *testing.T) {
	f := newFakeMaster(t)
	f.touch("/f")
	s := serve(t, f, Config{})
	if _, _, body := get(t, s, "/"); strings.Contains(body, `id="banner"`) {
		t.Fatalf("the leader shows a banner:\n%s", body)
	}
	f.role, f.leader, f.commit = state.Standby, "m2:19998", 5
	for _, path := range []string{"/", "/browse", "/masters", "/nowhere"} {
		_, _, body := get(t, s, path)
		if !strings.Contains(body, "This master is a standby") || !strings.Contains(body, "as of applied index 1, 4 entries behind") ||
			!strings.Contains(body, `<a href="/leader" id="banner-link">Go to the leader (m2:19998)</a>`) {
			t.Errorf("%s on a standby has no banner with its lag and the leader's link:\n%s", path, body)
		}
	}
	code, _, _ := get(t, s, "/leader")
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(s.URL + "/leader")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if code != http.StatusFound || resp.Header.Get("Location") != "http://m1:19999/" {
		t.Fatalf("/leader: %d to %q, want a redirect to the leader's UI", code, resp.Header.Get("Location"))
	}
	f.leader = ""
	if _, _, body := get(t, s, "/"); !strings.Contains(body, "No leader is known") {
		t.Errorf("a standby without a leader says nothing of it:\n%s", body)
	}
}

// TestOperatorPagesFollowTheRPCPortsAuthentication: Browse,
// Configuration, Mount table and Logs need what the RPC port needs; the
// cluster summary stays open.
func TestOperatorPagesFollowTheRPCPortsAuthentication(t *testing.T) {
	f := newFakeMaster(t)
	s := serve(t, f, Config{Refusal: func(r *http.Request) string {
		if r.Header.Get("X-Test-Operator") == "yes" {
			return ""
		}
		return "present the secret"
	}})
	for _, path := range []string{"/browse", "/data", "/config", "/mounttable", "/logs", "/api/v1/master/webui_data",
		"/api/v1/master/webui_browse", "/api/v1/master/webui_config", "/api/v1/master/webui_mounttable", "/api/v1/master/webui_logs"} {
		code, _, body := get(t, s, path)
		if code != http.StatusUnauthorized || !strings.Contains(body, "present the secret") {
			t.Errorf("%s without authentication: %d\n%s", path, code, body)
		}
		req, _ := http.NewRequest(http.MethodGet, s.URL+path, nil)
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
	for _, path := range []string{"/", "/workers", "/masters", "/metrics/ui", "/api/v1/master/info", "/api/v1/master/webui_overview"} {
		if code, _, _ := get(t, s, path); code != http.StatusOK {
			t.Errorf("%s without authentication: %d, want 200", path, code)
		}
	}
}

func TestMastersPageShowsTheQuorum(t *testing.T) {
	f := newFakeMaster(t)
	f.quorum = &halopb.QuorumInfo{Term: 4, CommitIndex: 90, AppliedIndex: 90, Members: []*halopb.QuorumMember{
		{Address: "m1:19200", RpcAddress: "m1:19998", Leader: true, Voter: true, State: "AVAILABLE", AppliedIndex: 90},
		{Address: "m2:19200", RpcAddress: "m2:19998", Voter: true, State: "AVAILABLE", AppliedIndex: 85, Lag: 5, LastContactMs: 40},
		{Address: "m3:19200", RpcAddress: "m3:19998", Voter: true, State: "UNAVAILABLE"},
	}}
	s := serve(t, f, Config{})
	var m Masters
	getJSON(t, s, "/api/v1/master/webui_masters", http.StatusOK, &m)
	if m.Term != 4 || m.CommitIndex != 90 || len(m.Members) != 3 || m.Members[0].Role != "PRIMARY" || m.Members[1].Lag != 5 || m.Members[2].State != "UNAVAILABLE" || m.Note != "" {
		t.Fatalf("masters = %+v", m)
	}
	_, _, body := get(t, s, "/masters")
	if strings.Count(body, `<tr class="master">`) != 3 || strings.Count(body, `<td class="role">PRIMARY</td>`) != 1 || !strings.Contains(body, "UNAVAILABLE") {
		t.Fatalf("the page does not show three masters, one leading:\n%s", body)
	}
}

func TestLogsPageShowsTheTailOfTheLog(t *testing.T) {
	f := newFakeMaster(t)
	file := filepath.Join(t.TempDir(), "master.log")
	s := serve(t, f, Config{LogFile: file})
	var logs web.Logs
	getJSON(t, s, "/api/v1/master/webui_logs", http.StatusOK, &logs)
	if !strings.Contains(logs.Note, "no log file at "+file) {
		t.Fatalf("before the file exists: %+v", logs)
	}
	var text strings.Builder
	const lines = 5000
	for i := range lines {
		fmt.Fprintf(&text, "line %05d <b>\n", i)
	}
	if err := os.WriteFile(file, []byte(text.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	getJSON(t, s, "/api/v1/master/webui_logs", http.StatusOK, &logs)
	if !logs.Truncated || logs.Lines[len(logs.Lines)-1] != "line 04999 <b>" || !strings.HasPrefix(logs.Lines[0], "line ") || len(logs.Lines) >= lines {
		t.Fatalf("tail: truncated=%v, %d lines from %q to %q", logs.Truncated, len(logs.Lines), logs.Lines[0], logs.Lines[len(logs.Lines)-1])
	}
	_, _, body := get(t, s, "/logs")
	if !strings.Contains(body, "line 04999 &lt;b&gt;") {
		t.Fatalf("the page does not show the last line as text")
	}
}

// The Masters page lists the leader changes the master saw, newest
// first, with how long it knew no leader; in ZooKeeper mode also its
// epoch and connection.
func TestMastersPageShowsTheFailoverHistory(t *testing.T) {
	f := newFakeMaster(t)
	started := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	f.election = &ha.Election{Since: started, Dropped: 2, Changes: []ha.LeaderChange{
		{At: started.Add(time.Second), Term: 2, To: "m1:19998"},
		{At: started.Add(time.Minute), Term: 3, From: "m1:19998", To: "m2:<19998>", NoLeaderFor: 1500 * time.Millisecond},
	}}
	s := serve(t, f, Config{})
	var m Masters
	getJSON(t, s, "/api/v1/master/webui_masters", http.StatusOK, &m)
	want := []Failover{
		{AtMs: started.Add(time.Minute).UnixMilli(), Term: 3, From: "m1:19998", To: "m2:<19998>", NoLeaderMs: 1500},
		{AtMs: started.Add(time.Second).UnixMilli(), Term: 2, To: "m1:19998"},
	}
	if !slices.Equal(m.Failovers, want) || m.HistorySinceMs != started.UnixMilli() || m.FailoversLeftOut != 2 {
		t.Fatalf("history = %+v since %d (%d left out), want %+v", m.Failovers, m.HistorySinceMs, m.FailoversLeftOut, want)
	}
	_, _, body := get(t, s, "/masters")
	for _, want := range []string{"Failover history", "since it started (2026-12-04 10:00:00 UTC)", `<tr class="failover"><td>2026-12-04 10:01:00 UTC</td><td class="num">3</td><td>m1:19998</td><td>m2:&lt;19998&gt;</td>`, "(none since start)", "2s", "2 older changes left out"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q:\n%s", want, body)
		}
	}

	f.mode = "zookeeper"
	f.election.Epoch, f.election.Connection = 77, "StateHasSession"
	f.election.JournalLocation, f.election.JournalBatch, f.election.JournalWriting = "s3://j/<journal>", 4242, true
	getJSON(t, s, "/api/v1/master/webui_masters", http.StatusOK, &m)
	wantJournal := JournalPosition{Location: "s3://j/<journal>", Batch: 4242, Writing: true}
	if m.ElectionEpoch != 77 || m.ZooKeeperConnection != "StateHasSession" || m.Journal == nil || *m.Journal != wantJournal {
		t.Errorf("ZooKeeper mode: %+v (journal %+v)", m, m.Journal)
	}
	_, _, body = get(t, s, "/masters")
	for _, want := range []string{`<td id="epoch">77</td>`, `<td id="zk-connection">StateHasSession</td>`, "<th>Epoch</th>",
		`<td id="journal-location">s3://j/&lt;journal&gt;</td>`, `<th>Newest batch written</th><td id="journal-batch">4242</td>`} {
		if !strings.Contains(body, want) {
			t.Errorf("the ZooKeeper page lacks %q:\n%s", want, body)
		}
	}
	f.election.JournalWriting = false
	_, _, body = get(t, s, "/masters")
	if !strings.Contains(body, `<th>Newest batch read</th><td id="journal-batch">4242</td>`) {
		t.Errorf("a standby's page does not say the batch is the one it read:\n%s", body)
	}

	f.election = nil
	_, _, body = get(t, s, "/masters")
	if strings.Contains(body, "Failover history") {
		t.Errorf("a mode without elections shows a failover history")
	}
}

// In-Alluxio data lists, in path order and a page at a time, the files
// live workers hold some of: not directories, empty files or files none
// of whose blocks a worker holds.
func TestInAlluxioDataListsTheCachedFiles(t *testing.T) {
	f := newFakeMaster(t)
	var held []int64
	for i := range 12 {
		path := fmt.Sprintf("/d%d/<f%02d>", i%3, i)
		block := uint64(9000 + i)
		f.apply(&journalpb.Entry{Payload: &journalpb.Entry_CreateFile{CreateFile: &journalpb.CreateFileEntry{Path: path, Mode: 0o644, BlockSizeBytes: 100, Recursive: true}}})
		f.apply(&journalpb.Entry{Payload: &journalpb.Entry_CompleteFile{CompleteFile: &journalpb.CompleteFileEntry{Path: path, Length: 100, BlockIds: []uint64{block}}}})
		if i%2 == 0 {
			held = append(held, int64(block))
		}
	}
	f.touch("/d0/empty")
	id, err := f.workers.IDFor(blockmaster.Address{Host: "w1", RPCPort: 29999})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.workers.Register(id, blockmaster.Registration{
		Tiers: []string{"MEM"}, Capacity: map[string]int64{"MEM": 1 << 20}, Blocks: map[string][]int64{"MEM": held},
	}); err != nil {
		t.Fatal(err)
	}
	s := serve(t, f, Config{})
	var got []string
	after := ""
	for range 10 {
		var d Data
		getJSON(t, s, "/api/v1/master/webui_data?limit=2&after="+url.QueryEscape(after), http.StatusOK, &d)
		for _, e := range d.Files {
			if e.InAlluxioPercentage != 100 {
				t.Errorf("%s: %d%% in Alluxio", e.Path, e.InAlluxioPercentage)
			}
			got = append(got, e.Path)
		}
		if d.NextAfter == "" {
			break
		}
		after = d.NextAfter
	}
	want := []string{"/d0/<f00>", "/d0/<f06>", "/d1/<f04>", "/d1/<f10>", "/d2/<f02>", "/d2/<f08>"}
	if !slices.Equal(got, want) {
		t.Fatalf("in Alluxio: %v, want %v", got, want)
	}
	code, _, body := get(t, s, "/data?limit=2")
	if code != http.StatusOK || !strings.Contains(body, "&lt;f00&gt;") || !strings.Contains(body, `id="next"`) {
		t.Errorf("the page (%d) lacks the first file or the next page:\n%s", code, body)
	}
	var past Data
	getJSON(t, s, "/api/v1/master/webui_data?after=/zzz", http.StatusOK, &past)
	if len(past.Files) != 0 || past.NextAfter != "" {
		t.Errorf("after the last entry: %+v", past)
	}
	for _, q := range []string{"limit=0", "after=relative", "after=/%ff"} {
		var bad map[string]string
		getJSON(t, s, "/api/v1/master/webui_data?"+q, http.StatusBadRequest, &bad)
		if bad["error"] == "" {
			t.Errorf("%s: no reason given", q)
		}
	}
}
