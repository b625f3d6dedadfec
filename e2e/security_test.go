package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/halo-fs/halo/internal/testinfra/masters"
)

// TestSecretModeAdminViaCLI runs a master with
// alluxio.security.authentication.type=SECRET. The CLI with the secret
// file takes a backup to a local folder and mounts a local folder; the
// same CLI with another secret, or with SIMPLE (no proof, claiming the
// master's user), is refused with a message naming what to set, and
// nothing is written. The CLI is bin/halo; the master runs in the test's
// process, since what is tested is what crosses the RPC port.
func TestSecretModeAdminViaCLI(t *testing.T) {
	m := masters.NewMaster(t, "m1", "127.0.0.1")
	m.InProcess = true
	m.Format()
	m.Start()
	m.WaitReady(30 * time.Second)

	wrongSecret := filepath.Join(t.TempDir(), "wrong")
	if err := os.WriteFile(wrongSecret, []byte("not the masters' secret at all"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"another secret", []string{"-D", "halo.security.authentication.secret.file=" + wrongSecret}, "does not match this master's shared secret"},
		{"SIMPLE", []string{"-D", "alluxio.security.authentication.type=SIMPLE"}, "did not prove it holds the shared secret"},
	} {
		backups := t.TempDir()
		out, err := m.Halo(append(tt.args, "fsadmin", "backup", backups, "--local")...)
		if err == nil || !strings.Contains(out, tt.want) {
			t.Errorf("fsadmin backup with %s: %v, want a refusal saying %q\n%s", tt.name, err, tt.want, out)
		}
		if names, _ := os.ReadDir(backups); len(names) != 0 {
			t.Errorf("a refused backup with %s wrote %v", tt.name, names)
		}
		if out, err := m.Halo(append(tt.args, "fs", "mount", "/host", "file:///")...); err == nil {
			t.Errorf("fs mount file:/// with %s succeeded:\n%s", tt.name, out)
		}
	}

	if out, err := m.Halo("fsadmin", "backup", t.TempDir(), "--local"); err != nil || !strings.Contains(out, "Backup URI") {
		t.Fatalf("fsadmin backup with the secret: %v\n%s", err, out)
	}
	if out, err := m.Halo("fs", "mount", "/mnt", "file://"+t.TempDir()); err != nil {
		t.Fatalf("fs mount with the secret: %v\n%s", err, out)
	}
}

// TestSimpleModeRefusesAdminViaCLI: a master left at SIMPLE refuses the
// CLI's admin commands even from its own user, saying which setting
// enables them, and keeps serving namespace commands. The master runs in
// the test's process (see TestSecretModeAdminViaCLI).
func TestSimpleModeRefusesAdminViaCLI(t *testing.T) {
	m := masters.NewMaster(t, "m1", "127.0.0.1")
	m.InProcess = true
	m.Props["alluxio.security.authentication.type"] = "SIMPLE"
	m.Format()
	m.Start()
	m.WaitReady(30 * time.Second)
	if out, err := m.Halo("fs", "mkdir", "/ok"); err != nil {
		t.Fatalf("fs mkdir under SIMPLE: %v\n%s", err, out)
	}
	for _, args := range [][]string{
		{"fsadmin", "backup", t.TempDir(), "--local"},
		{"fs", "mount", "/host", "file:///"},
		{"fsadmin", "journal", "checkpoint"},
	} {
		out, err := m.Halo(args...)
		if err == nil || !strings.Contains(out, "alluxio.security.authentication.type=SIMPLE does not verify who calls") {
			t.Errorf("%v under SIMPLE: %v, want a refusal naming the setting\n%s", args, err, out)
		}
	}
}
