package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/fserr/rpcerr"
	"github.com/halo-fs/halo/internal/testinfra/masters"
	"github.com/halo-fs/halo/proto/halopb"
	"google.golang.org/grpc/metadata"
)

// TestRealMastersRefuseOversizedRequests sends a real master requests that
// used to stop its writes or were journaled whatever their size: one just
// under the old 64 MiB RPC limit (whose entry was just over the journal's
// record limit), one whose entry is over
// alluxio.master.embedded.journal.entry.size.max (set to 64KB), and one
// from a user with a 300-byte name. Each is refused with a clear error,
// and afterwards the same master still leads and takes a normal write.
func TestRealMastersRefuseOversizedRequests(t *testing.T) {
	props := map[string]string{"alluxio.master.embedded.journal.entry.size.max": "64KB"}
	t.Run("single master", func(t *testing.T) {
		m := masters.NewMaster(t, "m1", "127.0.0.1")
		for k, v := range props {
			m.Props[k] = v
		}
		m.Format()
		m.Start()
		m.WaitReady(30 * time.Second)
		sendOversizedRequests(t, m)
	})
	t.Run("raft", func(t *testing.T) {
		_, leader := startRaft(t, 3, props)
		sendOversizedRequests(t, leader)
	})
}

func sendOversizedRequests(t *testing.T, m *masters.Master) {
	t.Helper()
	api, ctx := admin(t, m.RPCAddress())
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if _, err := api.CreateFile(ctx, &halopb.CreateFileRequest{Path: "/f"}); err != nil {
		t.Fatalf("create /f: %v", rpcerr.FromGRPC(err))
	}

	huge := "/" + strings.Repeat("x", 64<<20-10)
	_, err := api.CreateFile(ctx, &halopb.CreateFileRequest{Path: huge})
	wantError(t, "a request just under the old 64 MiB limit", err, fserr.ResourceExhausted, "larger than max")

	blocks := make([]uint64, 20_000)
	for i := range blocks {
		blocks[i] = 1<<40 + uint64(i)
	}
	_, err = api.CompleteFile(ctx, &halopb.CompleteFileRequest{Path: "/f", BlockIds: blocks})
	wantError(t, "a request whose entry is over the entry limit", err, fserr.ResourceExhausted,
		"limit of 65536 bytes (alluxio.master.embedded.journal.entry.size.max)")

	longUser := metadata.AppendToOutgoingContext(context.Background(), "halo-user", strings.Repeat("u", 300))
	longUser, cancelUser := context.WithTimeout(longUser, time.Minute)
	defer cancelUser()
	_, err = api.CreateFile(longUser, &halopb.CreateFileRequest{Path: "/by-long-name"})
	wantError(t, "a request from a 300-byte user name", err, fserr.InvalidArgument, "user name of 300 bytes is longer than the limit of 255")

	if _, err := api.CreateDirectory(ctx, &halopb.CreateDirectoryRequest{Path: "/after"}); err != nil {
		t.Fatalf("a normal write after the refused requests: %v\n%s", rpcerr.FromGRPC(err), m.Log())
	}
	info, err := api.GetMasterInfo(ctx, &halopb.Empty{})
	if err != nil || info.State != "PRIMARY" {
		t.Fatalf("the master after the refused requests: %v, %v; want it still PRIMARY", info.GetState(), err)
	}
	if _, err := api.GetStatus(ctx, &halopb.GetStatusRequest{Path: "/by-long-name"}); fserr.CodeOf(rpcerr.FromGRPC(err)) != fserr.NotFound {
		t.Fatalf("the refused create by a long user name: GetStatus answered %v, want NotFound", err)
	}
}

func wantError(t *testing.T, what string, err error, code fserr.Code, want string) {
	t.Helper()
	err = rpcerr.FromGRPC(err)
	if fserr.CodeOf(err) != code || !strings.Contains(err.Error(), want) {
		t.Fatalf("%s: %v (code %v), want code %v mentioning %q", what, err, fserr.CodeOf(err), code, want)
	}
}
