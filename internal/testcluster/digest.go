package testcluster

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"

	"github.com/halo-fs/halo/server"
)

// Digest asks the web port at webAddress for the master's checkpoint
// digest: its applied index and a hash of the checkpoint its namespace
// would make.
func Digest(ctx context.Context, webAddress string) (server.CheckpointDigest, error) {
	var d server.CheckpointDigest
	url := "http://" + webAddress + "/checkpoint/digest"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return d, err
	}
	resp, err := http.DefaultClient.Do(req)
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

// Digest is the master's checkpoint digest (see the package function).
func (m *Master) Digest(ctx context.Context) (server.CheckpointDigest, error) {
	return Digest(ctx, net.JoinHostPort(m.Host, strconv.Itoa(m.WebPort)))
}
