package e2e

import (
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/halo-fs/halo/internal/testinfra/masters"
	"github.com/halo-fs/halo/proto/halopb"

	"github.com/halo-fs/halo/internal/testinfra/hdfs"
	"github.com/halo-fs/halo/internal/testinfra/minio"
	"github.com/halo-fs/halo/ufs/adapters"
)

// TestArchiveOnS3: a Raft cluster archives its checkpoints in a MinIO
// bucket; after every master is killed, a new cluster with empty disks
// pointed at the same bucket starts from the archived checkpoint.
func TestArchiveOnS3(t *testing.T) {
	objects := minio.StartBucket(t, "halo")
	testArchiveRestores(t, "s3://halo/ckpt", objects.Options())
}

// TestArchiveOnHDFS is TestArchiveOnS3 with the archive on a MiniDFSCluster.
func TestArchiveOnHDFS(t *testing.T) {
	namenode := hdfs.StartT(t)
	testArchiveRestores(t, namenode.URI+"/halo/ckpt", nil)
}

func testArchiveRestores(t *testing.T, archive string, options map[string]string) {
	props := maps.Clone(options)
	if props == nil {
		props = map[string]string{}
	}
	props["halo.master.checkpoint.archive.folder"] = archive

	old := masters.NewRaft(t, 3, props)
	old.StartAll()
	leader := old.Leader(30 * time.Second)
	oc := newClient(t, old.RPCAddresses(), 20*time.Second)
	paths := createFiles(t, oc, "/archived", 50)
	api, ctx := admin(t, leader.RPCAddress())
	if _, err := api.halo.Checkpoint(ctx, &halopb.Empty{}); err != nil {
		t.Fatalf("checkpoint: %v", err)
	}
	for _, m := range old.Masters {
		m.Kill()
	}

	// The checkpoint is in the remote store, where the masters put it.
	store, err := adapters.Open(t.Context(), archive, options)
	if err != nil {
		t.Fatalf("open the archive %s: %v", archive, err)
	}
	defer store.Close()
	listing, err := store.List(t.Context(), "")
	if err != nil {
		t.Fatalf("list the archive: %v", err)
	}
	archived := 0
	for _, st := range listing {
		if strings.HasPrefix(st.Name, "checkpoint-") && st.Length > 0 {
			archived++
		}
	}
	if archived == 0 {
		t.Fatalf("no checkpoint in %s: %v", archive, listing)
	}

	fresh := masters.NewRaft(t, 3, props)
	fresh.StartAll()
	fresh.Leader(30 * time.Second)
	fc := newClient(t, fresh.RPCAddresses(), 20*time.Second)
	requireFiles(t, fc, paths)
}
