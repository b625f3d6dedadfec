package testcluster

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/halo-fs/halo/server"
)

// Digest asks the web port at webAddress, over plain HTTP with no
// credentials (a master at SIMPLE, as the failover tests run them), for
// the master's checkpoint digest: its applied index and a hash of the
// checkpoint its namespace would make.
func Digest(ctx context.Context, webAddress string) (server.CheckpointDigest, error) {
	return digest(ctx, http.DefaultClient, "http://"+webAddress+"/checkpoint/digest")
}

// Digest is the master's checkpoint digest (see the package function),
// asked with the credentials its authentication type needs.
func (m *Master) Digest(ctx context.Context) (server.CheckpointDigest, error) {
	web, err := m.WebClient()
	if err != nil {
		return server.CheckpointDigest{}, err
	}
	return digest(ctx, web, m.WebURL("/checkpoint/digest"))
}

func digest(ctx context.Context, web *http.Client, url string) (server.CheckpointDigest, error) {
	var d server.CheckpointDigest
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return d, err
	}
	resp, err := web.Do(req)
	if err != nil {
		return d, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return d, fmt.Errorf("%s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil {
		return d, fmt.Errorf("%s: %w", url, err)
	}
	return d, nil
}
