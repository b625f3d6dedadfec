package fsm

import (
	"slices"
	"strings"
	"testing"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/proto/journalpb"
)

func TestRename(t *testing.T) {
	tree := []*journalpb.Entry{
		mkdir("/a", at(1)), mkdir("/a/b", at(1)), touch("/a/b/f", at(1)), mkdir("/c", at(1)), touch("/c/g", at(1)),
	}
	withTree := func(more ...*journalpb.Entry) []*journalpb.Entry { return append(slices.Clone(tree), more...) }
	cases := []opCase{
		{
			name:  "file within a directory",
			setup: tree,
			op:    rename("/a/b/f", "/a/b/f2", at(5)),
			check: func(t *testing.T, f *FSM, res Result) {
				fi := stat(t, f, "/a/b/f2")
				if fi.Id != res.InodeID || fi.Name != "f2" || fi.LastModificationTimeMs != 1 {
					t.Errorf("renamed file: %v (result id %d)", fi, res.InodeID)
				}
				if exists(t, f, "/a/b/f") {
					t.Error("source still exists")
				}
				if b := stat(t, f, "/a/b"); b.LastModificationTimeMs != 5 || b.ChildCount != 1 {
					t.Errorf("parent: %v", b)
				}
			},
		},
		{
			name:  "directory moves its subtree",
			setup: tree,
			op:    rename("/a", "/c/a2", at(6)),
			check: func(t *testing.T, f *FSM, _ Result) {
				if got, want := list(t, f, "/", true), []string{"/c", "/c/a2", "/c/a2/b", "/c/a2/b/f", "/c/g"}; !slices.Equal(got, want) {
					t.Errorf("tree %v, want %v", got, want)
				}
				if stat(t, f, "/").LastModificationTimeMs != 6 || stat(t, f, "/c").LastModificationTimeMs != 6 {
					t.Error("parents' modification times not updated")
				}
				if f.InodeCount() != 6 {
					t.Errorf("InodeCount = %d, want 6", f.InodeCount())
				}
			},
		},
		{name: "into its own subtree", setup: tree, op: rename("/a", "/a/b/a"), want: fserr.InvalidPath},
		{name: "into itself as a child", setup: tree, op: rename("/a", "/a/x"), want: fserr.InvalidPath},
		{name: "onto itself", setup: tree, op: rename("/a/b", "/a/b"), want: fserr.AlreadyExists},
		{name: "onto an existing file", setup: tree, op: rename("/a/b/f", "/c/g"), want: fserr.AlreadyExists},
		{name: "onto an existing directory", setup: tree, op: rename("/a", "/c"), want: fserr.AlreadyExists},
		{name: "missing source", setup: tree, op: rename("/x", "/y"), want: fserr.NotFound},
		{name: "missing destination parent", setup: tree, op: rename("/a", "/x/y"), want: fserr.NotFound},
		{name: "destination parent is a file", setup: tree, op: rename("/a/b", "/c/g/b"), want: fserr.InvalidPath},
		{name: "root", setup: tree, op: rename("/", "/z"), want: fserr.InvalidPath},
		{name: "onto root", setup: tree, op: rename("/a", "/"), want: fserr.AlreadyExists},
		{name: "invalid destination", setup: tree, op: rename("/a", "/x/./y"), want: fserr.InvalidPath},
		{
			name:  "across mount points",
			setup: withTree(mountAt("/m1", "mem://one"), mountAt("/m2", "mem://two"), touch("/m1/f")),
			op:    rename("/m1/f", "/m2/f"),
			want:  fserr.InvalidArgument,
		},
		{
			name:  "out of a mount point",
			setup: withTree(mountAt("/m1", "mem://one"), touch("/m1/f")),
			op:    rename("/m1/f", "/f"),
			want:  fserr.InvalidArgument,
		},
		{
			name:  "within a mount point",
			setup: withTree(mountAt("/m1", "mem://one"), mkdir("/m1/d"), touch("/m1/f")),
			op:    rename("/m1/f", "/m1/d/f"),
			check: func(t *testing.T, f *FSM, _ Result) {
				if fi := stat(t, f, "/m1/d/f"); fi.UfsPath != "mem://one/d/f" {
					t.Errorf("ufs path %q", fi.UfsPath)
				}
			},
		},
		{
			name:  "under the root mount",
			setup: withTree(mountAt("/", "mem://root")),
			op:    rename("/a/b/f", "/c/f"),
			check: func(t *testing.T, f *FSM, _ Result) {
				if fi := stat(t, f, "/c/f"); fi.UfsPath != "mem://root/c/f" {
					t.Errorf("ufs path %q", fi.UfsPath)
				}
			},
		},
		{
			name:  "a mount point",
			setup: withTree(mountAt("/m1", "mem://one")),
			op:    rename("/m1", "/m9"),
			want:  fserr.InvalidArgument,
		},
		{
			name:  "a directory holding a mount point",
			setup: withTree(mountAt("/a/m", "mem://one")),
			op:    rename("/a", "/z"),
			want:  fserr.InvalidArgument,
		},
		{
			name:  "inside a read-only mount",
			setup: withTree(mountAt("/ro", "mem://ro", readOnly), loadMetadata("/ro", []*journalpb.UfsChild{ufsFile("f", 1)})),
			op:    rename("/ro/f", "/ro/g"),
			want:  fserr.PermissionDenied,
		},
	}
	runOpCases(t, cases)
}

func TestDelete(t *testing.T) {
	tree := []*journalpb.Entry{mkdir("/a", at(1)), mkdir("/a/b", at(1)), touch("/a/b/f", at(1)), touch("/a/g", at(1)), mkdir("/e", at(1))}
	withTree := func(more ...*journalpb.Entry) []*journalpb.Entry { return append(slices.Clone(tree), more...) }
	runOpCases(t, []opCase{
		{
			name:  "file",
			setup: tree,
			op:    remove("/a/g", at(4)),
			check: func(t *testing.T, f *FSM, _ Result) {
				if exists(t, f, "/a/g") || f.InodeCount() != 5 {
					t.Errorf("file still there or count %d", f.InodeCount())
				}
				if stat(t, f, "/a").LastModificationTimeMs != 4 {
					t.Error("parent's modification time not updated")
				}
			},
		},
		{
			name:  "empty directory",
			setup: tree,
			op:    remove("/e"),
			check: func(t *testing.T, f *FSM, _ Result) {
				if exists(t, f, "/e") {
					t.Error("directory still there")
				}
			},
		},
		{name: "non-empty directory", setup: tree, op: remove("/a"), want: fserr.DirectoryNotEmpty},
		{
			name:  "non-empty directory, recursive",
			setup: tree,
			op:    remove("/a", recursive),
			check: func(t *testing.T, f *FSM, res Result) {
				if got := list(t, f, "/", true); !slices.Equal(got, []string{"/e"}) {
					t.Errorf("tree %v", got)
				}
				if f.InodeCount() != 2 {
					t.Errorf("InodeCount = %d, want 2", f.InodeCount())
				}
			},
		},
		{
			name:  "recreate after delete gets a new id",
			setup: withTree(remove("/a/g")),
			op:    touch("/a/g"),
			check: func(t *testing.T, f *FSM, res Result) {
				if res.InodeID != 7 {
					t.Errorf("id %d, want 7 (ids are never reused)", res.InodeID)
				}
			},
		},
		{name: "root", setup: tree, op: remove("/", recursive), want: fserr.InvalidPath},
		{name: "missing", setup: tree, op: remove("/x"), want: fserr.NotFound},
		{name: "below a file", setup: tree, op: remove("/a/g/x"), want: fserr.NotFound},
		{name: "mount point", setup: withTree(mountAt("/m", "mem://m")), op: remove("/m", recursive), want: fserr.InvalidArgument},
		{name: "holding a mount point", setup: withTree(mountAt("/a/m", "mem://m")), op: remove("/a", recursive), want: fserr.InvalidArgument},
		{
			name:  "inside a read-only mount",
			setup: withTree(mountAt("/ro", "mem://ro", readOnly), loadMetadata("/ro", []*journalpb.UfsChild{ufsFile("f", 1)})),
			op:    remove("/ro/f"),
			want:  fserr.PermissionDenied,
		},
		{
			name:  "inside a writable mount",
			setup: withTree(mountAt("/m", "mem://m"), loadMetadata("/m", []*journalpb.UfsChild{ufsDir("d"), ufsFile("d/f", 1)})),
			op:    remove("/m/d", recursive),
			check: func(t *testing.T, f *FSM, _ Result) {
				if got := list(t, f, "/m", true); len(got) != 0 {
					t.Errorf("left %v", got)
				}
			},
		},
	})
}

func TestSetAttribute(t *testing.T) {
	// alice owns /a and everything in it; /a/bob is bob's.
	tree := []*journalpb.Entry{
		mkdir("/a", as(alice), withMode(0o777)), touch("/a/f", as(alice)), mkdir("/a/d", as(alice)), touch("/a/d/g", as(alice)),
		mkdir("/a/bob", as(bob), withMode(0o777)),
	}
	withTree := func(more ...*journalpb.Entry) []*journalpb.Entry { return append(slices.Clone(tree), more...) }
	runOpCases(t, []opCase{
		{
			name:  "chmod by owner",
			setup: tree,
			op:    chmod("/a/f", 0o600, as(alice), at(9)),
			check: func(t *testing.T, f *FSM, res Result) {
				fi := stat(t, f, "/a/f")
				if fi.Mode != 0o600 || fi.Id != res.InodeID {
					t.Errorf("got %v", fi)
				}
			},
		},
		{name: "chmod by another user", setup: tree, op: chmod("/a/f", 0o777, as(bob)), want: fserr.PermissionDenied},
		{name: "chmod by a group member", setup: tree, op: chmod("/a/f", 0o777, as(&journalpb.Caller{User: "x", Groups: []string{"staff"}})), want: fserr.PermissionDenied},
		{name: "chmod with bits above 07777", setup: tree, op: chmod("/a/f", 0o10000), want: fserr.InvalidArgument},
		{
			name:  "chmod with setuid, setgid and sticky bits",
			setup: tree,
			op:    chmod("/a/d", 0o7755),
			check: func(t *testing.T, f *FSM, _ Result) {
				if m := stat(t, f, "/a/d").Mode; m != 0o7755 {
					t.Errorf("mode %o", m)
				}
			},
		},
		{
			name:  "chmod recursive by owner",
			setup: withTree(remove("/a/bob")),
			op:    chmod("/a", 0o700, recursive, as(alice)),
			check: func(t *testing.T, f *FSM, _ Result) {
				for _, p := range []string{"/a", "/a/f", "/a/d", "/a/d/g"} {
					if m := stat(t, f, p).Mode; m != 0o700 {
						t.Errorf("%s mode %o", p, m)
					}
				}
			},
		},
		{
			// bob's directory inside alice's tree makes the whole change fail,
			// and the inodes checked before it stay unchanged.
			name:  "chmod recursive over an inode the caller does not own",
			setup: tree,
			op:    chmod("/a", 0o700, recursive, as(alice)),
			want:  fserr.PermissionDenied,
			check: func(t *testing.T, _ *FSM, res Result) {
				if !strings.Contains(res.Err.Message, "/a/bob") {
					t.Errorf("message %q does not name the inode refused", res.Err.Message)
				}
			},
		},
		{
			name:  "chown by superuser",
			setup: tree,
			op:    chown("/a/d", "carol", recursive),
			check: func(t *testing.T, f *FSM, _ Result) {
				for _, p := range []string{"/a/d", "/a/d/g"} {
					if o := stat(t, f, p).Owner; o != "carol" {
						t.Errorf("%s owner %q", p, o)
					}
				}
				if o := stat(t, f, "/a").Owner; o != "alice" {
					t.Errorf("/a owner changed to %q", o)
				}
			},
		},
		{name: "chown by owner", setup: tree, op: chown("/a/f", "bob", as(alice)), want: fserr.PermissionDenied},
		{name: "chown to self by owner is a no-op", setup: tree, op: chown("/a/f", "alice", as(alice))},
		{
			name:  "chgrp by owner to one of its groups",
			setup: tree,
			op:    chgrp("/a/f", "dev", as(alice)),
			check: func(t *testing.T, f *FSM, _ Result) {
				if g := stat(t, f, "/a/f").Group; g != "dev" {
					t.Errorf("group %q", g)
				}
			},
		},
		{name: "chgrp by owner to a foreign group", setup: tree, op: chgrp("/a/f", "ops", as(alice)), want: fserr.PermissionDenied},
		{name: "chgrp by non-owner", setup: tree, op: chgrp("/a/f", "staff", as(bob)), want: fserr.PermissionDenied},
		{
			name:  "chgrp by superuser to any group",
			setup: tree,
			op:    chgrp("/a/f", "wheel"),
			check: func(t *testing.T, f *FSM, _ Result) {
				if g := stat(t, f, "/a/f").Group; g != "wheel" {
					t.Errorf("group %q", g)
				}
			},
		},
		{
			name:  "pin, ttl and persisted with write permission",
			setup: tree,
			op: setAttr(&journalpb.SetAttributeEntry{Path: "/a/bob", HasPinned: true, Pinned: true, HasTtl: true, TtlMs: 60_000, HasPersisted: true, Persisted: true},
				as(carol)),
			check: func(t *testing.T, f *FSM, _ Result) {
				fi := stat(t, f, "/a/bob")
				if !fi.Pinned || fi.TtlMs != 60_000 || fi.PersistenceState != journalpb.PersistenceState_PERSISTED {
					t.Errorf("got %v", fi)
				}
			},
		},
		{
			name:  "unpin, clear ttl, not persisted",
			setup: withTree(setAttr(&journalpb.SetAttributeEntry{Path: "/a/f", HasPinned: true, Pinned: true, HasTtl: true, TtlMs: 5, HasPersisted: true, Persisted: true})),
			op:    setAttr(&journalpb.SetAttributeEntry{Path: "/a/f", HasPinned: true, HasTtl: true, HasPersisted: true}),
			check: func(t *testing.T, f *FSM, _ Result) {
				fi := stat(t, f, "/a/f")
				if fi.Pinned || fi.TtlMs != 0 || fi.PersistenceState != journalpb.PersistenceState_NOT_PERSISTED {
					t.Errorf("got %v", fi)
				}
			},
		},
		{
			name:  "pin without write permission",
			setup: tree,
			op:    setAttr(&journalpb.SetAttributeEntry{Path: "/a/f", HasPinned: true, Pinned: true}, as(bob)),
			want:  fserr.PermissionDenied,
		},
		{
			name:  "nothing set changes nothing",
			setup: tree,
			op:    setAttr(&journalpb.SetAttributeEntry{Path: "/a/f"}, as(carol)),
		},
		{name: "missing", setup: tree, op: chmod("/a/x", 0o700), want: fserr.NotFound},
		{name: "no search permission on the way", setup: withTree(chmod("/a", 0o700)), op: chmod("/a/bob", 0o700, as(bob)), want: fserr.PermissionDenied},
	})
}

// TestDirectoryCountFollowsTheTree: the web UI's files and folders come
// from DirectoryCount and InodeCount, which creates, loads, deletes of
// whole subtrees, renames and checkpoint restores all keep in step.
func TestDirectoryCountFollowsTheTree(t *testing.T) {
	h := newHarness(t)
	counts := func(f *FSM, dirs, inodes uint64) {
		t.Helper()
		if f.DirectoryCount() != dirs || f.InodeCount() != inodes {
			t.Fatalf("%d directories of %d inodes, want %d of %d", f.DirectoryCount(), f.InodeCount(), dirs, inodes)
		}
	}
	counts(h.FSM, 1, 1)
	h.mustApply(mkdir("/a/b/c", recursive), touch("/a/b/f"), touch("/a/g"), mkdir("/d"))
	counts(h.FSM, 5, 7)
	h.mustApply(rename("/a/b", "/d/b"))
	counts(h.FSM, 5, 7)
	counts(roundTrip(t, h.FSM), 5, 7)
	h.mustApply(remove("/d", recursive))
	counts(h.FSM, 2, 3)
	counts(roundTrip(t, h.FSM), 2, 3)
}
