package fsm

import (
	"slices"
	"testing"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/proto/journalpb"
)

func TestAddMountPoint(t *testing.T) {
	runOpCases(t, []opCase{
		{
			name: "below root",
			op: build(&journalpb.AddMountPointEntry{Path: "/mnt/s3", UfsUri: "s3://bucket/data/", Shared: true, Options: map[string]string{"b": "2", "a": "1"},
				Owner: "hdfs", Group: "hadoop", Mode: 0o750}, []entryOpt{at(4)}),
			setup: []*journalpb.Entry{mkdir("/mnt")},
			check: func(t *testing.T, f *FSM, res Result) {
				fi := stat(t, f, "/mnt/s3")
				if fi.Id != res.InodeID || !fi.IsDirectory || !fi.MountPoint || fi.MountId != 1 || fi.Owner != "hdfs" || fi.Group != "hadoop" ||
					fi.Mode != 0o750 || fi.PersistenceState != journalpb.PersistenceState_PERSISTED || fi.UfsPath != "s3://bucket/data/" {
					t.Errorf("mount point inode: %v", fi)
				}
				mt := f.MountTable()
				if len(mt) != 1 || mt[0].Path != "/mnt/s3" || mt[0].UfsUri != "s3://bucket/data/" || !mt[0].Shared || mt[0].ReadOnly ||
					mt[0].Options["a"] != "1" || mt[0].Options["b"] != "2" {
					t.Errorf("mount table %v", mt)
				}
				m, uri, err := f.ResolveUFS("/mnt/s3/x/y")
				if err != nil || m.MountId != 1 || uri != "s3://bucket/data/x/y" {
					t.Errorf("ResolveUFS = %v, %q, %v", m, uri, err)
				}
				if _, _, err := f.ResolveUFS("/mnt/other"); fserr.CodeOf(err) != fserr.NotFound {
					t.Errorf("ResolveUFS outside any mount: %v", err)
				}
			},
		},
		{
			name: "root",
			op:   mountAt("/", "hdfs://nn:8020/halo"),
			check: func(t *testing.T, f *FSM, res Result) {
				root := stat(t, f, "/")
				if res.InodeID != RootInodeID || !root.MountPoint || root.UfsPath != "hdfs://nn:8020/halo" || root.Owner != "root" {
					t.Errorf("root: %v", root)
				}
				if _, uri, err := f.ResolveUFS("/a/b"); err != nil || uri != "hdfs://nn:8020/halo/a/b" {
					t.Errorf("ResolveUFS = %q, %v", uri, err)
				}
			},
		},
		{
			name:  "beside the root mount, on a separate UFS",
			setup: []*journalpb.Entry{mountAt("/", "hdfs://nn/halo")},
			op:    mountAt("/s3", "s3://b/"),
			check: func(t *testing.T, f *FSM, _ Result) {
				if got := len(f.MountTable()); got != 2 {
					t.Errorf("%d mounts", got)
				}
				if _, uri, _ := f.ResolveUFS("/s3/k"); uri != "s3://b/k" {
					t.Errorf("ResolveUFS(/s3/k) = %q", uri)
				}
				if _, uri, _ := f.ResolveUFS("/s3x/k"); uri != "hdfs://nn/halo/s3x/k" {
					t.Errorf("ResolveUFS(/s3x/k) = %q: a name prefix is not a path prefix", uri)
				}
			},
		},
		{name: "root twice", setup: []*journalpb.Entry{mountAt("/", "mem://a")}, op: mountAt("/", "mem://b"), want: fserr.AlreadyExists},
		{name: "onto an existing directory", setup: []*journalpb.Entry{mkdir("/d")}, op: mountAt("/d", "mem://d"), want: fserr.AlreadyExists},
		{name: "nested in another mount", setup: []*journalpb.Entry{mountAt("/m", "mem://m")}, op: mountAt("/m/n", "mem://n"), want: fserr.InvalidArgument},
		{name: "same UFS twice", setup: []*journalpb.Entry{mountAt("/m", "mem://m")}, op: mountAt("/n", "mem://m/"), want: fserr.InvalidArgument},
		{name: "UFS inside a mounted UFS", setup: []*journalpb.Entry{mountAt("/m", "mem://m")}, op: mountAt("/n", "mem://m/sub"), want: fserr.InvalidArgument},
		{name: "UFS holding a mounted UFS", setup: []*journalpb.Entry{mountAt("/m", "mem://m/sub")}, op: mountAt("/n", "mem://m"), want: fserr.InvalidArgument},
		{
			name:  "UFS sharing a name prefix",
			setup: []*journalpb.Entry{mountAt("/m", "mem://m")},
			op:    mountAt("/n", "mem://mm"),
		},
		{name: "missing parent", op: mountAt("/x/m", "mem://m"), want: fserr.NotFound},
		{name: "empty URI", op: mountAt("/m", ""), want: fserr.InvalidArgument},
		{name: "by an ordinary user", op: mountAt("/m", "mem://m", as(alice)), want: fserr.PermissionDenied},
		{name: "invalid path", op: mountAt("m", "mem://m"), want: fserr.InvalidPath},
	})
}

func TestDeleteMountPoint(t *testing.T) {
	runOpCases(t, []opCase{
		{
			name: "removes the mount and its inodes",
			setup: []*journalpb.Entry{mkdir("/mnt"), mountAt("/mnt/m", "mem://m"), mountAt("/k", "mem://k"),
				loadMetadata("/mnt/m", []*journalpb.UfsChild{ufsDir("d"), ufsFile("d/f", 3)})},
			op: unmount("/mnt/m", at(8)),
			check: func(t *testing.T, f *FSM, _ Result) {
				if got := list(t, f, "/", true); !slices.Equal(got, []string{"/k", "/mnt"}) {
					t.Errorf("tree %v", got)
				}
				if mt := f.MountTable(); len(mt) != 1 || mt[0].Path != "/k" {
					t.Errorf("mount table %v", mt)
				}
				if f.InodeCount() != 3 {
					t.Errorf("InodeCount = %d, want 3", f.InodeCount())
				}
				if stat(t, f, "/mnt").LastModificationTimeMs != 8 {
					t.Error("parent's modification time not updated")
				}
			},
		},
		{
			name:  "then mount again gets a new id",
			setup: []*journalpb.Entry{mountAt("/m", "mem://m"), unmount("/m")},
			op:    mountAt("/m", "mem://m"),
			check: func(t *testing.T, f *FSM, _ Result) {
				if id := stat(t, f, "/m").MountId; id != 2 {
					t.Errorf("mount id %d, want 2", id)
				}
			},
		},
		{name: "root", setup: []*journalpb.Entry{mountAt("/", "mem://r")}, op: unmount("/"), want: fserr.InvalidPath},
		{name: "not a mount point", setup: []*journalpb.Entry{mkdir("/d")}, op: unmount("/d"), want: fserr.InvalidArgument},
		{name: "missing", op: unmount("/d"), want: fserr.NotFound},
		{name: "by an ordinary user", setup: []*journalpb.Entry{mountAt("/m", "mem://m")}, op: unmount("/m", as(alice)), want: fserr.PermissionDenied},
	})
}

func TestLoadMetadata(t *testing.T) {
	listing := []*journalpb.UfsChild{ufsDir("d"), ufsFile("d/f", 10), ufsFile("top", 20), ufsDir("d/e")}
	runOpCases(t, []opCase{
		{
			name:  "into a mount",
			setup: []*journalpb.Entry{mountAt("/m", "mem://m")},
			op:    loadMetadata("/m", listing, at(50)),
			check: func(t *testing.T, f *FSM, res Result) {
				if res.InodeID != 4 {
					t.Errorf("loaded %d, want 4", res.InodeID)
				}
				if got, want := list(t, f, "/m", true), []string{"/m/d", "/m/d/e", "/m/d/f", "/m/top"}; !slices.Equal(got, want) {
					t.Fatalf("tree %v, want %v", got, want)
				}
				fi := stat(t, f, "/m/d/f")
				if fi.Length != 10 || fi.Owner != "hdfs" || fi.Group != "hadoop" || fi.Mode != 0o644 || !fi.Completed ||
					fi.PersistenceState != journalpb.PersistenceState_PERSISTED || fi.LastModificationTimeMs != 88 || fi.CreationTimeMs != 50 ||
					fi.UfsPath != "mem://m/d/f" {
					t.Errorf("loaded file: %v", fi)
				}
				// Workers find a file's UFS by the id of the mount
				// holding it, as Alluxio's FileInfo.mountId names it.
				if fi.MountId == 0 || fi.MountId != stat(t, f, "/m").MountId {
					t.Errorf("loaded file's mount id %d, want /m's %d", fi.MountId, stat(t, f, "/m").MountId)
				}
				// Loading is not a change: directories keep the UFS time
				// even when children are loaded into them.
				if d := stat(t, f, "/m/d"); !d.IsDirectory || d.Length != 0 || d.LastModificationTimeMs != 77 {
					t.Errorf("loaded dir: %v", d)
				}
				if m := stat(t, f, "/m"); m.LastModificationTimeMs != testTime {
					t.Errorf("mount point's modification time changed to %d", m.LastModificationTimeMs)
				}
			},
		},
		{
			name:  "existing inodes are left alone",
			setup: []*journalpb.Entry{mountAt("/m", "mem://m", withMode(0o777)), touch("/m/top", as(alice), at(3))},
			op:    loadMetadata("/m", listing),
			check: func(t *testing.T, f *FSM, res Result) {
				if res.InodeID != 3 {
					t.Errorf("loaded %d, want 3", res.InodeID)
				}
				if fi := stat(t, f, "/m/top"); fi.Owner != "alice" || fi.Length != 0 || fi.LastModificationTimeMs != 3 {
					t.Errorf("existing file changed: %v", fi)
				}
			},
		},
		{
			name:  "children whose parent is missing are skipped",
			setup: []*journalpb.Entry{mountAt("/m", "mem://m")},
			op:    loadMetadata("/m", []*journalpb.UfsChild{ufsFile("x/f", 1), ufsFile("g", 1)}),
			check: func(t *testing.T, f *FSM, res Result) {
				if got := list(t, f, "/m", true); res.InodeID != 1 || !slices.Equal(got, []string{"/m/g"}) {
					t.Errorf("loaded %d: %v", res.InodeID, got)
				}
			},
		},
		{
			name:  "children under an existing file are skipped",
			setup: []*journalpb.Entry{mountAt("/m", "mem://m"), touch("/m/x")},
			op:    loadMetadata("/m", []*journalpb.UfsChild{ufsFile("x/f", 1)}),
			check: func(t *testing.T, f *FSM, res Result) {
				if res.InodeID != 0 || exists(t, f, "/m/x/f") {
					t.Errorf("loaded %d", res.InodeID)
				}
			},
		},
		{
			name:  "into a read-only mount",
			setup: []*journalpb.Entry{mountAt("/ro", "mem://ro", readOnly)},
			op:    loadMetadata("/ro", listing),
		},
		{
			name:  "into the root mount",
			setup: []*journalpb.Entry{mountAt("/", "mem://r")},
			op:    loadMetadata("/", listing),
			check: func(t *testing.T, f *FSM, _ Result) {
				if fi := stat(t, f, "/top"); fi.UfsPath != "mem://r/top" {
					t.Errorf("ufs path %q", fi.UfsPath)
				}
			},
		},
		{
			// A listing of the root UFS may hold a folder with the name of
			// a mount point; what lies in it belongs to the root UFS, not
			// to the mounted one.
			name:  "does not reach into a nested mount point",
			setup: []*journalpb.Entry{mountAt("/", "mem://r"), mountAt("/m", "mem://m")},
			op:    loadMetadata("/", []*journalpb.UfsChild{ufsDir("m"), ufsFile("m/f", 1), ufsFile("g", 1)}),
			check: func(t *testing.T, f *FSM, res Result) {
				if got := list(t, f, "/", true); res.InodeID != 1 || !slices.Equal(got, []string{"/g", "/m"}) {
					t.Errorf("loaded %d: %v", res.InodeID, got)
				}
			},
		},
		{name: "bad child path", setup: []*journalpb.Entry{mountAt("/m", "mem://m")}, op: loadMetadata("/m", []*journalpb.UfsChild{ufsFile("ok", 1), ufsFile("../x", 1)}), want: fserr.InvalidPath},
		{name: "empty child path", setup: []*journalpb.Entry{mountAt("/m", "mem://m")}, op: loadMetadata("/m", []*journalpb.UfsChild{ufsFile("", 1)}), want: fserr.InvalidPath},
		{name: "absolute child path", setup: []*journalpb.Entry{mountAt("/m", "mem://m")}, op: loadMetadata("/m", []*journalpb.UfsChild{ufsFile("/x", 1)}), want: fserr.InvalidPath},
		{name: "into a file", setup: []*journalpb.Entry{touch("/f")}, op: loadMetadata("/f", listing), want: fserr.InvalidArgument},
		{name: "missing", op: loadMetadata("/x", listing), want: fserr.NotFound},
		{
			name:  "without write permission",
			setup: []*journalpb.Entry{mkdir("/d", withMode(0o755))},
			op:    loadMetadata("/d", listing, as(alice)),
			want:  fserr.PermissionDenied,
		},
	})
}

func TestNoop(t *testing.T) {
	runOpCases(t, []opCase{
		{name: "changes nothing", setup: []*journalpb.Entry{mkdir("/d")}, op: noop()},
		{name: "no payload", op: build(nil, nil), want: fserr.InvalidArgument},
	})
}
