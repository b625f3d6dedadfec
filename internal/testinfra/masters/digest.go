package masters

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// Digest is what a master's /checkpoint/digest answers: its applied index
// and a hash of the checkpoint its namespace would make. Replicas that
// applied the same entries answer the same.
type Digest struct {
	AppliedIndex uint64 `json:"applied_index"`
	InodeCount   uint64 `json:"inode_count"`
	Bytes        int64  `json:"bytes"`
	SHA256       string `json:"sha256"`
}

// Digest asks the master for its checkpoint digest, with the credentials
// its authentication type needs. An answer with a field this type does not
// know is an error, so that a renamed field cannot read as a zero that
// every replica agrees on.
func (m *Master) Digest(ctx context.Context) (Digest, error) {
	var d Digest
	web, err := m.WebClient()
	if err != nil {
		return d, err
	}
	url := m.WebURL("/checkpoint/digest")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return d, err
	}
	resp, err := web.Do(req)
	if err != nil {
		return d, fmt.Errorf("%s: %w", m.Name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return d, fmt.Errorf("%s: %s: %s", m.Name, url, resp.Status)
	}
	dec := json.NewDecoder(resp.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return d, fmt.Errorf("%s: %s: %w", m.Name, url, err)
	}
	return d, nil
}
