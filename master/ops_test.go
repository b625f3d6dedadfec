package master

import (
	"context"
	"strings"
	"testing"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/master/identity"
)

// TestOperationsCheckLimitsWhateverTheAPI: the limits hold for a call of
// the operations themselves, as another API's handlers make them, not only
// for requests that pass Halo's RPC interceptor.
func TestOperationsCheckLimitsWhateverTheAPI(t *testing.T) {
	m, _ := startLocalMasterWith(t, func(c *Config) { c.Authentication = identity.Simple })
	ctx := asCaller(t, m, context.Background(), "halo")
	bad := "halo:staff"
	for _, tc := range []struct {
		name string
		call func() error
		code fserr.Code
		want string
	}{
		{"create", func() error { _, err := m.CreateFile(ctx, CreateFileOptions{Path: "relative"}); return err }, fserr.InvalidPath, "must be absolute"},
		{"mkdir", func() error { _, err := m.CreateDirectory(ctx, CreateDirectoryOptions{Path: "/a//b"}); return err }, fserr.InvalidPath, "double slash"},
		{"rename", func() error { return m.Rename(ctx, nil, "/a", "b") }, fserr.InvalidPath, "destination: "},
		{"delete", func() error { return m.Delete(ctx, DeleteOptions{Path: ""}) }, fserr.InvalidPath, "path is empty"},
		{"chown", func() error { return m.SetAttribute(ctx, SetAttributeOptions{Path: "/", Owner: &bad}) }, fserr.InvalidArgument, "owner"},
		{"complete", func() error {
			return m.CompleteFile(ctx, CompleteFileOptions{Path: "/f", BlockIDs: make([]uint64, MaxBlocksPerFile+1)})
		}, fserr.InvalidArgument, "blocks"},
		{"mount", func() error {
			return m.Mount(ctx, MountOptions{Path: "/m", UfsURI: strings.Repeat("u", MaxURIBytes+1)})
		}, fserr.InvalidArgument, "UFS URI"},
		{"unmount", func() error { return m.Unmount(ctx, nil, "m") }, fserr.InvalidPath, "must be absolute"},
		{"load metadata", func() error { _, err := m.LoadMetadata(ctx, LoadMetadataOptions{Path: "//"}); return err }, fserr.InvalidPath, "double slash"},
	} {
		applied := m.fsm.AppliedIndex()
		err := tc.call()
		if fserr.CodeOf(err) != tc.code || err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want code %v mentioning %q", tc.name, err, tc.code, tc.want)
		}
		if got := m.fsm.AppliedIndex(); got != applied {
			t.Errorf("%s: the refused call moved the applied index from %d to %d", tc.name, applied, got)
		}
	}
}

// TestOperationsApplyDefaultsAndOptionalAttributes: an operation called
// with Go arguments resolves the umask default and changes only the
// attributes it is given.
func TestOperationsApplyDefaultsAndOptionalAttributes(t *testing.T) {
	m, _ := startLocalMasterWith(t, func(c *Config) { c.Authentication = identity.Simple })
	ctx := asCaller(t, m, context.Background(), "halo")
	dir, err := m.CreateDirectory(ctx, CreateDirectoryOptions{Path: "/d"})
	if err != nil {
		t.Fatal(err)
	}
	if want := 0o777 &^ m.cfg.Umask; dir.Mode != want || !dir.IsDirectory {
		t.Errorf("mkdir without a mode made %v, want a directory of mode %o", dir, want)
	}
	mode := uint32(0o600)
	file, err := m.CreateFile(ctx, CreateFileOptions{Path: "/d/f", Mode: &mode, Completed: true})
	if err != nil {
		t.Fatal(err)
	}
	if file.Mode != mode || !file.Completed {
		t.Errorf("create with mode %o made %v", mode, file)
	}
	pinned := true
	if err := m.SetAttribute(ctx, SetAttributeOptions{Path: "/d/f", Pinned: &pinned}); err != nil {
		t.Fatal(err)
	}
	got, err := m.GetStatus(ctx, "/d/f")
	if err != nil {
		t.Fatal(err)
	}
	if !got.Pinned || got.Mode != mode || got.Owner != file.Owner || got.Group != file.Group {
		t.Errorf("after a pin: %v (before: %v)", got, file)
	}
}
