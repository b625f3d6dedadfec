package alluxiorpc_test

import (
	"context"
	"testing"
	"time"

	"github.com/halo-fs/halo/internal/testinfra/masters"
	"github.com/halo-fs/halo/master/identity"
	"github.com/halo-fs/halo/proto/alluxiopb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// A standby takes a worker's registration and heartbeats into its own
// table, so that it knows the workers when it becomes the leader, while
// it still refuses clients UNAVAILABLE; and it gives the worker the id the
// leader gives.
func TestStandbyAcceptsWorkers(t *testing.T) {
	c := masters.New(t, masters.Config{Mode: masters.ModeRaft, Masters: 3, InProcess: true, Authentication: identity.Simple,
		Props: map[string]string{"halo.master.embedded.journal.timeout.multiplier": masters.TestRaftTimeoutMultiplier}})
	c.StartAll()
	leader := c.Leader(60 * time.Second)
	leaderID := registeredOn(t, leader)
	standby := c.Others(leader)[0]
	conn := dial(t, standby)
	ctx := authenticate(t, conn, currentUser(t), "channel-standby-worker")
	if id := registerByStream(t, ctx, conn); id != leaderID {
		t.Errorf("the standby gave the worker id %d, the leader %d", id, leaderID)
	}
	hb, err := alluxiopb.NewBlockMasterWorkerServiceClient(conn).BlockHeartbeat(ctx, &alluxiopb.BlockHeartbeatPRequest{WorkerId: proto.Int64(leaderID)})
	if err != nil || hb.GetCommand().GetCommandType() != alluxiopb.CommandType_Nothing {
		t.Errorf("heartbeat to the standby: %v, %v; want Nothing", hb, err)
	}
	infoCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	info, err := standby.Info(infoCtx)
	if err != nil {
		t.Fatal(err)
	}
	if info.GetLiveWorkers() != 1 || info.GetCapacityBytes() != 100<<20 {
		t.Errorf("the standby's MasterInfo: %d live workers, %d bytes; want 1 and %d", info.GetLiveWorkers(), info.GetCapacityBytes(), 100<<20)
	}
	_, err = alluxiopb.NewBlockMasterClientServiceClient(conn).GetWorkerInfoList(ctx, &alluxiopb.GetWorkerInfoListPOptions{})
	if status.Code(err) != codes.Unavailable {
		t.Errorf("a client's GetWorkerInfoList on the standby: %v, want UNAVAILABLE", err)
	}
}

func registeredOn(t *testing.T, m *masters.Master) int64 {
	t.Helper()
	conn := dial(t, m)
	return registerByStream(t, authenticate(t, conn, currentUser(t), "channel-leader-worker"), conn)
}

func dial(t *testing.T, m *masters.Master) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(m.RPCAddress(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}
