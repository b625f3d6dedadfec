package cli

import (
	"bytes"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/halo-fs/halo/internal/sharedsecret"
)

func TestLoginLinksOpenEachMastersWebUI(t *testing.T) {
	secret := []byte("0123456789abcdef0123")
	now := time.UnixMilli(1_700_000_000_000)
	var out bytes.Buffer
	if err := writeLoginLinks(&out, []string{"m1:19998", "10.0.0.2:19998"}, 19999, secret, now); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "http://m1:19999/login?token=") || !strings.HasPrefix(lines[1], "http://10.0.0.2:19999/login?token=") {
		t.Fatalf("links:\n%s", out.String())
	}
	link, err := url.Parse(lines[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := sharedsecret.VerifyLoginToken(link.Query().Get("token"), secret, now); err != nil {
		t.Fatalf("the master would refuse the link: %v", err)
	}
	if err := writeLoginLinks(&out, []string{"no-port"}, 19999, secret, now); err == nil {
		t.Fatal("a master address without a port made a link")
	}
}
