package master

import (
	"context"
	"testing"

	"github.com/halo-fs/halo/ha"

	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/proto/journalpb"
)

// deleteAfterCreate lands a delete of every created path right after the
// create commits: the interleaving a concurrent client produces by chance.
type deleteAfterCreate struct{ ha.Replicator }

func (d deleteAfterCreate) Propose(ctx context.Context, e *journalpb.Entry) (fsm.Result, error) {
	res, err := d.Replicator.Propose(ctx, e)
	if p := e.GetCreateFile().GetPath(); p != "" && err == nil && res.Err == nil {
		_, _ = d.Replicator.Propose(ctx, &journalpb.Entry{
			Caller:  &journalpb.Caller{User: "halo", Superuser: true},
			Payload: &journalpb.Entry_Delete{Delete: &journalpb.DeleteEntry{Path: p}},
		})
	}
	return res, err
}

// TestRegressionCreateAnsweredFromItsOwnResult: the failover checker
// (jepsen, porcupine) found creates that succeeded but answered NotFound,
// because the answer was a fresh lookup of the path and a concurrent delete
// had already removed the file. A create now answers with the inode as its
// own apply made it.
func TestRegressionCreateAnsweredFromItsOwnResult(t *testing.T) {
	m, _ := startLocalMaster(t)
	m.replicator = deleteAfterCreate{m.replicator}
	api := dial(t, m.RPCAddr())
	ctx := api.as(t, "halo")
	resp, err := api.fs.CreateFile(ctx, createRequest("/raced"))
	if err != nil {
		t.Fatalf("a create that committed answered %v", err)
	}
	if info := resp.GetFileInfo(); info.GetPath() != "/raced" || info.GetFileId() == 0 || info.GetFolder() {
		t.Fatalf("create answered %v, want the created file /raced", info)
	}
	if _, err := api.fs.GetStatus(ctx, statusRequest("/raced")); err == nil {
		t.Fatal("the delete that followed the create did not land; the test proves nothing")
	}
}
