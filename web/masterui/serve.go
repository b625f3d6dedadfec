package masterui

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/halo-fs/halo/ha/state"
	"github.com/halo-fs/halo/web"
)

// banner is a standby's notice: its role, what its pages describe, and a
// link to the leader; nil on the leader.
func (u *UI) banner() *web.Banner {
	info := u.cfg.Master.Info()
	if state.Of(info) == state.Primary {
		return nil
	}
	text := fmt.Sprintf("This master is a standby: its pages show its own replica, as of applied index %d", info.AppliedIndex)
	if commit, known := u.cfg.Master.CommitIndex(); known && commit >= info.AppliedIndex {
		text += fmt.Sprintf(", %d entries behind the commit index it last heard of (%d)", commit-info.AppliedIndex, commit)
	}
	text += "."
	if info.LeaderAddress == "" {
		return &web.Banner{Text: text + " No leader is known right now."}
	}
	return &web.Banner{Text: text, Link: pathLeader, LinkText: "Go to the leader (" + info.LeaderAddress + ")"}
}

// toLeader sends the browser to the leader's UI, which only the leader
// itself can name (its web port may differ from this master's).
func (u *UI) toLeader(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	url, err := u.cfg.Master.LeaderWebURL(ctx)
	if err != nil {
		u.site.Error(w, http.StatusServiceUnavailable, "cannot reach the leader's web UI: "+err.Error())
		return
	}
	http.Redirect(w, r, url, http.StatusFound)
}
