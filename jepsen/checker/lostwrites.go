package checker

import (
	"fmt"
	"sort"

	"github.com/halo-fs/halo/jepsen/model"
)

// Write is a create whose fate the lost-write check questions.
type Write struct {
	Path  string `json:"path"`
	Value int64  `json:"value"`
	Why   string `json:"why"`
}

// Writes is the lost-write check's verdict.
type Writes struct {
	// Lost are acknowledged creates missing after healing, with no later
	// delete or rename that could have removed them.
	Lost []Write `json:"lost,omitempty"`
	// Phantoms are files present after healing that no create can
	// explain: every create of that value failed definitely, or none
	// exists.
	Phantoms []Write `json:"phantoms,omitempty"`
	// Acknowledged counts the creates the check covered.
	Acknowledged int `json:"acknowledged"`
}

// OK is true with no lost and no phantom write.
func (w Writes) OK() bool { return len(w.Lost) == 0 && len(w.Phantoms) == 0 }

// CheckWrites compares the history's creates with the final state.
//
// Ledger files are never deleted or renamed, so every acknowledged ledger
// create must be present. A create in a group may have been removed by a
// later delete, or moved by a later rename (then removed or not): the
// check follows every rename that was not refused and could have come
// after the create, and counts the create lost only when no delete that
// was not refused can have reached any place it could have moved to and
// its value is in none of those places.
func CheckWrites(ops []model.Op, final map[int]model.State, ledger map[string]int64) Writes {
	var w Writes
	created := map[int64]model.Outcome{} // best outcome of the create of each value
	better := func(v int64, o model.Outcome) {
		if cur, ok := created[v]; !ok || rank(o) > rank(cur) {
			created[v] = o
		}
	}
	byGroup := map[int][]model.Op{}
	for _, op := range ops {
		switch op.Input.Kind {
		case model.Ledger:
			better(op.Input.Value, op.Output.Outcome)
			if op.Output.Outcome == model.OK {
				w.Acknowledged++
				if _, ok := ledger[op.Input.Path]; !ok {
					w.Lost = append(w.Lost, Write{Path: op.Input.Path, Value: op.Input.Value, Why: "acknowledged ledger create missing after healing"})
				}
			}
		case model.Create:
			better(op.Input.Value, op.Output.Outcome)
			fallthrough
		default:
			byGroup[op.Input.Group] = append(byGroup[op.Input.Group], op)
		}
	}
	for g, gops := range byGroup {
		for _, op := range gops {
			if op.Input.Kind != model.Create || op.Output.Outcome != model.OK {
				continue
			}
			w.Acknowledged++
			places, removable := reachable(op, gops)
			if removable {
				continue
			}
			found := false
			for n := range places {
				if s := final[g][n]; s.Kind == model.File && s.Value == op.Input.Value {
					found = true
				}
			}
			if !found {
				w.Lost = append(w.Lost, Write{
					Path: fmt.Sprintf("/jepsen/g%02d/%s", g, model.Names[op.Input.Name]), Value: op.Input.Value,
					Why: "acknowledged create missing after healing; no delete can have removed it",
				})
			}
		}
	}
	for g, s := range final {
		for n, sl := range s {
			if sl.Kind != model.File {
				continue
			}
			if o, ok := created[sl.Value]; !ok || o == model.Failed {
				w.Phantoms = append(w.Phantoms, Write{
					Path: fmt.Sprintf("/jepsen/g%02d/%s", g, model.Names[n]), Value: sl.Value,
					Why: "present after healing, but its create " + phantomWhy(ok),
				})
			}
		}
	}
	for p, v := range ledger {
		if o, ok := created[v]; !ok || o == model.Failed {
			w.Phantoms = append(w.Phantoms, Write{Path: p, Value: v, Why: "present after healing, but its create " + phantomWhy(ok)})
		}
	}
	sort.Slice(w.Lost, func(i, j int) bool { return w.Lost[i].Path < w.Lost[j].Path })
	sort.Slice(w.Phantoms, func(i, j int) bool { return w.Phantoms[i].Path < w.Phantoms[j].Path })
	return w
}

func phantomWhy(attempted bool) string {
	if attempted {
		return "failed with a definite error"
	}
	return "was never attempted"
}

func rank(o model.Outcome) int {
	switch o {
	case model.OK:
		return 2
	case model.Unknown:
		return 1
	}
	return 0
}

// reachable returns the names an acknowledged create's file may have been
// renamed to, and whether a delete may have removed it.
func reachable(create model.Op, gops []model.Op) (map[int]bool, bool) {
	places := map[int]bool{create.Input.Name: true}
	mayFollow := func(op model.Op) bool {
		if op.Output.Outcome == model.Failed {
			return false // refused or rejected: no effect
		}
		ret := op.Return
		if op.Output.Outcome == model.Unknown {
			ret = model.Never
		}
		return ret >= create.Call
	}
	for changed := true; changed; {
		changed = false
		for _, op := range gops {
			if op.Input.Kind == model.Rename && places[op.Input.Name] && !places[op.Input.Dst] && mayFollow(op) {
				places[op.Input.Dst] = true
				changed = true
			}
		}
	}
	for _, op := range gops {
		if op.Input.Kind == model.Delete && places[op.Input.Name] && mayFollow(op) {
			return places, true
		}
	}
	return places, false
}
