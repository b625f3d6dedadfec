package backup

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/halo-fs/halo/ha"
	"github.com/halo-fs/halo/ha/hatest"
	"github.com/halo-fs/halo/ufs"
	"github.com/halo-fs/halo/ufs/local"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/fsm"
)

func TestNextDailyRun(t *testing.T) {
	at := 5 * time.Hour
	day := func(d, h, m int) time.Time { return time.Date(2026, 12, d, h, m, 0, 0, time.UTC) }
	for _, tc := range []struct {
		now, want time.Time
	}{
		{day(4, 1, 0), day(4, 5, 0)},
		{day(4, 5, 0), day(5, 5, 0)}, // the run at exactly now is the one that just fired
		{day(4, 23, 59), day(5, 5, 0)},
		{time.Date(2026, 12, 31, 6, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 5, 0, 0, 0, time.UTC)},
		// Local time zones do not move the UTC run.
		{time.Date(2026, 12, 4, 1, 0, 0, 0, time.FixedZone("UTC-8", -8*3600)), day(5, 5, 0)}, // 09:00 UTC
	} {
		if got := nextDailyRun(tc.now, at); !got.Equal(tc.want) {
			t.Errorf("nextDailyRun(%v, 05:00) = %v, want %v", tc.now, got, tc.want)
		}
	}
}

// A daily backup holds the namespace and leaves only the newest retained
// backups in the directory; other files there are not touched.
func TestDailyBackupWritesAndKeepsNewest(t *testing.T) {
	f := fsm.New(fsm.DefaultConfig())
	f.Apply(1, hatest.MkdirEntry("/kept"))
	dir := t.TempDir()
	b := New(Config{Directory: "file://" + dir, UFS: localRegistry(), Daily: Daily{Enabled: true, At: time.Hour, Retained: 2}}, f, leading{})
	old := []string{
		"alluxio-backup-2026-12-01-1764547200000.gz",
		"alluxio-backup-2026-12-02-1764633600000.gz",
		"alluxio-backup-2026-12-03-1764720000000.gz",
	}
	for _, name := range append(slices.Clone(old), "notes.txt") {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.daily(context.Background()); err != nil {
		t.Fatalf("daily backup: %v", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var fresh string
	for _, e := range entries {
		names = append(names, e.Name())
		if e.Name() != "notes.txt" && !slices.Contains(old, e.Name()) {
			fresh = e.Name()
		}
	}
	if len(names) != 3 || !slices.Contains(names, old[2]) || !slices.Contains(names, "notes.txt") || fresh == "" {
		t.Fatalf("backup directory holds %q; want the new backup, %s and notes.txt", names, old[2])
	}
	data, err := Read(context.Background(), b.cfg.UFS, filepath.Join(dir, fresh), nil)
	if err != nil {
		t.Fatal(err)
	}
	restored := fsm.New(fsm.DefaultConfig())
	if _, err := restored.Restore(bytes.NewReader(data)); err != nil {
		t.Fatalf("restore the daily backup: %v", err)
	}
	if _, err := restored.GetStatus(hatest.Superuser, "/kept"); err != nil {
		t.Fatalf("the daily backup lacks /kept: %v", err)
	}
}

// A master that does not lead writes no daily backup.
func TestDailyBackupRequiresLeadership(t *testing.T) {
	b := New(Config{Directory: "file://" + t.TempDir(), UFS: localRegistry()}, fsm.New(fsm.DefaultConfig()), notLeading{})
	if err := b.daily(context.Background()); err == nil {
		t.Fatal("a master that does not lead wrote a daily backup")
	}
}

// leading and notLeading are replicators whose leadership checks pass and
// fail.
type leading struct{}

func (leading) VerifyRead(context.Context) error { return nil }
func (leading) Status() ha.Status                { return ha.Status{Leader: true} }

type notLeading struct{}

func (notLeading) VerifyRead(context.Context) error {
	return fserr.New(fserr.NotLeader, "not the leader")
}
func (notLeading) Status() ha.Status { return ha.Status{} }

// localRegistry opens file:// URIs, where these tests keep their backups.
func localRegistry() *ufs.Registry {
	r := ufs.NewRegistry()
	r.Register("file", local.Open)
	return r
}
