package masters

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// webMaster is a Master whose web port is an HTTP server answering body.
func webMaster(t *testing.T, body string) *Master {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/checkpoint/digest" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	host, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	return &Master{Name: "m1", Host: host, WebPort: p, Props: map[string]string{}}
}

func TestDigestReadsTheMastersAnswer(t *testing.T) {
	m := webMaster(t, `{"applied_index":7,"inode_count":3,"bytes":120,"sha256":"ab12"}`)
	d, err := m.Digest(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := (Digest{AppliedIndex: 7, InodeCount: 3, Bytes: 120, SHA256: "ab12"}); d != want {
		t.Errorf("Digest = %+v, want %+v", d, want)
	}
}

// A field the master renamed must not read as a zero every replica agrees
// on.
func TestDigestRefusesAFieldItDoesNotKnow(t *testing.T) {
	m := webMaster(t, `{"applied_index":7,"inode_count":3,"bytes":120,"sha256_hex":"ab12"}`)
	if _, err := m.Digest(context.Background()); err == nil || !strings.Contains(err.Error(), "sha256_hex") {
		t.Errorf("Digest of an answer with an unknown field: %v; want an error naming it", err)
	}
}
