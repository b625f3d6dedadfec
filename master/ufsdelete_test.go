package master

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/halo-fs/halo/proto/alluxiopb"
	"github.com/halo-fs/halo/proto/halopb"
	"github.com/halo-fs/halo/ufs"
	"github.com/halo-fs/halo/ufs/local"
	"google.golang.org/protobuf/proto"
)

// A delete removes the UFS copies of what it drops, as Alluxio's does,
// unless asked for alluxioOnly; a UFS folder holding a file the namespace
// never knew is kept. Deleted files must not come back from the UFS at the
// next metadata load.
func TestDeleteRemovesTheUFSCopies(t *testing.T) {
	m, _ := startLocalMaster(t)
	c := dial(t, m.RPCAddr())
	ufsDir := t.TempDir()
	store, err := local.New(ufsDir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, p := range []string{"gone/a/1.txt", "gone/b.txt", "kept/c.txt", "mixed/known.txt"} {
		if err := ufs.WriteFile(ctx, store, p, []byte(p), ufs.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	admin := c.as(t, "halo")
	if _, err := c.fs.Mount(admin, mountRequest("/mnt", "file://"+ufsDir)); err != nil {
		t.Fatalf("Mount: %v", err)
	}
	if _, err := c.halo.LoadMetadata(admin, &halopb.LoadMetadataRequest{Path: "/mnt", Recursive: true}); err != nil {
		t.Fatal(err)
	}
	if err := ufs.WriteFile(ctx, store, "mixed/unknown.txt", []byte("x"), ufs.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	remove := func(path string, alluxioOnly bool) {
		t.Helper()
		_, err := c.fs.Remove(admin, &alluxiopb.DeletePRequest{Path: proto.String(path), Options: &alluxiopb.DeletePOptions{
			Recursive: proto.Bool(true), AlluxioOnly: proto.Bool(alluxioOnly),
		}})
		if err != nil {
			t.Fatalf("delete %s: %v", path, err)
		}
	}
	remove("/mnt/gone", false)
	remove("/mnt/kept", true)
	remove("/mnt/mixed", false)

	exists := func(rel string) bool {
		_, err := os.Stat(filepath.Join(ufsDir, rel))
		return err == nil
	}
	for rel, want := range map[string]bool{
		"gone": false, "kept/c.txt": true, "mixed/known.txt": false, "mixed/unknown.txt": true,
	} {
		if got := exists(rel); got != want {
			t.Errorf("UFS %s exists: %t, want %t", rel, got, want)
		}
	}
	if _, err := c.halo.LoadMetadata(admin, &halopb.LoadMetadataRequest{Path: "/mnt", Recursive: true}); err != nil {
		t.Fatal(err)
	}
	names, err := list(t, c, admin, "/mnt", true)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if n == "/mnt/gone" || n == "/mnt/gone/b.txt" || n == "/mnt/mixed/known.txt" {
			t.Errorf("%s came back from the UFS after its delete (listing %v)", n, names)
		}
	}
}
