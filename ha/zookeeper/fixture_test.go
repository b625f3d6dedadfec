package zookeeper

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/ha/hatest"
	ufsjournal "github.com/halo-fs/halo/journal/ufs"
	"github.com/halo-fs/halo/proto/journalpb"
	"github.com/halo-fs/halo/ufs/local"
)

// testdata/ufsjournal-05d812c is a shared UFS journal written by two
// ZooKeeper-mode masters built from commit 05d812c, with a checkpoint every
// four entries: the standby's checkpoints at batches 0x21 and 0x29, the
// batches before 0x22 collected, the old single-file compacted mark (0x21),
// and two batches after the newest checkpoint. The namespace below is what
// the leader listed (`fs ls -R /`) before both stopped. A journal an older
// release wrote must open (its mark carried into the mark objects) and
// recover to the same namespace.
var fixtureNamespace = []string{
	"/d1 drwxr-xr-x",
	"/d2 drwxr-xr-x",
	"/d2/f -rw-r--r--",
	"/d2/g -rw-r--r--",
	"/d3 drwxr-xr-x",
	"/d4 drwx--x--x",
	"/d4/f -rw-r--r--",
	"/d5 drwxr-xr-x",
	"/d5/f -rw-r--r--",
	"/d6 drwxr-xr-x",
	"/d6/f -rw-r--r--",
	"/d7 drwxr-xr-x",
	"/d8 drwxr-xr-x",
	"/d9 drwxr-xr-x",
	"/e10 drwxr-xr-x",
	"/e11 drwxr-xr-x",
	"/e12 drwxr-xr-x",
	"/e13 drwxr-xr-x",
	"/e14 drwxr-xr-x",
	"/e15 drwxr-xr-x",
	"/e16 drwxr-xr-x",
	"/e17 drwxr-xr-x",
	"/e18 drwxr-xr-x",
	"/e19 drwxr-xr-x",
	"/e20 drwxr-xr-x",
	"/e21 drwxr-xr-x",
	"/e22 drwxr-xr-x",
	"/e23 drwxr-xr-x",
	"/e24 drwxr-xr-x",
	"/e25 drwxr-xr-x",
	"/e26 drwxr-xr-x",
	"/e27 drwxr-xr-x",
	"/e28 drwxr-xr-x",
	"/e29 drwxr-xr-x",
	"/e30 drwxr-xr-x",
	"/tail1 drwxr-xr-x",
	"/tail1/f -rw-r--r--",
}

func TestUFSJournalWrittenByAnOlderReleaseRecovers(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("testdata/ufsjournal-05d812c")); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	store, err := local.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	j, err := ufsjournal.Open(ctx, store, hatest.Logger(t, "journal"))
	if err != nil {
		t.Fatalf("open the older release's journal: %v", err)
	}
	defer j.Close()
	if mark, err := j.Compacted(ctx); err != nil || mark != 0x21 {
		t.Fatalf("compacted mark %#x, %v; the older release's mark file says 0x21", mark, err)
	}
	f := fsm.New(fsm.DefaultConfig())
	rec, err := RecoverUFSJournal(ctx, j, f, hatest.Logger(t, "recover"))
	if err != nil {
		t.Fatalf("recover: %v", err)
	}
	if rec.Replayed != 2 {
		t.Errorf("replayed %d batches after the newest checkpoint, want 2", rec.Replayed)
	}
	var got []string
	root := &journalpb.Caller{User: "root", Superuser: true}
	err = f.ListStatus(root, "/", true, func(info *journalpb.FileStatus) error {
		mode := fs.FileMode(info.Mode & 0o777)
		if info.IsDirectory {
			mode |= fs.ModeDir
		}
		got = append(got, fmt.Sprintf("%s %s", info.Path, mode))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, "\n") != strings.Join(fixtureNamespace, "\n") {
		t.Fatalf("the older release's journal recovered to\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(fixtureNamespace, "\n"))
	}
}
