package fsm

import (
	"bytes"
	"fmt"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/proto/journalpb"
	"google.golang.org/protobuf/proto"
)

// chain is prefix followed by depth components "x": a path depth levels
// below prefix, two bytes a level.
func chain(prefix string, depth int) string {
	return prefix + strings.Repeat("/x", depth)
}

// longestPath is the byte length of the longest path in f.
func longestPath(t testing.TB, f *FSM) int {
	t.Helper()
	longest := 0
	for _, p := range list(t, f, "/", true) {
		longest = max(longest, len(p))
	}
	return longest
}

func TestRenameKeepsEveryPathWithinTheLimit(t *testing.T) {
	// /b holds a chain 2000 bytes deep; /a/x... is the parent it moves to.
	exact := []*journalpb.Entry{mkdir(chain("/a", 1046), recursive), mkdir(chain("/b", 1000), recursive)}
	cases := []opCase{
		{
			name:  "deep chain under a deep chain",
			setup: []*journalpb.Entry{mkdir(chain("/a", 1500), recursive), mkdir(chain("/b", 1500), recursive)},
			op:    rename("/b", chain("/a", 1500)+"/b"),
			want:  fserr.InvalidPath,
		},
		{
			// 2+2092+2 bytes of destination plus 2000 below it: 4096.
			name:  "deepest path exactly at the limit",
			setup: exact,
			op:    rename("/b", chain("/a", 1046)+"/b"),
			check: func(t *testing.T, f *FSM, _ Result) {
				if got := longestPath(t, f); got != MaxPathBytes {
					t.Errorf("longest path %d bytes, want %d", got, MaxPathBytes)
				}
			},
		},
		{name: "deepest path one byte over the limit", setup: exact, op: rename("/b", chain("/a", 1046)+"/bb"), want: fserr.InvalidPath},
		{
			// The tall branch is gone: what counts is the tree as it is,
			// not the longest path it ever held.
			name: "after the deep branch was deleted",
			setup: []*journalpb.Entry{
				mkdir(chain("/p/tall", 1500), recursive), mkdir("/p/short"),
				mkdir(chain("/q", 1500), recursive), remove("/p/tall", recursive),
			},
			op: rename("/p", chain("/q", 1500)+"/p"),
		},
		{
			name:  "a shorter destination is always fine",
			setup: []*journalpb.Entry{mkdir(chain("/long-name-of-a-directory", 2000), recursive)},
			op:    rename("/long-name-of-a-directory", "/s"),
		},
	}
	runOpCases(t, cases)
}

// TestRepeatedRenamesCannotBuildADeepChain hangs a deep chain under another
// one over and over, as a client could to make the tree arbitrarily deep:
// every rename that would make a path longer than the limit is refused, so
// every inode keeps a path a request could name.
func TestRepeatedRenamesCannotBuildADeepChain(t *testing.T) {
	h := newHarness(t)
	h.mustApply(mkdir(chain("/acc", 1000), recursive))
	refused := 0
	for i := 0; i < 8; i++ {
		top := fmt.Sprintf("/c%d", i)
		h.mustApply(mkdir(chain(top, 1000), recursive))
		res := h.apply(rename("/acc", chain(top, 1000)+"/acc"))
		if res.Err != nil {
			wantCode(t, res.Error(), fserr.InvalidPath)
			if !strings.Contains(res.Err.Message, "limit") {
				t.Errorf("refusal %q does not name the limit", res.Err.Message)
			}
			refused++
			continue
		}
		h.mustApply(rename(top, "/acc"))
	}
	if refused == 0 {
		t.Error("no rename was refused")
	}
	if got := longestPath(t, h.FSM); got > MaxPathBytes {
		t.Fatalf("longest path is %d bytes, beyond the limit of %d", got, MaxPathBytes)
	}
	wantExactBounds(t, roundTrip(t, h.FSM))
}

// wantExactBounds fails unless every bound on path lengths in f is exact,
// as a restore leaves them.
func wantExactBounds(t *testing.T, f *FSM) {
	t.Helper()
	restored := map[*Inode]uint16{}
	_ = walkSubtree(f.root, func(n *Inode) error { restored[n] = n.below; return nil })
	measureBelow(f.root)
	for n, below := range restored {
		if n.below != below {
			t.Fatalf("%s: restored bound %d, measured %d", n.path(), below, n.below)
		}
	}
}

func TestLoadMetadataKeepsPathsWithinTheLimit(t *testing.T) {
	base := chain("", 2000) // 4000 bytes
	runOpCases(t, []opCase{
		{
			name:  "child path beyond the limit",
			setup: []*journalpb.Entry{mkdir(base, recursive)},
			op:    loadMetadata(base, []*journalpb.UfsChild{ufsDir("d"), ufsFile("d/"+strings.Repeat("f", 100), 1)}),
			want:  fserr.InvalidPath,
		},
		{
			name:  "child path at the limit",
			setup: []*journalpb.Entry{mkdir(base, recursive)},
			op:    loadMetadata(base, []*journalpb.UfsChild{ufsDir("d"), ufsFile("d/"+strings.Repeat("f", 93), 1)}),
			check: func(t *testing.T, f *FSM, _ Result) {
				if got := longestPath(t, f); got != MaxPathBytes {
					t.Errorf("longest path %d bytes, want %d", got, MaxPathBytes)
				}
			},
		},
	})
}

// TestWholeTreeWalksUseLittleStack runs every walk over the whole tree, or
// a subtree, on a tree as deep as the path limit allows, with the stack
// limited far below what a recursive walk of that depth needs: a walk
// whose stack grows with the depth of the tree fails here.
func TestWholeTreeWalksUseLittleStack(t *testing.T) {
	h := newHarness(t)
	deepest := chain("/d", 2046) + "/f" // 4096 bytes
	h.mustApply(mkdir("/d", as(alice)), create(deepest, recursive, as(alice)))

	defer debug.SetMaxStack(debug.SetMaxStack(64 << 10))
	g := roundTrip(t, h.FSM) // checkpoint write and read, recursive listing
	h.mustApply(chmod("/d", 0o700, recursive, as(alice)))
	if got := stat(t, h.FSM, deepest).Mode; got != 0o700 {
		t.Errorf("mode of the deepest file after chmod -R: %o", got)
	}
	h.mustApply(remove("/d", recursive, as(alice)))
	if n := h.InodeCount(); n != 1 {
		t.Errorf("%d inodes after deleting everything, want 1", n)
	}
	if n := g.InodeCount(); n != 2+2047 {
		t.Errorf("restored copy has %d inodes, want %d", n, 2+2047)
	}
}

// TestRenameLengthCheckIgnoresHowTheTreeWasReached applies the same renames
// to a namespace that was built entry by entry (whose bounds on path
// lengths are loose after deletes) and to its restored copy (whose bounds
// are exact): both must answer alike and end byte for byte equal.
func TestRenameLengthCheckIgnoresHowTheTreeWasReached(t *testing.T) {
	replayed := newHarness(t)
	replayed.mustApply(
		mkdir(chain("/p/tall", 1500), recursive), mkdir(chain("/p/mid", 1100), recursive),
		mkdir(chain("/q", 1000), recursive), remove("/p/tall", recursive),
	)
	restored := &harness{t: t, FSM: roundTrip(t, replayed.FSM), index: replayed.index}
	for _, step := range []struct {
		e    *journalpb.Entry
		want fserr.Code
	}{
		{rename("/p", chain("/q", 1000)+"/p"), fserr.InvalidPath},  // 2004 + 2204 bytes
		{rename("/p", chain("/q", 1000)+"/pp"), fserr.InvalidPath}, // one more
		{remove("/p/mid", recursive), fserr.OK},                    // the bound of /p stays high
		{rename("/p", chain("/q", 1000)+"/p"), fserr.OK},
		{rename(chain("/q", 1000)+"/p", "/back"), fserr.OK},
	} {
		a, b := replayed.apply(step.e), restored.apply(proto.Clone(step.e).(*journalpb.Entry))
		if fserr.CodeOf(a.Error()) != step.want || fserr.CodeOf(b.Error()) != step.want || a.Error() != nil && a.Err.Message != b.Err.Message {
			t.Fatalf("%v: replayed answered %v, restored %v; want %v from both", step.e, a.Error(), b.Error(), step.want)
		}
	}
	if !bytes.Equal(checkpointBytes(t, replayed.FSM), checkpointBytes(t, restored.FSM)) {
		t.Fatal("the replayed and the restored namespace differ after the same renames")
	}
}
