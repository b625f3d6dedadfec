package cli

import (
	"bytes"
	"testing"

	"github.com/halo-fs/halo/proto/halopb"
)

func TestWriteBackupResult(t *testing.T) {
	var b bytes.Buffer
	writeBackupResult(&b, &halopb.BackupResponse{BackupHost: "m1", BackupUri: "/u/alluxio_backups/alluxio-backup-2026-11-24-1.gz", EntryCount: 42})
	want := "Backup Host        : m1\nBackup URI         : /u/alluxio_backups/alluxio-backup-2026-11-24-1.gz\nBackup Entry Count : 42\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}
