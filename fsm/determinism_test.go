package fsm

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/proto/journalpb"
)

// entryGen makes random entry sequences over a small set of paths, so
// that entries collide: creates of existing paths, renames into subtrees,
// deletes of non-empty directories, retries of earlier operation ids,
// callers without permission. About half of the entries fail.
type entryGen struct {
	r    *rand.Rand
	time int64
}

func newEntryGen(seed uint64) *entryGen {
	return &entryGen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

var (
	genNames   = []string{"a", "b", "c"}
	genCallers = []*journalpb.Caller{nil, superuser, alice, bob, carol}
	genModes   = []uint32{0o755, 0o700, 0o777, 0o644, 0o000, 0o555, 0o1777}
	genURIs    = []string{"mem://x", "mem://x/y", "mem://z", "mem://w/", "mem://q/1", "mem://q/2", "mem://q"}
	genUsers   = []string{"alice", "bob", "carol", "root"}
	genGroups  = []string{"staff", "dev", "ops", "root"}
	genBad     = []string{"", "a", "/a/../b", "//", "/a//b", "/./a", "/a\x00", "/" + strings.Repeat("n", 256)}
)

func (g *entryGen) pick(n int) int { return g.r.IntN(n) }

func (g *entryGen) rel(maxDepth int) string {
	parts := make([]string, 1+g.pick(maxDepth))
	for i := range parts {
		parts[i] = genNames[g.pick(len(genNames))]
	}
	return strings.Join(parts, "/")
}

func (g *entryGen) path() string {
	switch x := g.pick(40); {
	case x == 0:
		return genBad[g.pick(len(genBad))]
	case x == 1:
		return "/"
	case x == 2:
		return "/" + g.rel(3) + "/"
	}
	return "/" + g.rel(3)
}

func (g *entryGen) mode() uint32 { return genModes[g.pick(len(genModes))] }

func (g *entryGen) next() *journalpb.Entry {
	g.time += int64(1 + g.pick(5))
	e := &journalpb.Entry{TimeMs: g.time, Caller: genCallers[g.pick(len(genCallers))]}
	if g.pick(2) == 0 {
		e.OpId = &journalpb.OperationID{ClientHi: uint64(g.pick(2)), ClientLo: uint64(g.pick(3)), Seq: uint64(g.pick(40))}
	}
	flag := func() bool { return g.pick(2) == 0 }
	switch x := g.pick(100); {
	case x < 20:
		e.Payload = &journalpb.Entry_CreateFile{CreateFile: &journalpb.CreateFileEntry{Path: g.path(), Mode: g.mode(), Recursive: flag(),
			Completed: flag(), Pinned: g.pick(5) == 0, TtlMs: int64(g.pick(3)) * 1000, BlockSizeBytes: int64(g.pick(2)) << 20}}
	case x < 40:
		e.Payload = &journalpb.Entry_CreateDirectory{CreateDirectory: &journalpb.CreateDirectoryEntry{Path: g.path(), Mode: g.mode(),
			Recursive: flag(), AllowExists: flag()}}
	case x < 50:
		e.Payload = &journalpb.Entry_Rename{Rename: &journalpb.RenameEntry{Src: g.path(), Dst: g.path()}}
	case x < 60:
		e.Payload = &journalpb.Entry_Delete{Delete: &journalpb.DeleteEntry{Path: g.path(), Recursive: flag()}}
	case x < 70:
		a := &journalpb.SetAttributeEntry{Path: g.path(), Recursive: g.pick(4) == 0}
		switch g.pick(6) {
		case 0:
			a.HasMode, a.Mode = true, g.mode()
		case 1:
			a.HasOwner, a.Owner = true, genUsers[g.pick(len(genUsers))]
		case 2:
			a.HasGroup, a.Group = true, genGroups[g.pick(len(genGroups))]
		case 3:
			a.HasPinned, a.Pinned = true, flag()
		case 4:
			a.HasTtl, a.TtlMs = true, int64(g.pick(3))*500
		case 5:
			a.HasPersisted, a.Persisted = true, flag()
		}
		e.Payload = &journalpb.Entry_SetAttribute{SetAttribute: a}
	case x < 78:
		var blocks []uint64
		for range g.pick(3) {
			blocks = append(blocks, uint64(g.pick(1000)))
		}
		e.Payload = &journalpb.Entry_CompleteFile{CompleteFile: &journalpb.CompleteFileEntry{Path: g.path(), Length: int64(g.pick(1 << 20)), BlockIds: blocks}}
	case x < 84:
		p := g.path()
		if g.pick(8) == 0 {
			p = "/"
		}
		e.Payload = &journalpb.Entry_AddMountPoint{AddMountPoint: &journalpb.AddMountPointEntry{Path: p, UfsUri: genURIs[g.pick(len(genURIs))],
			ReadOnly: g.pick(4) == 0, Shared: flag(), Options: map[string]string{"k": genNames[g.pick(3)]},
			Owner: genUsers[g.pick(len(genUsers))], Group: genGroups[g.pick(len(genGroups))], Mode: g.mode()}}
	case x < 88:
		e.Payload = &journalpb.Entry_DeleteMountPoint{DeleteMountPoint: &journalpb.DeleteMountPointEntry{Path: g.path()}}
	case x < 96:
		lm := &journalpb.LoadMetadataEntry{Path: g.path()}
		for range g.pick(6) {
			c := &journalpb.UfsChild{RelPath: g.rel(2), IsDirectory: flag(), Length: int64(g.pick(100)), MtimeMs: int64(g.pick(100)),
				Owner: genUsers[g.pick(len(genUsers))], Group: genGroups[g.pick(len(genGroups))], Mode: g.mode()}
			if g.pick(20) == 0 {
				c.RelPath = "../" + c.RelPath
			}
			lm.Children = append(lm.Children, c)
		}
		e.Payload = &journalpb.Entry_LoadMetadata{LoadMetadata: lm}
	case x < 98 && g.pick(2) == 0:
		e.Payload = &journalpb.Entry_Noop{Noop: &journalpb.NoopEntry{}}
	case x < 98:
		// Small limits, so that records are forgotten by count and by
		// time; a size of 0 is refused; now and then the table is off.
		c := &journalpb.OperationTableConfigEntry{Enabled: g.pick(8) != 0, MaxRecords: uint64(4 + g.pick(40)), RetentionMs: int64(1 + g.pick(400))}
		if g.pick(8) == 0 {
			c.MaxRecords = 0
		}
		e.Payload = &journalpb.Entry_OperationTableConfig{OperationTableConfig: c}
	case x < 99:
		// An empty id is refused; a second id changes nothing.
		e.Payload = &journalpb.Entry_ClusterInfo{ClusterInfo: &journalpb.ClusterInfoEntry{ClusterId: []string{"", "c1", "c2"}[g.pick(3)]}}
	default:
		// No payload: refused, but still an entry at its index.
	}
	return e
}

func (g *entryGen) entries(n int) []*journalpb.Entry {
	out := make([]*journalpb.Entry, n)
	for i := range out {
		out[i] = g.next()
	}
	return out
}

func resultString(r Result) string {
	if r.Err != nil {
		return fmt.Sprintf("%v %q id=%d replayed=%t", r.Err.Code, r.Err.Message, r.InodeID, r.Replayed)
	}
	return fmt.Sprintf("OK id=%d replayed=%t", r.InodeID, r.Replayed)
}

// throughJournal encodes and decodes e, as every HA mode does.
func throughJournal(t *testing.T, e *journalpb.Entry) *journalpb.Entry {
	t.Helper()
	if KindOf(e) == KindUnknown {
		return e // EncodeEntry refuses it; apply sees it only in tests
	}
	b, err := EncodeEntry(e)
	if err != nil {
		t.Fatal(err)
	}
	d, err := DecodeEntry(b)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestDeterminism: applying a random sequence straight through (A) and
// applying a prefix, checkpointing, restoring into a fresh FSM and applying
// the rest there (B then C) must give the same results and the same
// checkpoint bytes.
func TestDeterminism(t *testing.T) {
	const n = 3000
	cfg := testConfig()
	for seed := uint64(1); seed <= 6; seed++ {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			entries := newEntryGen(seed).entries(n)
			a := New(cfg)
			results := make([]string, n)
			outcomes := map[Kind][2]int{} // successes, failures per kind
			for i, e := range entries {
				res := a.Apply(uint64(i+1), e)
				results[i] = resultString(res)
				c := outcomes[KindOf(e)]
				if res.Err == nil {
					c[0]++
				} else {
					c[1]++
				}
				outcomes[KindOf(e)] = c
			}
			// The generator must exercise every kind both ways, or this
			// test proves little.
			for kind := range handlers {
				if c := outcomes[kind]; c[0] == 0 || (c[1] == 0 && kind != KindNoop) {
					t.Errorf("%v: %d successes, %d failures", kind, c[0], c[1])
				}
			}
			final := checkpointBytes(t, a)
			checkCounts(t, a)

			splits := []int{0, 1, n / 3, int(seed*397) % n, n - 1, n}
			for _, k := range splits {
				b := New(cfg)
				for i, e := range entries[:k] {
					b.Apply(uint64(i+1), e)
				}
				c := New(cfg)
				if _, err := c.Restore(bytes.NewReader(checkpointBytes(t, b))); err != nil {
					t.Fatalf("split %d: %v", k, err)
				}
				for i, e := range entries[k:] {
					index := k + i + 1
					if got := resultString(c.Apply(uint64(index), throughJournal(t, e))); got != results[index-1] {
						t.Fatalf("split %d: entry %d (%v) gave %s after the restore, %s straight through", k, index, e, got, results[index-1])
					}
				}
				if !bytes.Equal(checkpointBytes(t, c), final) {
					t.Fatalf("split %d: checkpoints differ", k)
				}
				if da, dc := dump(t, a), dump(t, c); da != dc {
					t.Fatalf("split %d: listings differ:\n%s\nvs\n%s", k, da, dc)
				}
			}
		})
	}
}

// checkCounts checks InodeCount against the tree as listed.
func checkCounts(t *testing.T, f *FSM) {
	t.Helper()
	var listed uint64 = 1
	if err := f.ListStatus(nil, "/", true, func(*journalpb.FileStatus) error { listed++; return nil }); err != nil {
		t.Fatal(err)
	}
	if listed != f.InodeCount() {
		t.Fatalf("InodeCount = %d, but %d inodes are listed", f.InodeCount(), listed)
	}
	for _, m := range f.MountTable() {
		fi, err := f.GetStatus(nil, m.Path)
		if err != nil || !fi.MountPoint || fi.MountId != m.MountId {
			t.Fatalf("mount %v: inode %v, %v", m, fi, err)
		}
	}
	if _, err := f.GetStatus(nil, "/"); fserr.CodeOf(err) != fserr.OK {
		t.Fatal(err)
	}
}
