package fsm

import (
	"fmt"
	"slices"
	"testing"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/proto/journalpb"
)

// permTree makes /d owned by alice:staff with the given mode, holding a
// file /d/f and a directory /d/sub (both owned by alice; /d/sub is open to
// all).
// bob is in staff; carol is not.
func permTree(mode uint32) []*journalpb.Entry {
	return []*journalpb.Entry{
		mkdir("/d", as(alice)), touch("/d/f", as(alice)), mkdir("/d/sub", as(alice), withMode(0o777)), touch("/d/sub/g", as(alice)),
		mkdir("/other", withMode(0o777)), chmod("/d", mode),
	}
}

// TestPermissionBits checks that the owner's, the group's or the others'
// bits decide, in that order, and never a mix: an owner denied by the owner
// bits is denied even when the group or other bits would allow.
func TestPermissionBits(t *testing.T) {
	type row struct {
		mode   uint32
		caller *journalpb.Caller
		want   fserr.Code
	}
	name := func(r row) string { return fmt.Sprintf("%04o as %s", r.mode, r.caller.User) }

	// Creating inside /d needs write and execute on /d.
	createRows := []row{
		{0o700, alice, fserr.OK},
		{0o300, alice, fserr.OK},
		{0o500, alice, fserr.PermissionDenied}, // no write
		{0o600, alice, fserr.PermissionDenied}, // no execute
		{0o077, alice, fserr.PermissionDenied}, // owner bits decide for the owner
		{0o700, bob, fserr.PermissionDenied},
		{0o030, bob, fserr.OK},
		{0o707, bob, fserr.PermissionDenied}, // group bits decide for a member
		{0o003, carol, fserr.OK},
		{0o770, carol, fserr.PermissionDenied},
		{0o000, superuser, fserr.OK},
	}
	var cases []opCase
	for _, r := range createRows {
		cases = append(cases,
			opCase{name: "create file " + name(r), setup: permTree(r.mode), op: create("/d/new", as(r.caller)), want: r.want},
			opCase{name: "create directory " + name(r), setup: permTree(r.mode), op: mkdir("/d/new", as(r.caller)), want: r.want},
			opCase{name: "delete " + name(r), setup: permTree(r.mode), op: remove("/d/f", as(r.caller)), want: r.want},
			opCase{name: "rename out " + name(r), setup: permTree(r.mode), op: rename("/d/f", "/other/f", as(r.caller)), want: r.want},
			opCase{name: "rename in " + name(r), setup: append(permTree(r.mode), touch("/other/h")), op: rename("/other/h", "/d/h", as(r.caller)), want: r.want},
		)
	}

	// Reaching anything below /d needs execute on /d, and nothing else.
	traverseRows := []row{
		{0o100, alice, fserr.OK},
		{0o600, alice, fserr.PermissionDenied},
		{0o010, bob, fserr.OK},
		{0o101, bob, fserr.PermissionDenied},
		{0o001, carol, fserr.OK},
		{0o110, carol, fserr.PermissionDenied},
		{0o000, superuser, fserr.OK},
	}
	for _, r := range traverseRows {
		cases = append(cases,
			opCase{name: "traverse to create " + name(r), setup: permTree(r.mode), op: create("/d/sub/new", as(r.caller)), want: r.want},
			opCase{name: "traverse to mkdir -p " + name(r), setup: permTree(r.mode), op: mkdir("/d/sub/x/y", recursive, as(r.caller)), want: r.want},
			opCase{name: "traverse to pin " + name(r), setup: append(permTree(r.mode), chmod("/d/sub/g", 0o666)),
				op: setAttr(&journalpb.SetAttributeEntry{Path: "/d/sub/g", HasPinned: true, Pinned: true}, as(r.caller)), want: r.want},
		)
	}
	runOpCases(t, cases)

	for _, r := range traverseRows {
		t.Run("GetStatus below "+name(r), func(t *testing.T) {
			h := newHarness(t)
			h.mustApply(permTree(r.mode)...)
			_, err := h.GetStatus(r.caller, "/d/sub/g")
			wantCode(t, err, r.want)
			// The directory itself needs nothing of its own bits.
			_, err = h.GetStatus(r.caller, "/d")
			wantCode(t, err, fserr.OK)
		})
	}

	// Listing /d needs read and execute on it.
	listRows := []row{
		{0o500, alice, fserr.OK},
		{0o400, alice, fserr.PermissionDenied},
		{0o100, alice, fserr.PermissionDenied},
		{0o050, bob, fserr.OK},
		{0o405, bob, fserr.PermissionDenied},
		{0o005, carol, fserr.OK},
		{0o000, superuser, fserr.OK},
	}
	for _, r := range listRows {
		t.Run("ListStatus "+name(r), func(t *testing.T) {
			h := newHarness(t)
			h.mustApply(permTree(r.mode)...)
			var got []string
			err := h.ListStatus(r.caller, "/d", false, func(fi *journalpb.FileStatus) error {
				got = append(got, fi.Path)
				return nil
			})
			wantCode(t, err, r.want)
			if r.want == fserr.OK && !slices.Equal(got, []string{"/d/f", "/d/sub"}) {
				t.Errorf("listed %v", got)
			}
		})
	}
}

func TestRecursiveListSkipsUnreadableDirectories(t *testing.T) {
	h := newHarness(t)
	h.mustApply(permTree(0o755)...)
	h.mustApply(chmod("/d/sub", 0o700))
	var got []string
	err := h.ListStatus(carol, "/", true, func(fi *journalpb.FileStatus) error {
		got = append(got, fi.Path)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"/d", "/d/f", "/d/sub", "/other"}; !slices.Equal(got, want) {
		t.Errorf("listed %v, want %v", got, want)
	}
}

// TestRecursiveDeletePermission: removing a subtree empties every
// directory in it, so the caller needs write and search permission on each
// non-empty one, and a refusal anywhere removes nothing.
func TestRecursiveDeletePermission(t *testing.T) {
	tree := []*journalpb.Entry{
		mkdir("/shared", withMode(0o777)),
		mkdir("/shared/alice", as(alice)), touch("/shared/alice/f", as(alice)),
		mkdir("/shared/bob", as(bob), withMode(0o777)), mkdir("/shared/bob/empty", as(alice)), chmod("/shared/bob", 0o755),
	}
	runOpCases(t, []opCase{
		{name: "foreign non-empty directory", setup: tree, op: remove("/shared/alice", recursive, as(bob)), want: fserr.PermissionDenied},
		{name: "own directory", setup: tree, op: remove("/shared/alice", recursive, as(alice))},
		{
			name: "foreign empty directory inside an own one", setup: tree, op: remove("/shared/bob", recursive, as(bob)),
			check: func(t *testing.T, f *FSM, _ Result) {
				if exists(t, f, "/shared/bob") {
					t.Error("not removed")
				}
			},
		},
		{name: "superuser", setup: tree, op: remove("/shared", recursive)},
		{name: "a tree with a foreign directory deep inside", setup: tree, op: remove("/shared", recursive, as(alice)), want: fserr.PermissionDenied},
	})
}

func TestOwnershipRules(t *testing.T) {
	tree := []*journalpb.Entry{touch("/f", as(alice))}
	runOpCases(t, []opCase{
		{name: "owner cannot chown", setup: tree, op: chown("/f", "bob", as(alice)), want: fserr.PermissionDenied},
		{name: "group member cannot chown", setup: tree, op: chown("/f", "bob", as(bob)), want: fserr.PermissionDenied},
		{name: "other cannot chown to self", setup: tree, op: chown("/f", "carol", as(carol)), want: fserr.PermissionDenied},
		{name: "superuser chowns", setup: tree, op: chown("/f", "carol")},
		{
			name: "chown and chgrp together by superuser", setup: tree,
			op: setAttr(&journalpb.SetAttributeEntry{Path: "/f", HasOwner: true, Owner: "carol", HasGroup: true, Group: "ops"}),
			check: func(t *testing.T, f *FSM, _ Result) {
				if fi := stat(t, f, "/f"); fi.Owner != "carol" || fi.Group != "ops" {
					t.Errorf("got %v", fi)
				}
			},
		},
		{name: "owner chmods", setup: tree, op: chmod("/f", 0o000, as(alice))},
		{name: "group member with write bits cannot chmod", setup: append(tree, chmod("/f", 0o666)), op: chmod("/f", 0o777, as(bob)), want: fserr.PermissionDenied},
		{
			name: "superuser without any bits", setup: append(tree, chmod("/f", 0o000)),
			op: setAttr(&journalpb.SetAttributeEntry{Path: "/f", HasPinned: true, Pinned: true}),
		},
	})
}
