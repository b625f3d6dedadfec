package server

import (
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/halo-fs/halo/ha/hatest"
	"github.com/halo-fs/halo/internal/poll"
	"github.com/halo-fs/halo/internal/ports"
)

// The entries, checks and logs the tests of every mode share live in
// ha/hatest; these names keep this package's tests short.
var (
	testSuperuser   = hatest.Superuser
	mkdirEntry      = hatest.MkdirEntry
	touchEntry      = hatest.TouchEntry
	renameEntry     = hatest.RenameEntry
	deleteEntry     = hatest.DeleteEntry
	someMutations   = hatest.SomeMutations
	checkpointBytes = hatest.CheckpointBytes
	wantCode        = hatest.WantCode
	formatJournal   = hatest.FormatJournal
	blockApplies    = hatest.BlockApplies
	testLogger      = hatest.Logger
	existsIn        = hatest.Exists
)

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	poll.Until(t, timeout, what, cond)
}

// freeAddrs returns n distinct free loopback addresses (see
// internal/ports: no other test process hands them out).
func freeAddrs(t testing.TB, n int) []string {
	t.Helper()
	var out []string
	for i := 0; i < n; i++ {
		p, err := ports.Free("127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
	}
	return out
}
