package checker

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/halo-fs/halo/internal/testinfra/masters"
)

// Member is one master's view after healing.
type Member struct {
	Name         string `json:"name"`
	State        string `json:"state"`
	AppliedIndex uint64 `json:"applied_index"`
	InodeCount   uint64 `json:"inode_count"`
	// Digest is the SHA-256 of the checkpoint the master's namespace
	// would make at AppliedIndex.
	Digest string `json:"sha256"`
	Error  string `json:"error,omitempty"`
}

// Convergence is the convergence check's verdict.
type Convergence struct {
	Converged bool          `json:"converged"`
	Took      time.Duration `json:"took_ns"`
	Members   []Member      `json:"members"`
}

func (c Convergence) String() string {
	var parts []string
	for _, m := range c.Members {
		if m.Error != "" {
			parts = append(parts, fmt.Sprintf("%s: %s", m.Name, m.Error))
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %s applied=%d inodes=%d sha256=%.12s", m.Name, m.State, m.AppliedIndex, m.InodeCount, m.Digest))
	}
	return strings.Join(parts, "; ")
}

// CheckConvergence polls every master until all answer with the same
// applied index and the same checkpoint digest (the hash of the bytes a
// checkpoint of their namespace holds: replicas that applied the same
// entries write identical ones), or timeout passes. Call it after healing
// and after the traffic stopped.
func CheckConvergence(ctx context.Context, ms []*masters.Master, timeout time.Duration) Convergence {
	start := time.Now()
	deadline := start.Add(timeout)
	for {
		members := make([]Member, len(ms))
		same := true
		for i, m := range ms {
			mctx, cancel := context.WithTimeout(ctx, time.Second)
			info, err := m.Info(mctx)
			var digest masters.Digest
			if err == nil {
				digest, err = m.Digest(mctx)
			}
			cancel()
			members[i] = Member{Name: m.Name}
			if err != nil {
				members[i].Error = err.Error()
				same = false
				continue
			}
			members[i].State = info.State
			members[i].AppliedIndex, members[i].InodeCount, members[i].Digest = digest.AppliedIndex, digest.InodeCount, digest.SHA256
			if i > 0 && (members[i].AppliedIndex != members[0].AppliedIndex || members[i].Digest != members[0].Digest) {
				same = false
			}
		}
		if same && members[0].Error == "" {
			return Convergence{Converged: true, Took: time.Since(start), Members: members}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return Convergence{Converged: false, Took: time.Since(start), Members: members}
		}
		time.Sleep(200 * time.Millisecond)
	}
}
