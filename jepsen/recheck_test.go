package jepsen

import (
	"os"
	"testing"
	"time"

	"github.com/halo-fs/halo/jepsen/checker"
	"github.com/halo-fs/halo/jepsen/model"
	"github.com/halo-fs/halo/jepsen/reporting"
)

// TestRecheck checks a kept history again: HALO_JEPSEN_RECHECK=path to a
// report's history.json. It prints the operation that first makes the
// history illegal and the operations of its group around it.
func TestRecheck(t *testing.T) {
	path := os.Getenv("HALO_JEPSEN_RECHECK")
	if path == "" {
		t.Skip("set HALO_JEPSEN_RECHECK to a history.json to check it again")
	}
	ops, err := reporting.ReadHistory(path)
	if err != nil {
		t.Fatal(err)
	}
	l := checker.CheckLinearizability(ops, 5*time.Minute)
	t.Logf("%s in %s over %d ops (%d pending)", l.Result, l.Took, l.Ops, l.Pending)
	culprit, ok := checker.FirstIllegal(ops, 5*time.Minute)
	if !ok {
		return
	}
	t.Logf("first illegal at %.3fs: %s (client %d, %s)", float64(culprit.Return)/1e9, model.Describe(culprit.Input, culprit.Output), culprit.Client, culprit.Master)
	for _, op := range ops {
		if op.Input.Group == culprit.Input.Group && op.Return >= culprit.Call-2e9 && op.Call <= culprit.Return {
			t.Logf("  [%.3f, %.3f] c%d %s %s", float64(op.Call)/1e9, float64(op.Return)/1e9, op.Client, model.Describe(op.Input, op.Output), op.Output.Error)
		}
	}
}
