package boot

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/halo-fs/halo/conf"
	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/ha/local"
	"github.com/halo-fs/halo/ha/zookeeper"
	"github.com/halo-fs/halo/journal"
	"github.com/halo-fs/halo/proto/journalpb"
)

// alluxioBackup is the real Alluxio 2.9.3 backup master/alluxioimport's
// tests use (see its testdata README).
const alluxioBackup = "../alluxioimport/testdata/alluxio-2.9.3-backup.gz"

func importConfig(t *testing.T, backup string) *conf.Config {
	t.Helper()
	cfg := conf.Default()
	cfg.InitFromBackup = backup
	cfg.JournalFolder = "file://" + filepath.Join(t.TempDir(), "journal")
	return cfg
}

// requireImportedTree checks what the fixture's import gives in f.
func requireImportedTree(t *testing.T, f *fsm.FSM) {
	t.Helper()
	caller := &journalpb.Caller{User: "root", Superuser: true}
	s, err := f.GetStatus(caller, "/data/a/f1")
	if err != nil || s.Owner != "nobody" || s.Group != "nogroup" || s.Mode != 0o600 {
		t.Errorf("/data/a/f1 after the import: %v, %v; want nobody:nogroup, mode 600", s, err)
	}
	if mounts := f.MountTable(); len(mounts) != 2 {
		t.Errorf("mount table after the import: %v; want /data/a/m2 and /data/ext", mounts)
	}
}

func TestLocalJournalImportsAnAlluxioBackup(t *testing.T) {
	cfg := importConfig(t, alluxioBackup)
	folder := strings.TrimPrefix(cfg.JournalFolder, "file://")
	if err := journal.Format(folder, "cluster"); err != nil {
		t.Fatal(err)
	}
	j, err := journal.Open(journal.Options{Dir: folder, Logger: hclog.NewNullLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	sc := serverConfig(cfg, hclog.NewNullLogger())
	imported := fsm.New(fsmConfig(cfg))
	if ok, err := importBackup(context.Background(), cfg, sc, j, imported); err != nil || !ok {
		t.Fatalf("import into an empty journal: %t, %v", ok, err)
	}
	requireImportedTree(t, imported)
	f := fsm.New(fsmConfig(cfg))
	if _, err := local.RecoverFSM(j, f, hclog.NewNullLogger()); err != nil {
		t.Fatal(err)
	}
	requireImportedTree(t, f)
	if ok, err := importBackup(context.Background(), cfg, sc, j, fsm.New(fsmConfig(cfg))); err != nil || ok {
		t.Errorf("import into a journal that holds the namespace: %t, %v; want it left alone", ok, err)
	}
}

// A master started from a backup decodes the namespace once: the import
// leaves it in place, and the checkpoint just written is not read back.
func TestLocalMasterFromBackupRestoresOnce(t *testing.T) {
	cfg := importConfig(t, alluxioBackup)
	if err := journal.Format(strings.TrimPrefix(cfg.JournalFolder, "file://"), "cluster"); err != nil {
		t.Fatal(err)
	}
	var logged strings.Builder
	sc := serverConfig(cfg, hclog.New(&hclog.LoggerOptions{Output: &logged, Level: hclog.Info}))
	m, _, err := openLocal(context.Background(), cfg, sc, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Stop()
	requireImportedTree(t, m.Namespace())
	if strings.Contains(logged.String(), "restored checkpoint") {
		t.Errorf("the master read back the checkpoint it had just imported:\n%s", logged.String())
	}
}

func TestSharedJournalImportsAnAlluxioBackup(t *testing.T) {
	cfg := importConfig(t, alluxioBackup)
	ctx := context.Background()
	if _, err := formatZooKeeperJournal(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	sc := serverConfig(cfg, hclog.NewNullLogger())
	j, err := openUFSJournal(ctx, cfg, sc.UFS, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if err := importBackupToUFSJournal(ctx, cfg, sc, j); err != nil {
		t.Fatal(err)
	}
	f := fsm.New(fsmConfig(cfg))
	if _, err := zookeeper.RecoverUFSJournal(ctx, j, f, hclog.NewNullLogger()); err != nil {
		t.Fatal(err)
	}
	requireImportedTree(t, f)
}

// TestInitialBackupRefusesATruncatedAlluxioBackup: a backup cut short in
// its gzip stream is refused, naming the file and the damage.
func TestInitialBackupRefusesATruncatedAlluxioBackup(t *testing.T) {
	whole, err := os.ReadFile(alluxioBackup)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(t.TempDir(), "cut.gz")
	if err := os.WriteFile(cut, whole[:len(whole)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := importConfig(t, cut)
	_, err = readInitialBackup(context.Background(), cfg, serverConfig(cfg, hclog.NewNullLogger()))
	if err == nil || !strings.Contains(err.Error(), cut) || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("readInitialBackup of a truncated backup: %v; want an error naming %s as damaged", err, cut)
	}
}

// TestInitialBackupNamesBothFormats: a file that is neither a Halo nor an
// Alluxio backup is refused saying so, not only that it is no Halo
// checkpoint.
func TestInitialBackupNamesBothFormats(t *testing.T) {
	text := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(text, []byte("not a backup at all\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := importConfig(t, text)
	_, err := readInitialBackup(context.Background(), cfg, serverConfig(cfg, hclog.NewNullLogger()))
	if err == nil || !strings.Contains(err.Error(), "neither a Halo backup") || !strings.Contains(err.Error(), "nor an Alluxio 2.9.3 backup") || !strings.Contains(err.Error(), text) {
		t.Errorf("readInitialBackup of a text file: %v; want an error naming it as neither format", err)
	}
}
