package fsm

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/proto/journalpb"
	"google.golang.org/protobuf/proto"
)

// Callers used throughout the tests. The leader resolves groups and the
// superuser flag before it journals an entry, so tests stamp them directly.
var (
	superuser = &journalpb.Caller{User: "root", Groups: []string{"root"}, Superuser: true}
	alice     = &journalpb.Caller{User: "alice", Groups: []string{"staff", "dev"}}
	bob       = &journalpb.Caller{User: "bob", Groups: []string{"staff"}}
	carol     = &journalpb.Caller{User: "carol", Groups: []string{"ops"}}
)

// testTime is the time stamped into entries unless a test says otherwise.
const testTime int64 = 1_000

// entryOpt adjusts an entry built by one of the builders below.
type entryOpt func(*journalpb.Entry)

// as sets the caller; nil means an internal, unchecked caller.
func as(c *journalpb.Caller) entryOpt { return func(e *journalpb.Entry) { e.Caller = c } }

// at sets the leader-stamped time.
func at(ms int64) entryOpt { return func(e *journalpb.Entry) { e.TimeMs = ms } }

// opID tags the entry with an operation id for exactly-once retries.
func opID(client, seq uint64) entryOpt {
	return func(e *journalpb.Entry) {
		e.OpId = &journalpb.OperationID{ClientHi: client >> 32, ClientLo: client, Seq: seq}
	}
}

// recursive sets the recursive flag of whichever payload has one.
func recursive(e *journalpb.Entry) {
	switch p := e.Payload.(type) {
	case *journalpb.Entry_CreateFile:
		p.CreateFile.Recursive = true
	case *journalpb.Entry_CreateDirectory:
		p.CreateDirectory.Recursive = true
	case *journalpb.Entry_Delete:
		p.Delete.Recursive = true
	case *journalpb.Entry_SetAttribute:
		p.SetAttribute.Recursive = true
	default:
		panic(fmt.Sprintf("recursive: %T has no recursive flag", p))
	}
}

func allowExists(e *journalpb.Entry) { e.GetCreateDirectory().AllowExists = true }

// withMode sets the permission bits of a create or mount.
func withMode(mode uint32) entryOpt {
	return func(e *journalpb.Entry) {
		switch p := e.Payload.(type) {
		case *journalpb.Entry_CreateFile:
			p.CreateFile.Mode = mode
		case *journalpb.Entry_CreateDirectory:
			p.CreateDirectory.Mode = mode
		case *journalpb.Entry_AddMountPoint:
			p.AddMountPoint.Mode = mode
		default:
			panic(fmt.Sprintf("withMode: %T has no mode", p))
		}
	}
}

func readOnly(e *journalpb.Entry) { e.GetAddMountPoint().ReadOnly = true }

func build(payload any, opts []entryOpt) *journalpb.Entry {
	e := &journalpb.Entry{TimeMs: testTime, Caller: superuser}
	switch p := payload.(type) {
	case *journalpb.CreateFileEntry:
		e.Payload = &journalpb.Entry_CreateFile{CreateFile: p}
	case *journalpb.CreateDirectoryEntry:
		e.Payload = &journalpb.Entry_CreateDirectory{CreateDirectory: p}
	case *journalpb.RenameEntry:
		e.Payload = &journalpb.Entry_Rename{Rename: p}
	case *journalpb.DeleteEntry:
		e.Payload = &journalpb.Entry_Delete{Delete: p}
	case *journalpb.SetAttributeEntry:
		e.Payload = &journalpb.Entry_SetAttribute{SetAttribute: p}
	case *journalpb.CompleteFileEntry:
		e.Payload = &journalpb.Entry_CompleteFile{CompleteFile: p}
	case *journalpb.AddMountPointEntry:
		e.Payload = &journalpb.Entry_AddMountPoint{AddMountPoint: p}
	case *journalpb.DeleteMountPointEntry:
		e.Payload = &journalpb.Entry_DeleteMountPoint{DeleteMountPoint: p}
	case *journalpb.LoadMetadataEntry:
		e.Payload = &journalpb.Entry_LoadMetadata{LoadMetadata: p}
	case *journalpb.NoopEntry:
		e.Payload = &journalpb.Entry_Noop{Noop: p}
	case *journalpb.ClusterInfoEntry:
		e.Payload = &journalpb.Entry_ClusterInfo{ClusterInfo: p}
	case nil:
	default:
		panic(fmt.Sprintf("build: unknown payload %T", p))
	}
	for _, o := range opts {
		o(e)
	}
	return e
}

// Entry builders, one per kind. By default the caller is the superuser,
// the time testTime, and there is no operation id.
func mkdir(path string, opts ...entryOpt) *journalpb.Entry {
	return build(&journalpb.CreateDirectoryEntry{Path: path, Mode: 0o755}, opts)
}

func create(path string, opts ...entryOpt) *journalpb.Entry {
	return build(&journalpb.CreateFileEntry{Path: path, Mode: 0o644}, opts)
}

// touch creates an empty, completed file.
func touch(path string, opts ...entryOpt) *journalpb.Entry {
	return build(&journalpb.CreateFileEntry{Path: path, Mode: 0o644, Completed: true}, opts)
}

func rename(src, dst string, opts ...entryOpt) *journalpb.Entry {
	return build(&journalpb.RenameEntry{Src: src, Dst: dst}, opts)
}

func remove(path string, opts ...entryOpt) *journalpb.Entry {
	return build(&journalpb.DeleteEntry{Path: path}, opts)
}

func setAttr(attr *journalpb.SetAttributeEntry, opts ...entryOpt) *journalpb.Entry {
	return build(attr, opts)
}

func chmod(path string, mode uint32, opts ...entryOpt) *journalpb.Entry {
	return setAttr(&journalpb.SetAttributeEntry{Path: path, HasMode: true, Mode: mode}, opts...)
}

func chown(path, owner string, opts ...entryOpt) *journalpb.Entry {
	return setAttr(&journalpb.SetAttributeEntry{Path: path, HasOwner: true, Owner: owner}, opts...)
}

func chgrp(path, group string, opts ...entryOpt) *journalpb.Entry {
	return setAttr(&journalpb.SetAttributeEntry{Path: path, HasGroup: true, Group: group}, opts...)
}

func complete(path string, length int64, blocks []uint64, opts ...entryOpt) *journalpb.Entry {
	return build(&journalpb.CompleteFileEntry{Path: path, Length: length, BlockIds: blocks}, opts)
}

func mountAt(path, uri string, opts ...entryOpt) *journalpb.Entry {
	return build(&journalpb.AddMountPointEntry{Path: path, UfsUri: uri, Owner: "hdfs", Group: "hadoop", Mode: 0o755}, opts)
}

func unmount(path string, opts ...entryOpt) *journalpb.Entry {
	return build(&journalpb.DeleteMountPointEntry{Path: path}, opts)
}

func loadMetadata(path string, children []*journalpb.UfsChild, opts ...entryOpt) *journalpb.Entry {
	return build(&journalpb.LoadMetadataEntry{Path: path, Children: children}, opts)
}

func ufsDir(rel string) *journalpb.UfsChild {
	return &journalpb.UfsChild{RelPath: rel, IsDirectory: true, Owner: "hdfs", Group: "hadoop", Mode: 0o755, MtimeMs: 77}
}

func ufsFile(rel string, length int64) *journalpb.UfsChild {
	return &journalpb.UfsChild{RelPath: rel, Length: length, Owner: "hdfs", Group: "hadoop", Mode: 0o644, MtimeMs: 88}
}

func noop(opts ...entryOpt) *journalpb.Entry { return build(&journalpb.NoopEntry{}, opts) }

// testConfig makes "/" writable by everyone, so that ordinary callers can
// build trees in tests that are not about the root's permissions.
func testConfig() Config {
	cfg := DefaultConfig()
	cfg.RootMode = 0o777
	return cfg
}

// harness is an FSM plus the next journal index to apply at.
type harness struct {
	t testing.TB
	*FSM
	index uint64
}

func newHarness(t testing.TB) *harness {
	return &harness{t: t, FSM: New(testConfig())}
}

// apply applies entries at the next journal indexes and returns the last
// result.
func (h *harness) apply(entries ...*journalpb.Entry) Result {
	h.t.Helper()
	var res Result
	for _, e := range entries {
		h.index++
		res = h.Apply(h.index, e)
	}
	return res
}

// mustApply applies entries and fails the test if any fails.
func (h *harness) mustApply(entries ...*journalpb.Entry) {
	h.t.Helper()
	for _, e := range entries {
		h.index++
		if res := h.Apply(h.index, e); res.Err != nil {
			h.t.Fatalf("setup entry %v: %v", e, res.Err)
		}
	}
}

// checkpointBytes writes f's checkpoint and returns it.
func checkpointBytes(t testing.TB, f *FSM) []byte {
	t.Helper()
	var buf bytes.Buffer
	h, err := f.WriteCheckpoint(&buf)
	if err != nil {
		t.Fatalf("WriteCheckpoint: %v", err)
	}
	if h.AppliedIndex != f.AppliedIndex() || h.InodeCount != f.InodeCount() {
		t.Fatalf("checkpoint header %+v disagrees with the FSM (index %d, %d inodes)", h, f.AppliedIndex(), f.InodeCount())
	}
	return buf.Bytes()
}

// roundTrip writes f's checkpoint, restores it into a fresh FSM with the
// same configuration, checks that the fresh FSM writes identical bytes and
// answers the same listing, and returns it.
func roundTrip(t testing.TB, f *FSM) *FSM {
	t.Helper()
	before := checkpointBytes(t, f)
	g := New(f.cfg)
	h, err := g.Restore(bytes.NewReader(before))
	if err != nil {
		t.Fatalf("Restore of a checkpoint just written: %v", err)
	}
	if h.AppliedIndex != f.AppliedIndex() || g.AppliedIndex() != f.AppliedIndex() {
		t.Fatalf("restored applied index %d (header %d), want %d", g.AppliedIndex(), h.AppliedIndex, f.AppliedIndex())
	}
	if g.InodeCount() != f.InodeCount() {
		t.Fatalf("restored %d inodes, want %d", g.InodeCount(), f.InodeCount())
	}
	if after := checkpointBytes(t, g); !bytes.Equal(before, after) {
		t.Fatalf("checkpoint of the restored FSM differs: %d bytes before, %d after", len(before), len(after))
	}
	if a, b := dump(t, f), dump(t, g); a != b {
		t.Fatalf("restored namespace lists differently:\n--- original\n%s--- restored\n%s", a, b)
	}
	return g
}

// dump renders the whole namespace and mount table as text, one line per
// inode, for comparisons and readable failures.
func dump(t testing.TB, f *FSM) string {
	t.Helper()
	var sb strings.Builder
	root, err := f.GetStatus(nil, "/")
	if err != nil {
		t.Fatalf("GetStatus(/): %v", err)
	}
	writeInfo(&sb, root)
	err = f.ListStatus(nil, "/", true, func(fi *journalpb.FileStatus) error {
		writeInfo(&sb, fi)
		return nil
	})
	if err != nil {
		t.Fatalf("ListStatus(/): %v", err)
	}
	for _, m := range f.MountTable() {
		fmt.Fprintf(&sb, "mount %v\n", m)
	}
	return sb.String()
}

func writeInfo(sb *strings.Builder, fi *journalpb.FileStatus) {
	fmt.Fprintf(sb, "%s id=%d dir=%t %s:%s %04o len=%d c=%d m=%d done=%t pin=%t ttl=%d p=%v blocks=%v bs=%d mnt=%t/%d ufs=%q n=%d\n",
		fi.Path, fi.Id, fi.IsDirectory, fi.Owner, fi.Group, fi.Mode, fi.Length, fi.CreationTimeMs, fi.LastModificationTimeMs,
		fi.Completed, fi.Pinned, fi.TtlMs, fi.PersistenceState, fi.BlockIds, fi.BlockSizeBytes, fi.MountPoint, fi.MountId, fi.UfsPath, fi.ChildCount)
}

// stat returns path's attributes as the superuser sees them, failing the
// test if it does not exist.
func stat(t testing.TB, f *FSM, path string) *journalpb.FileStatus {
	t.Helper()
	fi, err := f.GetStatus(nil, path)
	if err != nil {
		t.Fatalf("GetStatus(%s): %v", path, err)
	}
	return fi
}

// exists reports whether path exists, failing on any error but NotFound.
func exists(t testing.TB, f *FSM, path string) bool {
	t.Helper()
	_, err := f.GetStatus(nil, path)
	switch fserr.CodeOf(err) {
	case fserr.OK:
		return true
	case fserr.NotFound:
		return false
	}
	t.Fatalf("GetStatus(%s): %v", path, err)
	return false
}

// list returns the paths under dir (all descendants when recursive).
func list(t testing.TB, f *FSM, dir string, rec bool) []string {
	t.Helper()
	var out []string
	err := f.ListStatus(nil, dir, rec, func(fi *journalpb.FileStatus) error {
		out = append(out, fi.Path)
		return nil
	})
	if err != nil {
		t.Fatalf("ListStatus(%s): %v", dir, err)
	}
	return out
}

// wantCode fails the test unless err has code want.
func wantCode(t testing.TB, err error, want fserr.Code) {
	t.Helper()
	if got := fserr.CodeOf(err); got != want {
		t.Fatalf("error code %v (%v), want %v", got, err, want)
	}
}

// opCase is one row of an operation table test: entries applied first
// (each must succeed), the entry under test, the code it must give, and a
// check of the resulting state. The check runs on the round-tripped FSM, so
// every case also tests checkpoint and restore.
type opCase struct {
	name  string
	setup []*journalpb.Entry
	op    *journalpb.Entry
	want  fserr.Code
	check func(t *testing.T, f *FSM, res Result)
}

// runOpCases runs table rows. The entry under test is applied without a
// journal index so that, when it fails, the checkpoint must be byte for
// byte what it was before.
func runOpCases(t *testing.T, cases []opCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.mustApply(tc.setup...)
			before := checkpointBytes(t, h.FSM)
			res := h.Apply(0, proto.Clone(tc.op).(*journalpb.Entry))
			wantCode(t, res.Error(), tc.want)
			if tc.want != fserr.OK {
				if res.Err.Message == "" {
					t.Errorf("error %v has no message", res.Err.Code)
				}
				if after := checkpointBytes(t, h.FSM); !bytes.Equal(before, after) {
					t.Fatalf("failed %v changed the state:\nbefore:\n%s", tc.op, dumpBytes(t, before))
				}
			}
			g := roundTrip(t, h.FSM)
			if tc.check != nil {
				tc.check(t, g, res)
			}
		})
	}
}

// dumpBytes renders a checkpoint's namespace for failure messages.
func dumpBytes(t testing.TB, cp []byte) string {
	t.Helper()
	f := New(testConfig())
	if _, err := f.Restore(bytes.NewReader(cp)); err != nil {
		return fmt.Sprintf("(cannot restore: %v)", err)
	}
	return dump(t, f)
}
