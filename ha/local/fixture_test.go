package local

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/halo-fs/halo/ha/hatest"
	"github.com/halo-fs/halo/proto/journalpb"
)

// testdata/journal-05d812c is a local journal written by a master built
// from commit 05d812c (before the exactly-once table's format 2, the tree's
// path-length bounds and the ha/ split): mkdir, touch, rename and chmod,
// a checkpoint at index 9, then a delete and more creates in the log. The
// namespace below is what that master listed (`fs ls -R /`) before it
// stopped. A journal an older release wrote must replay to the same
// namespace, through its checkpoint and the log after it.
var fixtureNamespace = []string{
	"/after 755 halo dir",
	"/after/checkpoint 755 halo dir",
	"/after/checkpoint/f 644 halo file",
	"/data 755 halo dir",
	"/data/a 755 halo dir",
	"/data/a/one 644 halo file",
	"/data/two 644 halo file",
	"/logs 700 halo dir",
}

func TestJournalWrittenByAnOlderReleaseReplays(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("testdata/journal-05d812c")); err != nil {
		t.Fatal(err)
	}
	lm, replayed := openLocal(t, dir, Options{})
	if replayed == 0 {
		t.Fatal("recovery replayed no log records after the checkpoint; the fixture has four")
	}
	var got []string
	root := &journalpb.Caller{User: "root", Superuser: true}
	err := lm.f.ListStatus(root, "/", true, func(info *journalpb.FileStatus) error {
		kind := "file"
		if info.IsDirectory {
			kind = "dir"
		}
		got = append(got, fmt.Sprintf("%s %o %s %s", info.Path, info.Mode&0o777, info.Owner, kind))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, "\n") != strings.Join(fixtureNamespace, "\n") {
		t.Fatalf("the older release's journal replayed to\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(fixtureNamespace, "\n"))
	}
	// The replayed namespace keeps serving writes into the old journal.
	lm.propose(t, hatest.MkdirEntry("/new"))
}
