package local

import (
	"context"
	"testing"
	"time"

	"github.com/halo-fs/halo/ha"
	"github.com/halo-fs/halo/ha/hatest"
	"github.com/halo-fs/halo/internal/poll"
	"github.com/halo-fs/halo/proto/journalpb"
)

func TestLocalReplicatorContract(t *testing.T) {
	hatest.Run(t, func(t *testing.T) *hatest.Cluster {
		lm, _ := openLocal(t, hatest.FormatJournal(t), Options{})
		return &hatest.Cluster{
			Members: []ha.Replicator{lm.r},
			Exists:  func(_ int, path string) bool { return hatest.Exists(lm.f, path) },
			// A single master has no leadership to lose: the caller that
			// stops waiting once its entry is durable, but before it is
			// applied, cannot know whether it was.
			LoseMidCommit: func(_ int, e *journalpb.Entry) error {
				before := lm.j.LastIndex()
				release := hatest.BlockApplies(t, lm.f)
				defer release()
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				errs := make(chan error, 1)
				go func() {
					_, err := lm.r.Propose(ctx, e)
					errs <- err
				}()
				poll.Until(t, 30*time.Second, "the entry to be journaled", func() bool { return lm.j.LastIndex() > before })
				cancel()
				return <-errs
			},
		}
	})
}
