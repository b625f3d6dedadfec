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

func TestValidateRequest(t *testing.T) {
	longPath := "/" + strings.Repeat("d/", fsm.MaxPathBytes/2)
	longComponent := "/" + strings.Repeat("c", fsm.MaxComponentBytes+1)
	manyOptions := map[string]string{}
	for i := 0; i <= MaxMountOptions; i++ {
		manyOptions[fmt.Sprint("k", i)] = "v"
	}
	for _, tc := range []struct {
		name string
		req  any
		code fserr.Code
		want string
	}{
		{"create", &halopb.CreateFileRequest{Path: "/a/b"}, fserr.OK, ""},
		{"create long path", &halopb.CreateFileRequest{Path: longPath}, fserr.InvalidPath, "path: invalid path: 4097 bytes"},
		{"mkdir long name", &halopb.CreateDirectoryRequest{Path: longComponent}, fserr.InvalidPath, "component of 256 bytes"},
		{"rename bad destination", &halopb.RenameRequest{Src: "/a", Dst: longPath}, fserr.InvalidPath, "destination: "},
		{"delete relative", &halopb.DeleteRequest{Path: "a"}, fserr.InvalidPath, "must be absolute"},
		{"set attribute nil", &halopb.SetAttributeRequest{}, fserr.InvalidArgument, "without attributes"},
		{"chown", &halopb.SetAttributeRequest{Attr: &halopb.SetAttributeOptions{Path: "/a", HasOwner: true, Owner: "bob"}}, fserr.OK, ""},
		{"chown long", &halopb.SetAttributeRequest{Attr: &halopb.SetAttributeOptions{Path: "/a", HasOwner: true, Owner: strings.Repeat("o", 300)}}, fserr.InvalidArgument, "owner of 300 bytes"},
		{"chgrp empty", &halopb.SetAttributeRequest{Attr: &halopb.SetAttributeOptions{Path: "/a", HasGroup: true}}, fserr.InvalidArgument, "group is empty"},
		{"owner ignored without flag", &halopb.SetAttributeRequest{Attr: &halopb.SetAttributeOptions{Path: "/a", Owner: "x:y"}}, fserr.OK, ""},
		{"complete", &halopb.CompleteFileRequest{Path: "/a", BlockIds: make([]uint64, MaxBlocksPerFile)}, fserr.OK, ""},
		{"complete too many blocks", &halopb.CompleteFileRequest{Path: "/a", BlockIds: make([]uint64, MaxBlocksPerFile+1)}, fserr.InvalidArgument, "100001 blocks"},
		{"mount", &halopb.MountRequest{Path: "/m", UfsUri: "file:///tmp", Options: map[string]string{"k": "v"}}, fserr.OK, ""},
		{"mount long URI", &halopb.MountRequest{Path: "/m", UfsUri: strings.Repeat("u", MaxURIBytes+1)}, fserr.InvalidArgument, "UFS URI of 4097 bytes"},
		{"mount many options", &halopb.MountRequest{Path: "/m", Options: manyOptions}, fserr.InvalidArgument, "129 mount options"},
		{"mount long option name", &halopb.MountRequest{Path: "/m", Options: map[string]string{strings.Repeat("k", 257): ""}}, fserr.InvalidArgument, "mount option name of 257 bytes"},
		{"mount long option value", &halopb.MountRequest{Path: "/m", Options: map[string]string{"s3a.secretKey": strings.Repeat("v", MaxMountOptionValueBytes+1)}}, fserr.InvalidArgument, "value of mount option s3a.secretKey"},
		{"mount bad point", &halopb.MountRequest{Path: "/m/../x"}, fserr.InvalidPath, "mount point: "},
		{"unmount", &halopb.UnmountRequest{Path: ""}, fserr.InvalidPath, "path is empty"},
		{"load metadata", &halopb.LoadMetadataRequest{Path: "//"}, fserr.InvalidPath, "double slash"},
		{"backup", &halopb.BackupRequest{Directory: strings.Repeat("b", MaxURIBytes+1)}, fserr.InvalidArgument, "backup folder of 4097 bytes"},
		{"quorum", &halopb.QuorumMemberRequest{Address: strings.Repeat("h", MaxAddressBytes+1)}, fserr.InvalidArgument, "address of 513 bytes"},
		{"reads are not checked here", &halopb.GetStatusRequest{Path: "relative"}, fserr.OK, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := validateRequest(tc.req)
			if fserr.CodeOf(err) != tc.code || err != nil && !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("validateRequest = %v, want code %v mentioning %q", err, tc.code, tc.want)
			}
		})
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
	admin := userCtx(t, "halo")
	if _, err := c.Mount(admin, &halopb.MountRequest{Path: "/mnt", UfsUri: "file://" + ufsDir}); err != nil {
		t.Fatalf("Mount: %v", err)
	}
	applied := m.fsm.AppliedIndex()
	_, err = c.LoadMetadata(admin, &halopb.LoadMetadataRequest{Path: "/mnt", Recursive: true})
	err = rpcerr.FromGRPC(err)
	if fserr.CodeOf(err) != fserr.ResourceExhausted || !strings.Contains(err.Error(), "more than the journal entry limit of 65536 bytes") {
		t.Fatalf("LoadMetadata of a folder over the entry limit: %v, want ResourceExhausted naming the limit", err)
	}
	if m.fsm.AppliedIndex() != applied {
		t.Fatal("the refused LoadMetadata was journaled")
	}
}
