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

// HaloAPI is halorpc.Extension, which the masters these tests start serve.
// This package's own tests cannot import master/halorpc, which imports
// master; the external test package can, and sets it (halorpc_test.go).
var HaloAPI func(*Master) Extension

// AlluxioAPI is alluxiorpc.Extension, the protocol package client speaks;
// set like HaloAPI.
var AlluxioAPI func(*Master) Extension

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	poll.Until(t, timeout, what, cond)
}
