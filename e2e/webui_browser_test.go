package e2e

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/internal/testinfra/masters"
	"github.com/halo-fs/halo/internal/testinfra/workers"
)

// TestWebUIInABrowserAcrossAFailover is the guide's check, done by a real
// browser: open the leader's Overview, browse to a file written through
// the RPC port, kill -9 the leader, and find the file in the new
// leader's Browse, where the Masters page shows the old leader
// unavailable and the failover from it; a standby's pages carry the
// banner whose link leads to the leader. Two workers show on the
// Overview and the Workers page, whose link opens a worker's own UI. The masters run SECRET, as `make demo` does, so the browser
// first opens the login link `halo fsadmin webLogin` prints for each
// master. Screenshots of the pages are the test's artefacts (go test
// -artifacts).
func TestWebUIInABrowserAcrossAFailover(t *testing.T) {
	b := newBrowser(t)
	c := masters.NewRaft(t, 3, nil)
	c.StartAll()
	leader := c.Leader(30 * time.Second)
	for _, m := range c.Masters {
		b.open(t, loginLink(t, m), "#role")
	}
	if page := b.open(t, leader.WebURL("/browse?path=/"), "main"); strings.Contains(page, `id="error"`) {
		t.Fatalf("Browse after the login link is refused:\n%s", page)
	}

	cl := newClient(t, c.RPCAddresses(), 30*time.Second)
	ctx := context.Background()
	if _, err := cl.CreateFile(ctx, "/web/<hello>.txt", client.CreateFileOptions{Recursive: true, Completed: true}); err != nil {
		t.Fatal(err)
	}

	// A MEM tier of 64 MB each, so the pages must show 128 MB in all.
	ws := startWorkers(t, c, 2, func(w *workers.Worker) { w.Props["alluxio.worker.tieredstore.level0.dirs.quota"] = "64MB" })

	overview := b.open(t, leader.WebURL("/"), "#role")
	b.wants(t, "the leader's Overview", overview, `id="role">PRIMARY<`, `id="leader">`+leader.RPCAddress()+`<`, `id="files">1<`,
		`id="live-workers">2<`, `<td>MEM</td><td class="num">128.00MB</td>`)
	b.screenshot(t, "overview")

	workerList := b.open(t, leader.WebURL("/workers"), ".workers")
	for _, w := range ws {
		b.wants(t, "the Workers page", workerList, `<a href="http://`+net.JoinHostPort(w.Host, strconv.Itoa(w.WebPort))+`/">`+w.RPCAddress()+`</a>`)
	}
	b.screenshot(t, "workers")
	workerPage := b.click(t, ".workers a", "#worker-id")
	b.wants(t, "the worker's Overview, opened from the master's Workers page", workerPage, "Halo worker", `<td class="registered">true</td>`, "64.00MB")
	b.screenshot(t, "worker")
	// The worker's log follows the RPC port's authentication: refused
	// unsigned, shown to the browser logged in to the master on its host.
	workerLogs := "http://" + net.JoinHostPort(ws[0].Host, strconv.Itoa(ws[0].WebPort)) + "/api/v1/worker/webui_logs"
	if resp, err := http.Get(workerLogs); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("an unsigned request for the worker's log: %v, %v; want 401", resp, err)
	} else {
		resp.Body.Close()
	}
	b.click(t, `nav a[href="/logs"]`, "#log, #log-note")

	b.open(t, leader.WebURL("/browse?path=/web"), "#listing")
	b.screenshot(t, "browse")
	file := b.click(t, "#listing a", "#file")
	b.wants(t, "the file's page", file, `<span id="path">/web/&lt;hello&gt;.txt</span>`, `id="blocks"`)

	masterList := b.open(t, leader.WebURL("/masters"), "#masters")
	if n := strings.Count(masterList, `<tr class="master">`); n != 3 || strings.Count(masterList, `<td class="role">PRIMARY</td>`) != 1 {
		t.Errorf("the Masters page shows %d masters and not one leader:\n%s", n, masterList)
	}
	b.screenshot(t, "masters")

	standby := c.Others(leader)[0]
	banner := b.open(t, standby.WebURL("/"), "#banner")
	b.wants(t, "a standby's Overview", banner, "This master is a standby", `id="role">STANDBY<`)
	b.screenshot(t, "standby")
	followed := b.click(t, "#banner-link", "#role")
	b.wants(t, "the page the standby's banner links to", followed, `id="role">PRIMARY<`)

	leader.Kill()
	newLeader := c.Leader(30 * time.Second)
	if newLeader == leader {
		t.Fatal("the killed master is still reported as leader")
	}
	after := b.open(t, newLeader.WebURL("/browse?path=/web"), "#listing")
	b.wants(t, "the new leader's Browse", after, "&lt;hello&gt;.txt")
	b.screenshot(t, "browse-after-failover")
	quorum := b.open(t, newLeader.WebURL("/masters"), "#failovers")
	b.wants(t, "the new leader's Masters page", quorum, leader.RPCAddress()+"</td>", "UNAVAILABLE",
		"<td>"+leader.RPCAddress()+"</td><td>"+newLeader.RPCAddress()+"</td>")
	b.screenshot(t, "masters-after-failover")
}

// loginLink is the link `halo fsadmin webLogin` prints for m.
func loginLink(t *testing.T, m *masters.Master) string {
	t.Helper()
	out, err := m.Halo("fsadmin", "webLogin")
	if err != nil {
		t.Fatalf("halo fsadmin webLogin: %v\n%s", err, out)
	}
	for _, line := range strings.Fields(out) {
		if strings.HasPrefix(line, "http://"+m.WebAddress()+"/login?token=") {
			return line
		}
	}
	t.Fatalf("halo fsadmin webLogin printed no link for %s:\n%s", m.WebAddress(), out)
	return ""
}

// browser is a headless Chromium driven through its DevTools protocol.
type browser struct {
	ctx       context.Context
	artefacts string
}

// newBrowser starts Debian's chromium; the test fails when it is missing
// (make test-deps installs it).
func newBrowser(t *testing.T) *browser {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("headless Chromium is needed: install Debian's chromium package (make test-deps does): %v", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(1280, 900),
		chromedp.UserDataDir(t.TempDir()))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return &browser{ctx: ctx, artefacts: t.ArtifactDir()}
}

// pageWait bounds loading one page: the masters answer from memory.
const pageWait = 30 * time.Second

// open loads url, waits until selector is visible and returns the page.
func (b *browser) open(t *testing.T, url, selector string) string {
	t.Helper()
	return b.run(t, "open "+url, chromedp.Navigate(url), chromedp.WaitVisible(selector))
}

// click follows the first link matching link and waits for selector.
func (b *browser) click(t *testing.T, link, selector string) string {
	t.Helper()
	return b.run(t, "click "+link, chromedp.Click(link), chromedp.WaitVisible(selector))
}

// run takes the steps and returns the page they end on.
func (b *browser) run(t *testing.T, what string, steps ...chromedp.Action[chromedp.Void]) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, pageWait)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	html, err := chromedp.Run(ctx, chromedp.Evaluate[string]("document.documentElement.outerHTML"))
	if err != nil {
		t.Fatalf("%s: read the page: %v", what, err)
	}
	return html
}

func (b *browser) wants(t *testing.T, what, html string, fragments ...string) {
	t.Helper()
	for _, f := range fragments {
		if !strings.Contains(html, f) {
			t.Errorf("%s lacks %q:\n%s", what, f, html)
		}
	}
}

func (b *browser) screenshot(t *testing.T, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, pageWait)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(b.artefacts, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestWebUIOperatorPagesNeedTheSecret: under SECRET, Browse and its JSON
// answer only requests signed with the shared secret, as
// /checkpoint/digest does, while the Overview stays open.
func TestWebUIOperatorPagesNeedTheSecret(t *testing.T) {
	c := masters.NewRaftInProcess(t, 1, nil)
	c.StartAll()
	m := c.Leader(30 * time.Second)
	signed, err := m.WebClient()
	if err != nil {
		t.Fatal(err)
	}
	unsigned := &http.Client{Timeout: 10 * time.Second}
	for _, c := range []struct {
		path   string
		client *http.Client
		code   int
	}{
		{"/", unsigned, http.StatusOK},
		{"/api/v1/master/webui_overview", unsigned, http.StatusOK},
		{"/browse?path=/", unsigned, http.StatusUnauthorized},
		{"/api/v1/master/webui_browse?path=/", unsigned, http.StatusUnauthorized},
		{"/api/v1/master/webui_config", unsigned, http.StatusUnauthorized},
		{"/browse?path=/", signed, http.StatusOK},
		{"/api/v1/master/webui_config", signed, http.StatusOK},
	} {
		resp, err := c.client.Get(m.WebURL(c.path))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.code {
			t.Errorf("%s (signed %v): %d, want %d: %s", c.path, c.client == signed, resp.StatusCode, c.code, body)
		}
		if c.code == http.StatusUnauthorized && !strings.Contains(string(body), "alluxio.security.authentication.type=SECRET") {
			t.Errorf("%s refused without naming the setting: %s", c.path, body)
		}
	}
}
