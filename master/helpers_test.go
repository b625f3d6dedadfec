package master

import (
	"testing"
	"time"

	"github.com/halo-fs/halo/ha/hatest"
	"github.com/halo-fs/halo/internal/poll"
)

// The entries, checks and logs the tests of every mode share live in
// ha/hatest; these names keep this package's tests short.
var (
	testSuperuser   = hatest.Superuser
	touchEntry      = hatest.TouchEntry
	checkpointBytes = hatest.CheckpointBytes
	wantCode        = hatest.WantCode
	formatJournal   = hatest.FormatJournal
	testLogger      = hatest.Logger
)

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	poll.Until(t, timeout, what, cond)
}
