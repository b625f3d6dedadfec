package model

import (
	"testing"

	"github.com/anishathalye/porcupine"
)

const (
	a = 0
	b = 1
	c = 2
)

func ok() Output                  { return Output{Outcome: OK} }
func failed(code string) Output   { return Output{Outcome: Failed, Code: code} }
func unknown() Output             { return Output{Outcome: Unknown} }
func node(k Kind, v int64) Output { return Output{Outcome: OK, Node: &Slot{Kind: k, Value: v}} }
func listed(s ...Slot) Output {
	var l [NameCount]Slot
	copy(l[:], s)
	return Output{Outcome: OK, Listing: &l}
}

func TestStep(t *testing.T) {
	file7 := Slot{Kind: File, Value: 7}
	dir9 := Slot{Kind: Dir, Value: 9}
	dirUnseen := Slot{Kind: Dir}
	tests := []struct {
		name  string
		state State
		in    Input
		out   Output
		legal bool
		after State
	}{
		{"create in empty", State{}, Input{Kind: Create, Name: a, Value: 7}, node(File, 7), true, State{file7}},
		{"create answers another value", State{}, Input{Kind: Create, Name: a, Value: 7}, node(File, 8), false, State{}},
		{"create over a file", State{file7}, Input{Kind: Create, Name: a, Value: 8}, node(File, 8), false, State{file7}},
		{"create refused: exists", State{file7}, Input{Kind: Create, Name: a, Value: 8}, failed("AlreadyExists"), true, State{file7}},
		{"create refused but absent", State{}, Input{Kind: Create, Name: a, Value: 8}, failed("AlreadyExists"), false, State{}},
		{"create unavailable", State{}, Input{Kind: Create, Name: a, Value: 8}, failed("Unavailable"), true, State{}},
		{"create unknown applies", State{}, Input{Kind: Create, Name: a, Value: 8}, unknown(), true, State{{Kind: File, Value: 8}}},
		{"create unknown over a file fails", State{file7}, Input{Kind: Create, Name: a, Value: 8}, unknown(), true, State{file7}},
		{"create with odd error", State{}, Input{Kind: Create, Name: a, Value: 8}, failed("PermissionDenied"), false, State{}},
		{"mkdir", State{}, Input{Kind: Mkdir, Name: b}, node(Dir, 9), true, State{{}, dir9}},
		{"mkdir unknown", State{}, Input{Kind: Mkdir, Name: b}, unknown(), true, State{{}, dirUnseen}},
		{"delete", State{file7}, Input{Kind: Delete, Name: a}, ok(), true, State{}},
		{"delete absent ok", State{}, Input{Kind: Delete, Name: a}, ok(), false, State{}},
		{"delete absent NotFound", State{}, Input{Kind: Delete, Name: a}, failed("NotFound"), true, State{}},
		{"rename", State{file7}, Input{Kind: Rename, Name: a, Dst: c}, ok(), true, State{{}, {}, file7}},
		{"rename onto existing", State{file7, dir9}, Input{Kind: Rename, Name: a, Dst: b}, ok(), false, State{file7, dir9}},
		{"rename onto existing refused", State{file7, dir9}, Input{Kind: Rename, Name: a, Dst: b}, failed("AlreadyExists"), true, State{file7, dir9}},
		{"rename absent", State{}, Input{Kind: Rename, Name: a, Dst: b}, failed("NotFound"), true, State{}},
		{"rename unknown", State{file7}, Input{Kind: Rename, Name: a, Dst: b}, unknown(), true, State{{}, file7}},
		{"stat file", State{file7}, Input{Kind: Stat, Name: a}, node(File, 7), true, State{file7}},
		{"stat stale value", State{file7}, Input{Kind: Stat, Name: a}, node(File, 6), false, State{file7}},
		{"stat absent", State{}, Input{Kind: Stat, Name: a}, failed("NotFound"), true, State{}},
		{"stat says absent", State{file7}, Input{Kind: Stat, Name: a}, failed("NotFound"), false, State{file7}},
		{"stat binds an unseen dir", State{dirUnseen}, Input{Kind: Stat, Name: a}, node(Dir, 9), true, State{dir9}},
		{"stat other dir", State{dir9}, Input{Kind: Stat, Name: a}, node(Dir, 10), false, State{dir9}},
		{"list", State{file7, {}, dir9}, Input{Kind: List}, listed(file7, Slot{}, dir9), true, State{file7, {}, dir9}},
		{"list misses one", State{file7, {}, dir9}, Input{Kind: List}, listed(file7), false, State{file7, {}, dir9}},
		{"list binds", State{dirUnseen}, Input{Kind: List}, listed(dir9), true, State{dir9}},
		{"list with a stranger", State{}, Input{Kind: List}, Output{Outcome: OK, Listing: &[NameCount]Slot{}, Extra: []string{"x"}}, false, State{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			legal, after := Step(tt.state, tt.in, tt.out)
			if legal != tt.legal {
				t.Fatalf("Step(%v, %s) legal = %v, want %v", tt.state, Describe(tt.in, tt.out), legal, tt.legal)
			}
			if legal && after != tt.after {
				t.Errorf("Step(%v, %s) -> %v, want %v", tt.state, Describe(tt.in, tt.out), after, tt.after)
			}
		})
	}
}

func op(stream int, call, ret int64, in Input, out Output) Op {
	return Op{Client: stream, Stream: stream, Input: in, Output: out, Call: call, Return: ret}
}

func check(ops []Op) porcupine.CheckResult {
	return porcupine.CheckOperationsTimeout(NamespaceModel, Porcupine(ops), 0)
}

func TestStaleReadIsNotLinearizable(t *testing.T) {
	ops := []Op{
		op(0, 0, 10, Input{Kind: Create, Group: 1, Name: a, Value: 7}, node(File, 7)),
		op(0, 20, 30, Input{Kind: Delete, Group: 1, Name: a}, ok()),
		// A read that began after the delete returned still sees the file.
		op(1, 40, 50, Input{Kind: Stat, Group: 1, Name: a}, node(File, 7)),
	}
	if got := check(ops); got != porcupine.Illegal {
		t.Fatalf("stale read: %s, want Illegal", got)
	}
	// Overlapping the delete, the same read is fine.
	ops[2].Call = 25
	if got := check(ops); got != porcupine.Ok {
		t.Fatalf("concurrent read: %s, want Ok", got)
	}
}

func TestUnknownOutcomes(t *testing.T) {
	ops := []Op{
		op(0, 0, 10, Input{Kind: Create, Group: 0, Name: a, Value: 7}, unknown()),
		op(1, 20, 30, Input{Kind: Stat, Group: 0, Name: a}, failed("NotFound")),
		op(1, 40, 50, Input{Kind: Stat, Group: 0, Name: a}, node(File, 7)),
	}
	if got := check(ops); got != porcupine.Ok {
		t.Fatalf("a create with an unknown outcome that takes effect late: %s, want Ok", got)
	}
	// Seen, then gone, with nothing that removes it: not linearizable.
	ops = append(ops, op(1, 60, 70, Input{Kind: Stat, Group: 0, Name: a}, failed("NotFound")))
	if got := check(ops); got != porcupine.Illegal {
		t.Fatalf("a file that vanishes: %s, want Illegal", got)
	}
}

func TestRefusedMutationHasNoEffect(t *testing.T) {
	ops := []Op{
		op(0, 0, 10, Input{Kind: Create, Group: 0, Name: a, Value: 7}, failed("Unavailable")),
		op(1, 20, 30, Input{Kind: Stat, Group: 0, Name: a}, node(File, 7)),
	}
	if got := check(ops); got != porcupine.Illegal {
		t.Fatalf("a refused create that took effect: %s, want Illegal", got)
	}
}

func TestGroupsArePartitions(t *testing.T) {
	ops := []Op{
		op(0, 0, 10, Input{Kind: Create, Group: 0, Name: a, Value: 7}, node(File, 7)),
		op(1, 20, 30, Input{Kind: Stat, Group: 1, Name: a}, failed("NotFound")),
		op(1, 40, 50, Input{Kind: Rename, Group: 0, Name: a, Dst: b}, ok()),
		op(0, 60, 70, Input{Kind: List, Group: 0}, listed(Slot{}, Slot{Kind: File, Value: 7})),
	}
	if got := check(ops); got != porcupine.Ok {
		t.Fatalf("%s, want Ok", got)
	}
	parts := NamespaceModel.Partition(Porcupine(ops))
	if len(parts) != 2 {
		t.Fatalf("%d partitions, want 2", len(parts))
	}
}
