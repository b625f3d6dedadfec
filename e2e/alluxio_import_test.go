package e2e

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/halo-fs/halo/internal/testinfra/alluxio"
	"github.com/halo-fs/halo/internal/testinfra/masters"
	"github.com/halo-fs/halo/proto/halopb"
)

// alluxioFixtureEnv names a path to which TestAlluxioBackupImportsIntoRaft
// copies the real backup it made: master/alluxioimport's testdata fixture
// is made this way.
const alluxioFixtureEnv = "HALO_WRITE_ALLUXIO_BACKUP"

// TestAlluxioBackupImportsIntoRaft is the migration path from an existing
// Alluxio deployment: a real Alluxio 2.9.3 master gets a tree of folders
// and files, changed modes and owners, an extended ACL and two mounts (one
// nested under the other's sibling, one read-only and shared with an
// option); `fsadmin backup` writes its backup, and a new three-master Raft
// cluster started with -i serves the same tree, owners, groups, modes and
// mount table as the real shell listed before the backup.
func TestAlluxioBackupImportsIntoRaft(t *testing.T) {
	ax := alluxio.StartMaster(t, nil)
	external := filepath.Join(ax.Dir, "external")
	nested := filepath.Join(ax.Dir, "nested")
	for _, d := range []string{filepath.Join(external, "sub"), nested} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(external, "sub", "data.txt"), []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	shell := func(args ...string) string {
		t.Helper()
		stdout, stderr, code := alluxio.Shell(t, ax.ClientConf(), args...)
		if code != 0 {
			t.Fatalf("alluxio fs %s: exit %d\n%s%s", strings.Join(args, " "), code, stdout, stderr)
		}
		return stdout
	}
	shell("mkdir", "/data/a/b", "/data/empty")
	shell("touch", "/data/a/f1")
	shell("touch", "/data/a/b/f2")
	shell("chmod", "750", "/data/a")
	shell("chmod", "600", "/data/a/f1")
	shell("chown", "nobody:nogroup", "/data/a/f1")
	shell("chgrp", "-R", "daemon", "/data/a/b")
	shell("setfacl", "-m", "user:bob:rwx", "/data/a/b")
	shell("setTtl", "/data/a/b/f2", "3600000")
	shell("mount", "--readonly", "--shared", "--option", "k1=v1", "/data/ext", "file://"+external)
	shell("mount", "/data/a/m2", "file://"+nested)
	// The listing loads the mounted folder's metadata, so the backup
	// holds the UFS's file too.
	want := parseAlluxioListing(t, shell("ls", "-R", "/"))
	wantMounts := parseAlluxioMounts(t, shell("mount"))
	backup := ax.Backup(t)
	ax.Stop()
	if out := os.Getenv(alluxioFixtureEnv); out != "" {
		data, err := os.ReadFile(backup.Path)
		if err == nil {
			err = os.WriteFile(out, data, 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote the backup to %s; the listing it was made from:\n%v", out, want)
	}

	cluster := masters.NewRaft(t, 3, nil)
	for _, m := range cluster.Masters {
		m.Args = []string{"-i", backup.Path}
	}
	cluster.StartAll()
	cluster.Leader(60 * time.Second)
	c := newClient(t, cluster.RPCAddresses(), 30*time.Second)
	ctx := context.Background()
	infos, err := c.ListStatus(ctx, "/", true)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]listedInode{}
	for _, fi := range infos {
		got[fi.Path] = haloListed(fi)
	}
	if !maps.Equal(got, want) {
		t.Errorf("Halo's tree after the import differs from the real Alluxio's listing before the backup:\n%s", diffListings(want, got))
	}
	mounts, err := c.GetMountTable(ctx)
	if err != nil {
		t.Fatal(err)
	}
	gotMounts := map[string]string{}
	for _, m := range mounts {
		if m.Path != "/" {
			gotMounts[m.Path] = mountLine(m.UfsUri, m.ReadOnly, m.Shared, m.Options)
		}
	}
	if !maps.Equal(gotMounts, wantMounts) {
		t.Errorf("Halo's mount table after the import:\n%v\nthe real Alluxio's before the backup:\n%v", gotMounts, wantMounts)
	}
}

// listedInode is what `alluxio fs ls` shows of an inode, less the times
// and the in-memory share (a worker's business).
type listedInode struct {
	Mode, Owner, Group, Persistence string
	// Size is a file's length and a directory's number of children.
	Size string
}

// alluxioListingLine is a line of `alluxio fs ls -R`: mode (with "+" when
// an extended ACL is set), owner, group, size, persistence state, date,
// time, in-memory share or DIR, path.
var alluxioListingLine = regexp.MustCompile(`^([-d][-rwxtT]{9})\+?\s+(\S+)\s+(\S+)\s+(\d+)\s+(\S+)\s+\S+\s+\S+\s+(?:DIR|\d+%)\s+(/.*?)\s*$`)

func parseAlluxioListing(t *testing.T, out string) map[string]listedInode {
	t.Helper()
	listed := map[string]listedInode{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		m := alluxioListingLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("alluxio fs ls -R: cannot read line %q in:\n%s", line, out)
		}
		listed[m[6]] = listedInode{Mode: m[1], Owner: m[2], Group: m[3], Size: m[4], Persistence: m[5]}
	}
	return listed
}

func haloListed(fi *halopb.FileInfo) listedInode {
	mode, size := "-", fmt.Sprint(fi.Length)
	if fi.IsDirectory {
		mode, size = "d", fmt.Sprint(fi.ChildCount)
	}
	for i, c := range "rwxrwxrwx" {
		if fi.Mode&(1<<(8-i)) != 0 {
			mode += string(c)
		} else {
			mode += "-"
		}
	}
	return listedInode{Mode: mode, Owner: fi.Owner, Group: fi.Group, Size: size, Persistence: fi.PersistenceState.String()}
}

func diffListings(want, got map[string]listedInode) string {
	var b strings.Builder
	paths := slices.Sorted(maps.Keys(want))
	for p := range got {
		if _, ok := want[p]; !ok {
			paths = append(paths, p)
		}
	}
	for _, p := range paths {
		if want[p] != got[p] {
			fmt.Fprintf(&b, "%s: Alluxio %+v, Halo %+v\n", p, want[p], got[p])
		}
	}
	return b.String()
}

// alluxioMountLine is a line of `alluxio fs mount`.
var alluxioMountLine = regexp.MustCompile(`^(\S+)\s+on\s+(\S+)\s+\(.*?, (read-only|not read-only), (shared|not shared), properties=\{(.*)\}\)\s*$`)

func parseAlluxioMounts(t *testing.T, out string) map[string]string {
	t.Helper()
	mounts := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		m := alluxioMountLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("alluxio fs mount: cannot read line %q in:\n%s", line, out)
		}
		if m[2] == "/" {
			continue
		}
		options := map[string]string{}
		for _, kv := range strings.Split(m[5], ", ") {
			if k, v, ok := strings.Cut(kv, "="); ok {
				options[k] = v
			}
		}
		mounts[m[2]] = mountLine(m[1], m[3] == "read-only", m[4] == "shared", options)
	}
	return mounts
}

func mountLine(ufs string, readOnly, shared bool, options map[string]string) string {
	return fmt.Sprintf("%s readOnly=%t shared=%t options=%v", strings.TrimSuffix(ufs, "/"), readOnly, shared, options)
}
