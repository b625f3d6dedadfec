package master

import (
	"context"
	"time"

	"github.com/halo-fs/halo/proto/journalpb"
)

// retryCachePoll is how often a master checks whether it leads with other
// exactly-once table limits than the replicated ones. Leadership changes
// rarely; the check reads two values in memory.
const retryCachePoll = 500 * time.Millisecond

// KeepRetryCacheSettings makes the exactly-once table's limits those of
// this master's configuration (Config.RetryCache) whenever it leads: the
// limits are replicated state, so a master proposes its own when it starts
// to lead and they differ, and every replica then forgets the same ids. It
// runs until ctx ends and does nothing without Config.RetryCache.
func (m *Master) KeepRetryCacheSettings(ctx context.Context) {
	want := m.cfg.RetryCache
	if want == nil {
		return
	}
	if err := want.Validate(); err != nil {
		m.log.Error("retry cache limits not applied", "error", err)
		return
	}
	ticker := time.NewTicker(retryCachePoll)
	defer ticker.Stop()
	for {
		if m.replicator.Status().Leader && m.fsm.OperationTableSettings() != *want {
			m.proposeRetryCacheSettings(ctx)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

func (m *Master) proposeRetryCacheSettings(ctx context.Context) {
	want := m.cfg.RetryCache
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	res, err := m.replicator.Propose(ctx, &journalpb.Entry{
		TimeMs:  time.Now().UnixMilli(),
		Payload: &journalpb.Entry_OperationTableConfig{OperationTableConfig: want.ConfigEntry()},
	})
	if err == nil {
		err = res.Error()
	}
	if err != nil {
		m.log.Warn("could not set the retry cache limits yet", "error", err)
		return
	}
	m.log.Info("retry cache limits set", "enabled", want.Enabled, "max_records", want.MaxRecords, "retention", want.Retention)
}
