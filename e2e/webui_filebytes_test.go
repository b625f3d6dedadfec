package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/halo-fs/halo/internal/testinfra/masters"
	"github.com/halo-fs/halo/web/masterui"
)

// TestWebUIFilePageShowsTheFilesBytes: the leader's file page reads a
// file written with copyFromLocal through the worker holding it, as a
// client authenticated as the master itself (the masters run SECRET),
// and shows its first and last bytes.
func TestWebUIFilePageShowsTheFilesBytes(t *testing.T) {
	c := masters.NewRaft(t, 1, nil)
	c.StartAll()
	leader := c.Leader(30 * time.Second)
	startWorkers(t, c, 1, nil)
	content := "the first line\n" + strings.Repeat("0123456789abcdef\n", 600) + "the last line\n"
	src := filepath.Join(t.TempDir(), "f.txt")
	if err := os.WriteFile(src, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := leader.Halo("-D", "alluxio.user.file.writetype.default=MUST_CACHE", "fs", "copyFromLocal", src, "/peek/f.txt"); err != nil {
		t.Fatalf("copyFromLocal: %v\n%s", err, out)
	}
	b := browseFile(t, leader, "/peek/f.txt")
	if b.Head == nil || b.Head.Error != "" || !strings.HasPrefix(content, b.Head.Text) || len(b.Head.Text) != 4096 {
		t.Errorf("head = %+v, want the file's first 4096 bytes", b.Head)
	}
	if b.Tail == nil || b.Tail.Error != "" || !strings.HasSuffix(content, b.Tail.Text) || len(b.Tail.Text) != 4096 {
		t.Errorf("tail = %+v, want the file's last 4096 bytes", b.Tail)
	}

	// A look reads with NO_CACHE: a file only in the UFS stays there.
	if out, err := leader.Halo("-D", "alluxio.user.file.writetype.default=THROUGH", "fs", "copyFromLocal", src, "/peek/through.txt"); err != nil {
		t.Fatalf("copyFromLocal THROUGH: %v\n%s", err, out)
	}
	through := browseFile(t, leader, "/peek/through.txt")
	if through.Head == nil || through.Head.Error != "" || !strings.HasPrefix(content, through.Head.Text) {
		t.Errorf("head of the UFS-only file = %+v", through.Head)
	}
	if again := browseFile(t, leader, "/peek/through.txt"); again.Entry.InAlluxioPercentage != 0 {
		t.Errorf("looking at a file only in the UFS cached %d%% of it", again.Entry.InAlluxioPercentage)
	}
}

// browseFile is the leader's webui_browse of path, asked with the
// shared secret's signature.
func browseFile(t *testing.T, leader *masters.Master, path string) masterui.Browse {
	t.Helper()
	web, err := leader.WebClient()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := web.Get(leader.WebURL("/api/v1/master/webui_browse?path=" + path))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b masterui.Browse
	if err := json.NewDecoder(resp.Body).Decode(&b); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("webui_browse %s: %d, %v", path, resp.StatusCode, err)
	}
	return b
}
