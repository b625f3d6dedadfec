package fsm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"testing"

	"github.com/halo-fs/halo/proto/journalpb"
	"google.golang.org/protobuf/proto"
)

// smallNamespace has a little of everything a checkpoint holds: files and
// directories with varied attributes, a root mount and a nested one, and
// remembered operations, one of them a failure.
func smallNamespace(t testing.TB) *harness {
	h := newHarness(t)
	h.mustApply(
		mountAt("/", "mem://root", opID(1, 1)),
		mkdir("/a/b", recursive, as(alice), at(5), opID(1, 2)),
		create("/a/b/f", as(alice), at(6)),
		complete("/a/b/f", 10, []uint64{100, 101}, as(alice)),
		mountAt("/m", "mem://m", readOnly),
		loadMetadata("/m", []*journalpb.UfsChild{ufsDir("d"), ufsFile("d/x", 3)}),
		setAttr(&journalpb.SetAttributeEntry{Path: "/a", HasPinned: true, Pinned: true, HasTtl: true, TtlMs: 9}),
	)
	if res := h.apply(create("/a/b/f", opID(2, 1))); res.Err == nil {
		t.Fatal("duplicate create succeeded")
	}
	return h
}

func TestCheckpointHeader(t *testing.T) {
	h := smallNamespace(t)
	cp := checkpointBytes(t, h.FSM)
	got, err := ReadCheckpointHeader(bytes.NewReader(cp))
	if err != nil {
		t.Fatal(err)
	}
	want := CheckpointHeader{Version: checkpointVersion, AppliedIndex: 8, InodeCount: 7, NextInodeID: 8, NextMountID: 3, MountCount: 2, OpCount: 3}
	if got != want {
		t.Fatalf("header %+v, want %+v", got, want)
	}
	g := New(testConfig())
	restored, err := g.Restore(bytes.NewReader(cp))
	if err != nil || restored != want {
		t.Fatalf("Restore header %+v, %v", restored, err)
	}
	if _, err := ReadCheckpointHeader(bytes.NewReader(cp[:10])); !errors.Is(err, ErrCorruptCheckpoint) {
		t.Fatalf("short header: %v", err)
	}
	roundTrip(t, g)
}

// TestRestoreReplacesState: restoring over a namespace that has other
// content leaves exactly the checkpoint's state.
func TestRestoreReplacesState(t *testing.T) {
	src := smallNamespace(t)
	dst := newHarness(t)
	dst.mustApply(mkdir("/other"), mountAt("/x", "mem://x"), touch("/f", opID(5, 5)))
	if _, err := dst.Restore(bytes.NewReader(checkpointBytes(t, src.FSM))); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(checkpointBytes(t, src.FSM), checkpointBytes(t, dst.FSM)) || dump(t, src.FSM) != dump(t, dst.FSM) {
		t.Fatal("restored state differs from the source")
	}
	// Both continue alike.
	for _, f := range []*FSM{src.FSM, dst.FSM} {
		f.Apply(9, touch("/a/new"))
	}
	if !bytes.Equal(checkpointBytes(t, src.FSM), checkpointBytes(t, dst.FSM)) {
		t.Fatal("diverged after the restore")
	}
}

// restoreMustFail restores cp into f and fails unless Restore refuses it
// with ErrCorruptCheckpoint and f's checkpoint stays as it was.
func restoreMustFail(t *testing.T, f *FSM, before, cp []byte, what string) {
	t.Helper()
	if _, err := f.Restore(bytes.NewReader(cp)); !errors.Is(err, ErrCorruptCheckpoint) {
		t.Fatalf("%s: Restore returned %v, want ErrCorruptCheckpoint", what, err)
	}
	if after := checkpointBytes(t, f); !bytes.Equal(before, after) {
		t.Fatalf("%s: a failed Restore changed the state", what)
	}
}

func TestRestoreRefusesEveryFlippedByte(t *testing.T) {
	cp := checkpointBytes(t, smallNamespace(t).FSM)
	target := newHarness(t)
	target.mustApply(mkdir("/keep"), touch("/keep/f", opID(1, 1)))
	before := checkpointBytes(t, target.FSM)
	for i := range cp {
		for _, mask := range []byte{0x01, 0x10, 0x80, 0xff} {
			bad := bytes.Clone(cp)
			bad[i] ^= mask
			restoreMustFail(t, target.FSM, before, bad, "flip")
		}
	}
}

func TestRestoreRefusesEveryTruncation(t *testing.T) {
	cp := checkpointBytes(t, smallNamespace(t).FSM)
	target := newHarness(t)
	target.mustApply(mkdir("/keep"))
	before := checkpointBytes(t, target.FSM)
	for n := 0; n < len(cp); n++ {
		restoreMustFail(t, target.FSM, before, cp[:n], "truncation")
	}
	restoreMustFail(t, target.FSM, before, append(bytes.Clone(cp), 0), "trailing byte")
}

// failingReader returns err after n bytes.
type failingReader struct {
	r   io.Reader
	n   int
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, f.err
	}
	p = p[:min(len(p), f.n)]
	n, err := f.r.Read(p)
	f.n -= n
	return n, err
}

func TestRestoreReadError(t *testing.T) {
	cp := checkpointBytes(t, smallNamespace(t).FSM)
	target := newHarness(t)
	before := checkpointBytes(t, target.FSM)
	_, err := target.Restore(&failingReader{r: bytes.NewReader(cp), n: len(cp) / 2, err: errors.New("disk on fire")})
	if err == nil {
		t.Fatal("Restore succeeded on a failing reader")
	}
	if !bytes.Equal(before, checkpointBytes(t, target.FSM)) {
		t.Fatal("a failed Restore changed the state")
	}
}

// rawRecord is one record of a hand-made checkpoint.
type rawRecord struct {
	kind byte
	msg  proto.Message
}

func inodeRec(r *journalpb.InodeRecord) rawRecord  { return rawRecord{recordInode, r} }
func mountRec(r *journalpb.MountRecord) rawRecord  { return rawRecord{recordMount, r} }
func opRec(r *journalpb.OperationRecord) rawRecord { return rawRecord{recordOperation, r} }
func opTable(enabled bool, maxRecords uint64) rawRecord {
	c := &journalpb.OperationTableConfigEntry{Enabled: enabled, MaxRecords: maxRecords, RetentionMs: 60_000}
	return rawRecord{recordOpTable, &journalpb.OperationTableRecord{Config: c}}
}
func opMark(client, below uint64) rawRecord {
	return rawRecord{recordOpMark, &journalpb.ForgottenOperationsRecord{ClientLo: client, ForgottenBelow: below, ForgottenAtMs: 500}}
}
func rootRec() rawRecord {
	return inodeRec(&journalpb.InodeRecord{Id: 1, IsDirectory: true, Mode: 0o755})
}
func dirRec(id, parent uint64, name string) rawRecord {
	return inodeRec(&journalpb.InodeRecord{Id: id, ParentId: parent, Name: name, IsDirectory: true})
}
func fileRec(id, parent uint64, name string) rawRecord {
	return inodeRec(&journalpb.InodeRecord{Id: id, ParentId: parent, Name: name})
}

// craft writes a checkpoint with a valid checksum around records, with a
// header that agrees with them unless tweak changes it.
func craft(tweak func(*CheckpointHeader), recs ...rawRecord) []byte {
	h := CheckpointHeader{Version: checkpointVersion, NextInodeID: 2, NextMountID: 1}
	var body []byte
	for _, r := range recs {
		b, err := marshalDeterministic.Marshal(r.msg)
		if err != nil {
			panic(err)
		}
		body = append(body, r.kind)
		body = binary.AppendUvarint(body, uint64(len(b)))
		body = append(body, b...)
		switch m := r.msg.(type) {
		case *journalpb.InodeRecord:
			h.InodeCount++
			h.NextInodeID = max(h.NextInodeID, m.Id+1)
		case *journalpb.MountRecord:
			h.MountCount++
			h.NextMountID = max(h.NextMountID, m.MountId+1)
		case *journalpb.OperationRecord:
			h.OpCount++
		}
	}
	if tweak != nil {
		tweak(&h)
	}
	out := append(h.marshal(), body...)
	out = append(out, recordEnd)
	return binary.BigEndian.AppendUint32(out, crc32.Checksum(out, castagnoli))
}

func TestRestoreRefusesInconsistentCheckpoints(t *testing.T) {
	mountPoint := func(id, parent uint64, name string, mountID uint64) rawRecord {
		return inodeRec(&journalpb.InodeRecord{Id: id, ParentId: parent, Name: name, IsDirectory: true, MountPoint: true, MountId: mountID})
	}
	op := func(seq uint64) rawRecord {
		return opRec(&journalpb.OperationRecord{OpId: &journalpb.OperationID{ClientLo: 1, Seq: seq}})
	}
	valid := []rawRecord{rootRec(), dirRec(2, 1, "d"), fileRec(3, 2, "f"), mountPoint(4, 1, "m", 1),
		mountRec(&journalpb.MountRecord{MountId: 1, Path: "/m", UfsUri: "mem://m"}), op(1)}
	cases := []struct {
		name  string
		cp    []byte
		valid bool
	}{
		{name: "valid", cp: craft(nil, valid...), valid: true},
		{name: "valid, children in any order", cp: craft(nil, rootRec(), fileRec(3, 1, "z"), dirRec(2, 1, "a"), fileRec(4, 2, "x")), valid: true},
		{name: "bad magic", cp: func() []byte { b := craft(nil, rootRec()); b[0] = 'X'; return b }()},
		{name: "newer version", cp: craft(func(h *CheckpointHeader) { h.Version = checkpointVersion + 1 }, rootRec())},
		{name: "version 0", cp: craft(func(h *CheckpointHeader) { h.Version = 0 }, rootRec())},
		{name: "valid operation table", cp: craft(nil, rootRec(), opTable(true, 3), op(1), op(3), opMark(1, 1), opMark(2, 5)), valid: true},
		{name: "operation table after operations", cp: craft(nil, rootRec(), op(1), opTable(true, 3))},
		{name: "two operation table records", cp: craft(nil, rootRec(), opTable(true, 3), opTable(true, 3))},
		{name: "operation table without limits", cp: craft(nil, rootRec(), rawRecord{recordOpTable, &journalpb.OperationTableRecord{}})},
		{name: "operation table with a bad size", cp: craft(nil, rootRec(), opTable(true, 0))},
		{name: "operations in a disabled table", cp: craft(nil, rootRec(), opTable(false, 3), op(1))},
		{name: "operation after a mark", cp: craft(nil, rootRec(), opMark(2, 5), op(1))},
		{name: "mark that forgets nothing", cp: craft(nil, rootRec(), opMark(2, 0))},
		{name: "two marks of a client", cp: craft(nil, rootRec(), opMark(2, 5), opMark(2, 6))},
		{name: "more marks than the table holds", cp: craft(nil, rootRec(), opTable(true, 1), opMark(2, 5), opMark(3, 5))},
		{name: "no inodes", cp: craft(nil)},
		{name: "root not first", cp: craft(nil, dirRec(2, 1, "d"), rootRec())},
		{name: "root with a name", cp: craft(nil, inodeRec(&journalpb.InodeRecord{Id: 1, IsDirectory: true, Name: "r"}))},
		{name: "root is a file", cp: craft(nil, inodeRec(&journalpb.InodeRecord{Id: 1}))},
		{name: "orphan", cp: craft(nil, rootRec(), fileRec(3, 2, "f"))},
		{name: "parent is a file", cp: craft(nil, rootRec(), fileRec(2, 1, "f"), fileRec(3, 2, "g"))},
		{name: "parent closed before", cp: craft(nil, rootRec(), dirRec(2, 1, "a"), dirRec(3, 1, "b"), fileRec(4, 2, "late"))},
		{name: "duplicate name", cp: craft(nil, rootRec(), fileRec(2, 1, "f"), dirRec(3, 1, "f"))},
		{name: "duplicate file id", cp: craft(nil, rootRec(), fileRec(2, 1, "f"), fileRec(2, 1, "g"))},
		{name: "duplicate directory id", cp: craft(nil, rootRec(), dirRec(2, 1, "a"), dirRec(2, 1, "b"))},
		{name: "root id reused", cp: craft(nil, rootRec(), fileRec(1, 1, "f"))},
		{name: "id zero", cp: craft(nil, rootRec(), fileRec(0, 1, "f"))},
		{name: "name with a slash", cp: craft(nil, rootRec(), fileRec(2, 1, "a/b"))},
		{name: "empty name", cp: craft(nil, rootRec(), fileRec(2, 1, ""))},
		{name: "dot dot name", cp: craft(nil, rootRec(), fileRec(2, 1, ".."))},
		{name: "NUL in a name", cp: craft(nil, rootRec(), fileRec(2, 1, "a\x00"))},
		{name: "mode beyond permission bits", cp: craft(nil, rootRec(), inodeRec(&journalpb.InodeRecord{Id: 2, ParentId: 1, Name: "f", Mode: 0o170644}))},
		{name: "unknown persistence state", cp: craft(nil, rootRec(), inodeRec(&journalpb.InodeRecord{Id: 2, ParentId: 1, Name: "f", PersistenceState: 9}))},
		{name: "directory with blocks", cp: craft(nil, rootRec(), inodeRec(&journalpb.InodeRecord{Id: 2, ParentId: 1, Name: "d", IsDirectory: true, BlockIds: []uint64{1}}))},
		{name: "next inode id in use", cp: craft(func(h *CheckpointHeader) { h.NextInodeID = 3 }, rootRec(), fileRec(3, 1, "f"))},
		{name: "inode count low", cp: craft(func(h *CheckpointHeader) { h.InodeCount-- }, valid...)},
		{name: "inode count high", cp: craft(func(h *CheckpointHeader) { h.InodeCount++ }, valid...)},
		{name: "mount count", cp: craft(func(h *CheckpointHeader) { h.MountCount = 0 }, valid...)},
		{name: "operation count", cp: craft(func(h *CheckpointHeader) { h.OpCount = 2 }, valid...)},
		{name: "mount without its inode", cp: craft(nil, rootRec(), dirRec(2, 1, "m"), mountRec(&journalpb.MountRecord{MountId: 1, Path: "/m", UfsUri: "mem://m"}))},
		{name: "mount point inode without its mount", cp: craft(nil, rootRec(), mountPoint(2, 1, "m", 1))},
		{name: "mount id without the mount point flag", cp: craft(nil, rootRec(), inodeRec(&journalpb.InodeRecord{Id: 2, ParentId: 1, Name: "m", IsDirectory: true, MountId: 1}),
			mountRec(&journalpb.MountRecord{MountId: 1, Path: "/m", UfsUri: "mem://m"}))},
		{name: "file as mount point", cp: craft(nil, rootRec(), inodeRec(&journalpb.InodeRecord{Id: 2, ParentId: 1, Name: "m", MountPoint: true, MountId: 1}),
			mountRec(&journalpb.MountRecord{MountId: 1, Path: "/m", UfsUri: "mem://m"}))},
		{name: "mount id mismatch", cp: craft(nil, rootRec(), mountPoint(2, 1, "m", 1), mountRec(&journalpb.MountRecord{MountId: 2, Path: "/m", UfsUri: "mem://m"}))},
		{name: "duplicate mount id", cp: craft(nil, rootRec(), mountPoint(2, 1, "m", 1), mountPoint(3, 1, "n", 2),
			mountRec(&journalpb.MountRecord{MountId: 1, Path: "/m", UfsUri: "mem://m"}), mountRec(&journalpb.MountRecord{MountId: 1, Path: "/n", UfsUri: "mem://n"}))},
		{name: "mount with a bad path", cp: craft(nil, rootRec(), mountRec(&journalpb.MountRecord{MountId: 1, Path: "m", UfsUri: "mem://m"}))},
		{name: "mount with no URI", cp: craft(nil, rootRec(), mountPoint(2, 1, "m", 1), mountRec(&journalpb.MountRecord{MountId: 1, Path: "/m"}))},
		{name: "next mount id in use", cp: craft(func(h *CheckpointHeader) { h.NextMountID = 1 }, valid...)},
		{name: "operation without an id", cp: craft(nil, rootRec(), opRec(&journalpb.OperationRecord{ErrorCode: 1}))},
		{name: "duplicate operation id", cp: craft(nil, rootRec(), op(1), op(2), op(1))},
		{name: "unknown record kind", cp: craft(nil, rootRec(), rawRecord{9, &journalpb.NoopEntry{}})},
		{name: "record that does not parse", cp: craft(nil, rootRec(), rawRecord{recordInode, &journalpb.OperationRecord{ErrorMessage: "x"}})},
		{name: "huge record length", cp: func() []byte {
			out := append(CheckpointHeader{Version: 1, InodeCount: 1, NextInodeID: 2, NextMountID: 1}.marshal(), recordInode)
			out = binary.AppendUvarint(out, maxCheckpointRecord+1)
			return out
		}()},
		{name: "record length beyond the data", cp: func() []byte {
			out := append(CheckpointHeader{Version: 1, InodeCount: 1, NextInodeID: 2, NextMountID: 1}.marshal(), recordInode)
			out = binary.AppendUvarint(out, maxCheckpointRecord)
			return append(out, make([]byte, 100)...)
		}()},
	}
	target := newHarness(t)
	target.mustApply(mkdir("/keep"))
	before := checkpointBytes(t, target.FSM)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.valid {
				restoreMustFail(t, target.FSM, before, tc.cp, tc.name)
				return
			}
			g := New(testConfig())
			if _, err := g.Restore(bytes.NewReader(tc.cp)); err != nil {
				t.Fatalf("valid checkpoint refused: %v", err)
			}
			roundTrip(t, g)
		})
	}
}
