package fsm

import (
	"slices"
	"testing"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/proto/journalpb"
)

func TestCreateFile(t *testing.T) {
	runOpCases(t, []opCase{
		{
			name: "in root",
			op:   create("/f", as(alice), at(5)),
			check: func(t *testing.T, f *FSM, res Result) {
				fi := stat(t, f, "/f")
				if fi.Id != res.InodeID || fi.IsDirectory || fi.Completed || fi.Owner != "alice" || fi.Group != "staff" ||
					fi.Mode != 0o644 || fi.CreationTimeMs != 5 || fi.LastModificationTimeMs != 5 || fi.Name != "f" || fi.Path != "/f" {
					t.Errorf("got %v", fi)
				}
				if root := stat(t, f, "/"); root.LastModificationTimeMs != 5 || root.ChildCount != 1 {
					t.Errorf("root after create: %v", root)
				}
				if f.InodeCount() != 2 {
					t.Errorf("InodeCount = %d, want 2", f.InodeCount())
				}
			},
		},
		{
			name: "completed with attributes",
			op: build(&journalpb.CreateFileEntry{Path: "/f", Mode: 0o600, Completed: true, Pinned: true, TtlMs: 9, BlockSizeBytes: 64 << 20},
				[]entryOpt{as(bob)}),
			check: func(t *testing.T, f *FSM, _ Result) {
				fi := stat(t, f, "/f")
				if !fi.Completed || !fi.Pinned || fi.TtlMs != 9 || fi.BlockSizeBytes != 64<<20 || fi.Mode != 0o600 || fi.Owner != "bob" {
					t.Errorf("got %v", fi)
				}
			},
		},
		{
			name: "written through to the UFS",
			op:   build(&journalpb.CreateFileEntry{Path: "/f", Mode: 0o644, Persisted: true}, nil),
			check: func(t *testing.T, f *FSM, _ Result) {
				if fi := stat(t, f, "/f"); fi.PersistenceState != journalpb.PersistenceState_PERSISTED || fi.Completed {
					t.Errorf("got %v, want an incomplete PERSISTED file", fi)
				}
			},
		},
		{
			name: "mode above permission bits is masked",
			op:   create("/f", withMode(0o170644)),
			check: func(t *testing.T, f *FSM, _ Result) {
				if m := stat(t, f, "/f").Mode; m != 0o644 {
					t.Errorf("mode %o, want 644", m)
				}
			},
		},
		{
			name:  "file exists",
			setup: []*journalpb.Entry{touch("/f")},
			op:    create("/f"),
			want:  fserr.AlreadyExists,
		},
		{
			name:  "directory exists",
			setup: []*journalpb.Entry{mkdir("/d")},
			op:    create("/d", recursive),
			want:  fserr.AlreadyExists,
		},
		{
			name: "missing parent",
			op:   create("/a/b/f"),
			want: fserr.NotFound,
		},
		{
			name: "recursive makes parents",
			op:   create("/a/b/f", recursive, as(alice), at(7)),
			check: func(t *testing.T, f *FSM, res Result) {
				if got, want := list(t, f, "/", true), []string{"/a", "/a/b", "/a/b/f"}; !slices.Equal(got, want) {
					t.Fatalf("tree %v, want %v", got, want)
				}
				for _, p := range []string{"/a", "/a/b"} {
					fi := stat(t, f, p)
					// Whoever may read the file may reach it.
					if !fi.IsDirectory || fi.Mode != 0o755 || fi.Owner != "alice" || fi.CreationTimeMs != 7 {
						t.Errorf("parent %s: %v", p, fi)
					}
				}
				if fi := stat(t, f, "/a/b/f"); fi.Id != res.InodeID || fi.Mode != 0o644 {
					t.Errorf("file: %v (result id %d)", fi, res.InodeID)
				}
				if f.InodeCount() != 4 {
					t.Errorf("InodeCount = %d, want 4", f.InodeCount())
				}
			},
		},
		{
			name: "recursive, private file",
			op:   create("/a/f", recursive, withMode(0o600)),
			check: func(t *testing.T, f *FSM, _ Result) {
				if m := stat(t, f, "/a").Mode; m != 0o700 {
					t.Errorf("parent mode %o, want 700", m)
				}
			},
		},
		{
			name: "recursive, unreadable file",
			op:   create("/a/f", recursive, withMode(0o000)),
			check: func(t *testing.T, f *FSM, _ Result) {
				if m := stat(t, f, "/a").Mode; m != 0o300 {
					t.Errorf("parent mode %o, want 300 (the owner can still create inside)", m)
				}
			},
		},
		{
			name:  "recursive through a file",
			setup: []*journalpb.Entry{touch("/a")},
			op:    create("/a/b/f", recursive),
			want:  fserr.InvalidPath,
		},
		{
			name:  "parent is a file",
			setup: []*journalpb.Entry{touch("/a")},
			op:    create("/a/f"),
			want:  fserr.InvalidPath,
		},
		{name: "at root", op: create("/"), want: fserr.InvalidPath},
		{name: "relative path", op: create("f"), want: fserr.InvalidPath},
		{name: "dot dot", op: create("/a/../f"), want: fserr.InvalidPath},
		{
			name:  "under a read-only mount",
			setup: []*journalpb.Entry{mountAt("/ro", "mem://ro", readOnly)},
			op:    create("/ro/f"),
			want:  fserr.PermissionDenied,
		},
	})
}

func TestCreateDirectory(t *testing.T) {
	runOpCases(t, []opCase{
		{
			name: "in root",
			op:   mkdir("/d", as(bob), at(3), withMode(0o750)),
			check: func(t *testing.T, f *FSM, res Result) {
				fi := stat(t, f, "/d")
				if fi.Id != res.InodeID || !fi.IsDirectory || !fi.Completed || fi.Owner != "bob" || fi.Group != "staff" ||
					fi.Mode != 0o750 || fi.CreationTimeMs != 3 || fi.ChildCount != 0 {
					t.Errorf("got %v", fi)
				}
			},
		},
		{
			name:  "exists",
			setup: []*journalpb.Entry{mkdir("/d")},
			op:    mkdir("/d"),
			want:  fserr.AlreadyExists,
		},
		{
			name:  "exists, allowed",
			setup: []*journalpb.Entry{mkdir("/d", at(1))},
			op:    mkdir("/d", allowExists, at(2), withMode(0o700)),
			check: func(t *testing.T, f *FSM, res Result) {
				fi := stat(t, f, "/d")
				if fi.Id != res.InodeID || fi.Mode != 0o755 || fi.CreationTimeMs != 1 {
					t.Errorf("existing directory changed or wrong id: %v (result id %d)", fi, res.InodeID)
				}
			},
		},
		{
			name:  "file exists, allow_exists does not cover it",
			setup: []*journalpb.Entry{touch("/d")},
			op:    mkdir("/d", allowExists),
			want:  fserr.AlreadyExists,
		},
		{name: "root", op: mkdir("/"), want: fserr.AlreadyExists},
		{
			name: "root, allowed",
			op:   mkdir("/", allowExists),
			check: func(t *testing.T, _ *FSM, res Result) {
				if res.InodeID != RootInodeID {
					t.Errorf("id %d, want the root's", res.InodeID)
				}
			},
		},
		{name: "missing parent", op: mkdir("/a/b"), want: fserr.NotFound},
		{
			name:  "recursive over existing parents",
			setup: []*journalpb.Entry{mkdir("/a", at(1))},
			op:    mkdir("/a/b/c", recursive, at(2)),
			check: func(t *testing.T, f *FSM, _ Result) {
				if got, want := list(t, f, "/", true), []string{"/a", "/a/b", "/a/b/c"}; !slices.Equal(got, want) {
					t.Fatalf("tree %v, want %v", got, want)
				}
				if a := stat(t, f, "/a"); a.CreationTimeMs != 1 || a.LastModificationTimeMs != 2 {
					t.Errorf("/a: %v", a)
				}
			},
		},
		{
			name: "recursive parents take no special bits",
			op:   mkdir("/t/tmp", recursive, withMode(0o1777)),
			check: func(t *testing.T, f *FSM, _ Result) {
				if m := stat(t, f, "/t").Mode; m != 0o777 {
					t.Errorf("parent mode %o, want 777", m)
				}
				if m := stat(t, f, "/t/tmp").Mode; m != 0o1777 {
					t.Errorf("mode %o, want 1777", m)
				}
			},
		},
		{
			name:  "recursive, all exist",
			setup: []*journalpb.Entry{mkdir("/a/b", recursive)},
			op:    mkdir("/a/b", recursive),
			want:  fserr.AlreadyExists,
		},
		{
			name:  "recursive, all exist, allowed",
			setup: []*journalpb.Entry{mkdir("/a/b", recursive)},
			op:    mkdir("/a/b", recursive, allowExists),
		},
		{
			name:  "recursive through a file",
			setup: []*journalpb.Entry{touch("/a")},
			op:    mkdir("/a/b/c", recursive),
			want:  fserr.InvalidPath,
		},
		{name: "double slash", op: mkdir("/a//b"), want: fserr.InvalidPath},
		{name: "empty path", op: mkdir(""), want: fserr.InvalidPath},
		{
			name:  "under a read-only mount, recursive",
			setup: []*journalpb.Entry{mountAt("/ro", "mem://ro", readOnly)},
			op:    mkdir("/ro/a/b", recursive),
			want:  fserr.PermissionDenied,
		},
	})
}

func TestCompleteFile(t *testing.T) {
	runOpCases(t, []opCase{
		{
			name:  "incomplete file",
			setup: []*journalpb.Entry{create("/f", as(alice), at(1))},
			op:    complete("/f", 300, []uint64{11, 12}, as(alice), at(9)),
			check: func(t *testing.T, f *FSM, res Result) {
				fi := stat(t, f, "/f")
				if !fi.Completed || fi.Length != 300 || !slices.Equal(fi.BlockIds, []uint64{11, 12}) ||
					fi.LastModificationTimeMs != 9 || fi.CreationTimeMs != 1 || fi.Id != res.InodeID {
					t.Errorf("got %v", fi)
				}
			},
		},
		{
			name:  "already complete",
			setup: []*journalpb.Entry{touch("/f")},
			op:    complete("/f", 1, nil),
			want:  fserr.FailedPrecondition,
		},
		{
			name:  "directory",
			setup: []*journalpb.Entry{mkdir("/d")},
			op:    complete("/d", 0, nil),
			want:  fserr.InvalidArgument,
		},
		{
			name:  "negative length",
			setup: []*journalpb.Entry{create("/f")},
			op:    complete("/f", -1, nil),
			want:  fserr.InvalidArgument,
		},
		{
			name:  "asynchronously persisted: queued for the persister",
			setup: []*journalpb.Entry{create("/d/f", recursive)},
			op:    build(&journalpb.CompleteFileEntry{Path: "/d/f", Length: 5, ToBePersisted: true}, nil),
			check: func(t *testing.T, f *FSM, _ Result) {
				if fi := stat(t, f, "/d/f"); fi.PersistenceState != journalpb.PersistenceState_TO_BE_PERSISTED {
					t.Errorf("got %v, want TO_BE_PERSISTED", fi)
				}
				if got := f.ToPersist(); !slices.Equal(got, []string{"/d/f"}) {
					t.Errorf("ToPersist = %v, want [/d/f]", got)
				}
				if res := f.Apply(100, rename("/d", "/e")); res.Err != nil {
					t.Fatal(res.Err)
				}
				if got := f.ToPersist(); !slices.Equal(got, []string{"/e/f"}) {
					t.Errorf("ToPersist after a rename = %v, want [/e/f]", got)
				}
				if res := f.Apply(101, setAttr(&journalpb.SetAttributeEntry{Path: "/e/f", HasPersisted: true, Persisted: true})); res.Err != nil {
					t.Fatal(res.Err)
				}
				if got := f.ToPersist(); len(got) != 0 {
					t.Errorf("ToPersist once persisted = %v, want none", got)
				}
			},
		},
		{name: "missing", op: complete("/f", 0, nil), want: fserr.NotFound},
		{
			name:  "not writable by caller",
			setup: []*journalpb.Entry{create("/f", as(alice))},
			op:    complete("/f", 0, nil, as(carol)),
			want:  fserr.PermissionDenied,
		},
	})
}
