package master

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/halo-fs/halo/ha"
	"github.com/halo-fs/halo/master/identity"
	"github.com/halo-fs/halo/master/web"

	"github.com/halo-fs/halo/conf"
	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/fserr/rpcerr"
	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/journal"
	ufsjournal "github.com/halo-fs/halo/journal/ufs"
	"github.com/halo-fs/halo/proto/halopb"
	"github.com/halo-fs/halo/ufs"
	"github.com/halo-fs/halo/ufs/local"
)

func TestLimitsFitTheJournals(t *testing.T) {
	largestRequest := MaxEntryBytesCeiling + rpcHeadroomBytes
	for name, recordLimit := range map[string]int{"local journal": journal.MaxRecordBytes, "shared UFS journal": ufsjournal.MaxRecordLen} {
		if largestRequest >= recordLimit {
			t.Errorf("the largest entry limit plus RPC headroom (%d) does not fit a %s record (%d)", largestRequest, name, recordLimit)
		}
	}
	if conf.MaxEntrySizeMax != MaxEntryBytesCeiling {
		t.Errorf("conf accepts entry limits up to %d, the master up to %d", conf.MaxEntrySizeMax, MaxEntryBytesCeiling)
	}
	if conf.MinEntrySizeMax < 2*fsm.MaxPathBytes+4*identity.MaxNameBytes {
		t.Errorf("the smallest entry limit %d cannot hold a rename of two longest paths", conf.MinEntrySizeMax)
	}
	if DefaultMaxEntryBytes > MaxEntryBytesCeiling {
		t.Errorf("the default entry limit is above the ceiling")
	}
}

func TestCheckEntrySize(t *testing.T) {
	e := touchEntry("/" + strings.Repeat("x", 100))
	size := fsm.EncodedSize(e)
	data, err := fsm.EncodeEntry(e)
	if err != nil || len(data) != size {
		t.Fatalf("EncodedSize = %d, EncodeEntry gives %d bytes (%v)", size, len(data), err)
	}
	if err := checkEntrySize(e, size); err != nil {
		t.Fatalf("an entry of exactly the limit: %v", err)
	}
	err = checkEntrySize(e, size-1)
	want := fmt.Sprintf("CreateFile journal entry of this request is %d bytes, more than the limit of %d bytes", size, size-1)
	if fserr.CodeOf(err) != fserr.ResourceExhausted || !strings.Contains(err.Error(), want) {
		t.Fatalf("an entry one byte over the limit: %v, want ResourceExhausted saying %q", err, want)
	}
}

func TestMasterRefusesEntryLimitAboveCeiling(t *testing.T) {
	m := New(Config{Hostname: "127.0.0.1", WebPort: -1, MaxEntryBytes: MaxEntryBytesCeiling + 1}, fsm.New(fsm.DefaultConfig()),
		func(*web.Metrics) ha.Replicator { return nil })
	if err := m.Start(); err == nil || !strings.Contains(err.Error(), "outside") {
		m.grpcServer.Stop()
		t.Fatalf("Start with an entry limit above the ceiling: %v, want an error", err)
	}
}

// TestLoadMetadataOverEntryLimit: a UFS folder whose listing cannot fit one
// entry is refused with an error that names the limit, while it is listed,
// and nothing is loaded.
func TestLoadMetadataOverEntryLimit(t *testing.T) {
	const limit = 64 << 10
	m, _ := startLocalMasterWith(t, func(c *Config) { c.MaxEntryBytes = limit })
	c := dial(t, m.RPCAddr())
	ufsDir := t.TempDir()
	store, err := local.New(ufsDir)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.Repeat("n", 200)
	for i := 0; i < 2*limit/len(name); i++ {
		if err := ufs.WriteFile(context.Background(), store, fmt.Sprintf("%s%04d", name, i), nil, ufs.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	admin := c.as(t, "halo")
	if _, err := c.fs.Mount(admin, mountRequest("/mnt", "file://"+ufsDir)); err != nil {
		t.Fatalf("Mount: %v", err)
	}
	applied := m.fsm.AppliedIndex()
	_, err = c.halo.LoadMetadata(admin, &halopb.LoadMetadataRequest{Path: "/mnt", Recursive: true})
	err = rpcerr.FromGRPC(err)
	if fserr.CodeOf(err) != fserr.ResourceExhausted || !strings.Contains(err.Error(), "more than the journal entry limit of 65536 bytes") {
		t.Fatalf("LoadMetadata of a folder over the entry limit: %v, want ResourceExhausted naming the limit", err)
	}
	if m.fsm.AppliedIndex() != applied {
		t.Fatal("the refused LoadMetadata was journaled")
	}
}

// TestBackupChecksItself: the master's Backup refuses an over-long folder
// and a caller who is not an administrator whichever API calls it, as
// Checkpoint and the namespace operations do.
func TestBackupChecksItself(t *testing.T) {
	m, _ := startLocalMasterWith(t, func(c *Config) { c.Authentication = identity.NoSASL; c.TrustAssertedSuperuser = true })
	long := "/" + strings.Repeat("b", MaxURIBytes)
	_, err := m.Backup(context.Background(), &halopb.BackupRequest{Directory: long, Local: true})
	if fserr.CodeOf(err) != fserr.InvalidArgument {
		t.Errorf("a backup to a folder of %d bytes: %v, want InvalidArgument", len(long), err)
	}
	if _, err := m.Backup(context.Background(), &halopb.BackupRequest{Directory: t.TempDir(), Local: true}); err != nil {
		t.Errorf("a backup under NOSASL with the opt-in: %v", err)
	}

	m, _ = startLocalMaster(t) // SECRET: an in-process call proves nothing
	_, err = m.Backup(context.Background(), &halopb.BackupRequest{Directory: t.TempDir(), Local: true})
	if fserr.CodeOf(err) != fserr.PermissionDenied {
		t.Errorf("a backup without a proven superuser: %v, want PermissionDenied", err)
	}
}
