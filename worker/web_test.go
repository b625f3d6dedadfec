package worker_test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/halo-fs/halo/internal/poll"
	"github.com/halo-fs/halo/internal/ports"
	"github.com/halo-fs/halo/web/workerui"
)

// The worker's web port serves its UI beside /health and /metrics: the
// Overview names the worker, its tier and the master it tries to reach,
// and the Logs page shows its log file.
func TestWebPortServesTheWorkerUI(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, "127.0.0.1", dir)
	noMaster, err := ports.Free("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Masters = []string{net.JoinHostPort("127.0.0.1", strconv.Itoa(noMaster))}
	cfg.LogFile = filepath.Join(dir, "worker.log")
	if err := os.WriteFile(cfg.LogFile, []byte("worker serving <here>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	w := openWorker(t, cfg)
	base := "http://" + w.WebAddr().String()

	var o workerui.Overview
	poll.Until(t, 30*time.Second, "the overview shows the unreachable master with its error", func() bool {
		o = workerui.Overview{}
		return getJSON(base+"/api/v1/worker/webui_overview", &o) == nil && len(o.Masters) == 1 && o.Masters[0].LastError != ""
	})
	if o.ID != w.ID() || len(o.Tiers) != 1 || o.Tiers[0].Alias != "MEM" || o.Tiers[0].CapacityBytes != 64<<20 || o.Masters[0].Registered {
		t.Fatalf("overview: %+v", o)
	}
	for path, want := range map[string]string{
		"/":                 "Halo worker",
		"/logs":             "worker serving &lt;here&gt;",
		"/health":           `"status":"ok"`,
		"/metrics":          "halo_worker_blocks_written_total",
		"/metrics/ui":       "halo_worker_bytes_read_total",
		"/blocks":           "(no blocks)",
		"/static/style.css": "banner",
	} {
		code, body := getText(t, base+path)
		if code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("GET %s: %d, lacks %q", path, code, want)
		}
	}
}

func getJSON(url string, into any) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(into)
}

func getText(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
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
