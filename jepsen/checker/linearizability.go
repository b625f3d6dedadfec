// Package checker judges a failover run: linearizability of the history
// (Porcupine, per group), lost and phantom writes after healing, convergence
// of every master, and unavailability around each fault.
package checker

import (
	"sort"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/halo-fs/halo/jepsen/model"
)

// Linearizability is Porcupine's verdict on a history.
type Linearizability struct {
	Result   porcupine.CheckResult
	Info     porcupine.LinearizationInfo
	Took     time.Duration
	Ops      int // operations checked
	Pending  int // unknown outcomes, returning never
	Narrowed int // unknown creates whose return time a later read bounded
}

// CheckLinearizability checks ops against the namespace model within
// timeout.
func CheckLinearizability(ops []model.Op, timeout time.Duration) Linearizability {
	hist := model.Porcupine(ops)
	narrowed := narrowUnknownCreates(hist)
	pending := 0
	for _, op := range hist {
		if op.Return == model.Never {
			pending++
		}
	}
	start := time.Now()
	res, info := porcupine.CheckOperationsVerbose(model.NamespaceModel, hist, timeout)
	return Linearizability{Result: res, Info: info, Took: time.Since(start), Ops: len(hist), Pending: pending, Narrowed: narrowed}
}

// narrowUnknownCreates bounds unknown creates by their observers, as
// etcd's robustness tests patch their histories: a create's value is
// unique, so a read that saw it proves the create took effect before that
// read returned. The earliest such return becomes the create's return
// time, which spares Porcupine from trying it anywhere later. A read that
// saw the value before the create was even called is left alone for
// Porcupine to reject.
func narrowUnknownCreates(hist []porcupine.Operation) int {
	firstSeen := map[int64]int64{}
	see := func(s model.Slot, at int64) {
		if s.Kind != model.File {
			return
		}
		if t, ok := firstSeen[s.Value]; !ok || at < t {
			firstSeen[s.Value] = at
		}
	}
	for _, op := range hist {
		out := op.Output.(model.Output)
		if out.Outcome != model.OK {
			continue
		}
		in := op.Input.(model.Input)
		switch {
		case in.Kind == model.Stat && out.Node != nil:
			see(*out.Node, op.Return)
		case in.Kind == model.List && out.Listing != nil:
			for _, s := range out.Listing {
				see(s, op.Return)
			}
		}
	}
	n := 0
	for i, op := range hist {
		in := op.Input.(model.Input)
		if in.Kind != model.Create || op.Return != model.Never {
			continue
		}
		if t, ok := firstSeen[in.Value]; ok && t >= op.Call {
			hist[i].Return = t
			n++
		}
	}
	return n
}

// Visualize writes Porcupine's HTML view of the check, with the fault
// windows as annotations.
func Visualize(l Linearizability, annotations []porcupine.Annotation, path string) error {
	info := l.Info
	info.AddAnnotations(annotations)
	return porcupine.VisualizePath(model.NamespaceModel, info, path)
}

// FirstIllegal finds the shortest prefix of a history that is already not
// linearizable, by bisection over completion times, and returns the
// operation that ends it: the first answer no linearization explains. A
// prefix keeps the mutations still running at its end as unknown outcomes
// and drops such reads, so every prefix of a linearizable history is
// linearizable and the bisection is sound.
func FirstIllegal(ops []model.Op, timeout time.Duration) (model.Op, bool) {
	var done []model.Op
	for _, op := range ops {
		if op.Output.Outcome != model.Unknown {
			done = append(done, op)
		}
	}
	sort.Slice(done, func(i, j int) bool { return done[i].Return < done[j].Return })
	illegal := func(end int64) bool {
		var prefix []model.Op
		for _, op := range ops {
			switch {
			case op.Call > end:
			case op.Return <= end || op.Output.Outcome == model.Unknown:
				prefix = append(prefix, op)
			case op.Input.Kind.IsMutation():
				op.Output = model.Output{Outcome: model.Unknown}
				prefix = append(prefix, op)
			}
		}
		return CheckLinearizability(prefix, timeout).Result == porcupine.Illegal
	}
	if len(done) == 0 || !illegal(done[len(done)-1].Return) {
		return model.Op{}, false
	}
	lo, hi := 0, len(done)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if illegal(done[mid].Return) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return done[hi], true
}
