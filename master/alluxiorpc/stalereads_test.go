package alluxiorpc_test

import (
	"testing"
	"time"

	"github.com/halo-fs/halo/internal/testinfra/masters"
	"github.com/halo-fs/halo/master/identity"
	"github.com/halo-fs/halo/proto/alluxiopb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// The failover checker proves it notices stale reads by letting standbys
// answer them (halo.test.unsafe.stale.reads). Once Halo's own client spoke
// Alluxio's protocol, standbys refused every client call, no stale read
// could happen, and TestCheckerCatchesStaleReads failed in every mode. A
// standby under the knob answers namespace reads, and still refuses writes.
func TestStandbyAnswersReadsOnlyUnderTheStaleReadsKnob(t *testing.T) {
	for _, knob := range []string{"false", "true"} {
		t.Run("stale-reads="+knob, func(t *testing.T) {
			c := masters.New(t, masters.Config{Mode: masters.ModeRaft, Masters: 3, InProcess: true, Authentication: identity.Simple,
				Props: map[string]string{"halo.master.embedded.journal.timeout.multiplier": masters.TestRaftTimeoutMultiplier, "halo.test.unsafe.stale.reads": knob}})
			c.StartAll()
			leader := c.Leader(60 * time.Second)
			conn := dial(t, c.Others(leader)[0])
			ctx := authenticate(t, conn, currentUser(t), "channel-stale-"+knob)
			fs := alluxiopb.NewFileSystemMasterClientServiceClient(conn)
			_, err := fs.GetStatus(ctx, &alluxiopb.GetStatusPRequest{Path: proto.String("/")})
			if knob == "true" && err != nil {
				t.Errorf("GetStatus on a standby serving stale reads: %v, want an answer", err)
			}
			if knob == "false" && status.Code(err) != codes.Unavailable {
				t.Errorf("GetStatus on a standby: %v, want UNAVAILABLE", err)
			}
			_, err = fs.CreateDirectory(ctx, &alluxiopb.CreateDirectoryPRequest{Path: proto.String("/d")})
			if status.Code(err) != codes.Unavailable {
				t.Errorf("CreateDirectory on a standby (stale reads %s): %v, want UNAVAILABLE", knob, err)
			}
		})
	}
}
