package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/fserr/rpcerr"
	"github.com/halo-fs/halo/internal/testinfra/masters"
	"github.com/halo-fs/halo/proto/alluxiopb"
	"github.com/halo-fs/halo/proto/halopb"
	"google.golang.org/protobuf/proto"
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
	if _, err := api.fs.CreateFile(ctx, &alluxiopb.CreateFilePRequest{Path: proto.String("/f")}); err != nil {
		t.Fatalf("create /f: %v", rpcerr.FromGRPC(err))
	}

	huge := "/" + strings.Repeat("x", 64<<20-10)
	_, err := api.fs.CreateFile(ctx, &alluxiopb.CreateFilePRequest{Path: proto.String(huge)})
	wantError(t, "a request just under the old 64 MiB limit", err, fserr.ResourceExhausted, "larger than max")

	// Eight mount options of 16 KiB: each within its limit, the entry
	// over the journal's.
	options := map[string]string{}
	for i := range 8 {
		options[fmt.Sprintf("fs.option%d", i)] = strings.Repeat("v", 16<<10)
	}
	_, err = api.fs.Mount(ctx, &alluxiopb.MountPRequest{AlluxioPath: proto.String("/mnt"), UfsPath: proto.String("file://" + t.TempDir()),
		Options: &alluxiopb.MountPOptions{Properties: options}})
	wantError(t, "a request whose entry is over the entry limit", err, fserr.ResourceExhausted,
		"limit of 65536 bytes (alluxio.master.embedded.journal.entry.size.max)")

	_, _, err = client.AuthenticateChannel(ctx, api.conn, strings.Repeat("u", 300))
	wantError(t, "a channel of a 300-byte user name", err, fserr.InvalidArgument, "user name of 300 bytes is longer than the limit of 255")

	if _, err := api.fs.CreateDirectory(ctx, &alluxiopb.CreateDirectoryPRequest{Path: proto.String("/after")}); err != nil {
		t.Fatalf("a normal write after the refused requests: %v\n%s", rpcerr.FromGRPC(err), m.Log())
	}
	info, err := api.halo.GetMasterInfo(ctx, &halopb.Empty{})
	if err != nil || info.State != "PRIMARY" {
		t.Fatalf("the master after the refused requests: %v, %v; want it still PRIMARY", info.GetState(), err)
	}
}

func wantError(t *testing.T, what string, err error, code fserr.Code, want string) {
	t.Helper()
	err = rpcerr.FromGRPC(err)
	if fserr.CodeOf(err) != code || !strings.Contains(err.Error(), want) {
		t.Fatalf("%s: %v (code %v), want code %v mentioning %q", what, err, fserr.CodeOf(err), code, want)
	}
}
