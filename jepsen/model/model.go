// Package model is the sequential specification that failover histories
// are checked against. The namespace under test is split into groups
// (/jepsen/gNN), each holding a few names (a, b, c); every operation
// touches one group, so a history is linearizable if and only if each
// group's sub-history is, and Porcupine checks the groups one by one.
//
// Every inode carries a value the operations observe: a file's block size,
// chosen by the client and unique in the run (so an unknown create still
// has a known value), and a directory's inode id, known only from the
// master's answers. A directory made by a create with an unknown outcome
// has value 0, "not seen yet", which the first read that sees it binds.
package model

import (
	"fmt"
	"math"
	"strings"

	"github.com/anishathalye/porcupine"
)

// Names are the entry names of every group.
var Names = [...]string{"a", "b", "c"}

// NameCount is how many names a group has.
const NameCount = len(Names)

// OpKind names an operation.
type OpKind string

const (
	Create OpKind = "create" // CreateFile(path, block size = value), not recursive
	Mkdir  OpKind = "mkdir"  // CreateDirectory(path), not recursive
	Delete OpKind = "delete" // Delete(path), not recursive: directories stay empty
	Rename OpKind = "rename" // Rename(path, dst path) inside the group
	Stat   OpKind = "stat"   // GetStatus(path)
	List   OpKind = "list"   // ListStatus(group), not recursive
	// Ledger creates a file of its own that nothing ever deletes or
	// renames: the exact lost-write check. Linearizability skips them.
	Ledger OpKind = "ledger"
)

// IsMutation reports whether the kind changes the namespace.
func (k OpKind) IsMutation() bool { return k != Stat && k != List }

// Input is an operation's request.
type Input struct {
	Kind  OpKind `json:"kind"`
	Group int    `json:"group"`
	Name  int    `json:"name"`            // index into Names
	Dst   int    `json:"dst,omitempty"`   // rename: destination name index
	Value int64  `json:"value,omitempty"` // create and ledger: the block size
	Path  string `json:"path,omitempty"`  // ledger: the file's path
}

// Outcome says how an operation ended.
type Outcome string

const (
	OK      Outcome = "ok"
	Failed  Outcome = "failed"  // a definite answer: it had no effect
	Unknown Outcome = "unknown" // it may or may not have taken effect
)

// Kind of an inode in the model.
type Kind uint8

const (
	Absent Kind = iota
	File
	Dir
)

func (k Kind) String() string {
	switch k {
	case File:
		return "file"
	case Dir:
		return "dir"
	}
	return "absent"
}

// Slot is what one name holds: nothing, a file with its block size, or a
// directory with its inode id (0: not seen yet).
type Slot struct {
	Kind  Kind  `json:"kind"`
	Value int64 `json:"value,omitempty"`
}

func (s Slot) String() string {
	switch s.Kind {
	case File:
		return fmt.Sprintf("file:%d", s.Value)
	case Dir:
		if s.Value == 0 {
			return "dir:?"
		}
		return fmt.Sprintf("dir#%d", s.Value)
	}
	return "-"
}

// Output is an operation's answer.
type Output struct {
	Outcome Outcome `json:"outcome"`
	Code    string  `json:"code,omitempty"`  // the fserr code when not OK
	Error   string  `json:"error,omitempty"` // the message, for reports
	// Node is what create, mkdir and stat returned.
	Node *Slot `json:"node,omitempty"`
	// Listing is what list returned, by name index, and Extra any
	// names that are not in Names.
	Listing *[NameCount]Slot `json:"listing,omitempty"`
	Extra   []string         `json:"extra,omitempty"`
}

// State is one group's namespace.
type State [NameCount]Slot

func (s State) String() string {
	parts := make([]string, NameCount)
	for i, sl := range s {
		parts[i] = Names[i] + "=" + sl.String()
	}
	return strings.Join(parts, " ")
}

// Refusal reports whether a failure code means the cluster refused the
// operation before it could take effect. The client reports these only
// when no attempt can have applied (anything else is OutcomeUnknown), so
// the model holds the client to it: a refused mutation has no effect.
func Refusal(code string) bool {
	switch code {
	case "Unavailable", "NotLeader", "ResourceExhausted":
		return true
	}
	return false
}

// Step is the specification: whether an operation with input in can
// answer out in state s, and the state after it.
func Step(s State, in Input, out Output) (bool, State) {
	switch out.Outcome {
	case Unknown:
		return true, apply(s, in)
	case Failed:
		if Refusal(out.Code) {
			return true, s
		}
		return failureMatches(s, in, out.Code), s
	case OK:
		return stepOK(s, in, out)
	}
	return false, s
}

// apply gives the state after in took effect; an operation whose
// precondition does not hold fails and changes nothing.
func apply(s State, in Input) State {
	switch in.Kind {
	case Create:
		if s[in.Name].Kind == Absent {
			s[in.Name] = Slot{Kind: File, Value: in.Value}
		}
	case Mkdir:
		if s[in.Name].Kind == Absent {
			s[in.Name] = Slot{Kind: Dir}
		}
	case Delete:
		s[in.Name] = Slot{}
	case Rename:
		if s[in.Name].Kind != Absent && s[in.Dst].Kind == Absent && in.Name != in.Dst {
			s[in.Dst], s[in.Name] = s[in.Name], Slot{}
		}
	}
	return s
}

func failureMatches(s State, in Input, code string) bool {
	exists := s[in.Name].Kind != Absent
	switch in.Kind {
	case Create, Mkdir:
		return code == "AlreadyExists" && exists
	case Delete, Stat:
		return code == "NotFound" && !exists
	case Rename:
		switch code {
		case "NotFound":
			return !exists
		case "AlreadyExists":
			return exists && s[in.Dst].Kind != Absent
		}
	}
	return false
}

func stepOK(s State, in Input, out Output) (bool, State) {
	cur := s[in.Name]
	switch in.Kind {
	case Create:
		if cur.Kind != Absent || out.Node == nil || *out.Node != (Slot{Kind: File, Value: in.Value}) {
			return false, s
		}
		s[in.Name] = *out.Node
		return true, s
	case Mkdir:
		if cur.Kind != Absent || out.Node == nil || out.Node.Kind != Dir {
			return false, s
		}
		s[in.Name] = *out.Node
		return true, s
	case Delete:
		if cur.Kind == Absent {
			return false, s
		}
		s[in.Name] = Slot{}
		return true, s
	case Rename:
		if cur.Kind == Absent || s[in.Dst].Kind != Absent || in.Name == in.Dst {
			return false, s
		}
		s[in.Dst], s[in.Name] = cur, Slot{}
		return true, s
	case Stat:
		if out.Node == nil {
			return false, s
		}
		ok, bound := observe(cur, *out.Node)
		s[in.Name] = bound
		return ok, s
	case List:
		if out.Listing == nil || len(out.Extra) > 0 {
			return false, s
		}
		for i := range s {
			ok, bound := observe(s[i], out.Listing[i])
			if !ok {
				return false, s
			}
			s[i] = bound
		}
		return true, s
	}
	return false, s
}

// observe reports whether a read that saw seen is consistent with slot,
// and binds a directory whose id was not known yet.
func observe(slot, seen Slot) (bool, Slot) {
	if slot.Kind != seen.Kind {
		return false, slot
	}
	if slot.Kind == Dir && slot.Value == 0 {
		return true, seen
	}
	return slot.Value == seen.Value, slot
}

// Op is one recorded operation.
type Op struct {
	// Client is the worker that ran it; Stream is the Porcupine client
	// id, which changes after every unknown outcome so that each stream
	// stays sequential.
	Client int    `json:"client"`
	Stream int    `json:"stream"`
	Master string `json:"master,omitempty"` // a pinned worker's master
	Input  Input  `json:"input"`
	Output Output `json:"output"`
	// Call and Return are nanoseconds since the run began. An unknown
	// outcome's Return is when the client gave up; Porcupine sees it as
	// returning never.
	Call   int64 `json:"call"`
	Return int64 `json:"return"`
}

// Never is the return time Porcupine is given for an unknown outcome.
const Never int64 = math.MaxInt64 / 4

// Porcupine converts the operations that linearizability covers (not
// ledger creates, not reads that got no answer) to Porcupine's form.
func Porcupine(ops []Op) []porcupine.Operation {
	out := make([]porcupine.Operation, 0, len(ops))
	for _, op := range ops {
		if op.Input.Kind == Ledger {
			continue
		}
		if !op.Input.Kind.IsMutation() && op.Output.Outcome != OK && !(op.Input.Kind == Stat && op.Output.Code == "NotFound") {
			continue // a read that got no answer says nothing
		}
		ret := op.Return
		if op.Output.Outcome == Unknown {
			ret = Never
		}
		out = append(out, porcupine.Operation{
			ClientId: op.Stream, Input: op.Input, Call: op.Call, Output: op.Output, Return: ret,
			Metadata: op.Master,
		})
	}
	return out
}

// NamespaceModel is the Porcupine model, partitioned by group.
var NamespaceModel = porcupine.Model{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		byGroup := map[int][]porcupine.Operation{}
		var order []int
		for _, op := range history {
			g := op.Input.(Input).Group
			if _, ok := byGroup[g]; !ok {
				order = append(order, g)
			}
			byGroup[g] = append(byGroup[g], op)
		}
		out := make([][]porcupine.Operation, 0, len(order))
		for _, g := range order {
			out = append(out, byGroup[g])
		}
		return out
	},
	Init: func() interface{} { return State{} },
	Step: func(state, input, output interface{}) (bool, interface{}) {
		return Step(state.(State), input.(Input), output.(Output))
	},
	Hash: func(state interface{}) uint64 {
		s := state.(State)
		h := uint64(14695981039346656037)
		for _, sl := range s {
			h = (h ^ uint64(sl.Kind)) * 1099511628211
			h = (h ^ uint64(sl.Value)) * 1099511628211
		}
		return h
	},
	DescribeOperation: func(input, output interface{}) string {
		return Describe(input.(Input), output.(Output))
	},
	DescribeState: func(state interface{}) string { return state.(State).String() },
	DescribeOperationMetadata: func(info interface{}) string {
		if s, ok := info.(string); ok && s != "" {
			return "pinned to " + s
		}
		return ""
	},
}

// Describe renders an operation like "rename(g03/a, b) -> AlreadyExists".
func Describe(in Input, out Output) string {
	var call string
	p := fmt.Sprintf("g%02d/%s", in.Group, Names[in.Name])
	switch in.Kind {
	case Create:
		call = fmt.Sprintf("create(%s, %d)", p, in.Value)
	case Rename:
		call = fmt.Sprintf("rename(%s, %s)", p, Names[in.Dst])
	case Ledger:
		call = fmt.Sprintf("ledger(%s)", in.Path)
	default:
		call = fmt.Sprintf("%s(%s)", in.Kind, p)
	}
	var res string
	switch out.Outcome {
	case Unknown:
		res = "unknown"
	case Failed:
		res = out.Code
	case OK:
		switch {
		case out.Listing != nil:
			res = State(*out.Listing).String()
			if len(out.Extra) > 0 {
				res += " +" + strings.Join(out.Extra, ",")
			}
		case out.Node != nil:
			res = out.Node.String()
		default:
			res = "ok"
		}
	}
	return call + " -> " + res
}
