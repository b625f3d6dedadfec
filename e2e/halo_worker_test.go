package e2e

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/internal/poll"
	"github.com/halo-fs/halo/internal/testinfra/alluxio"
	"github.com/halo-fs/halo/internal/testinfra/masters"
	"github.com/halo-fs/halo/internal/testinfra/workers"
	zkinfra "github.com/halo-fs/halo/internal/testinfra/zookeeper"
	"github.com/halo-fs/halo/proto/alluxiopb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// Three Halo workers report to three Raft masters; SIGKILL of the leader
// leaves the new leader with the same live workers and block locations,
// without any worker registering again and without a block deleted.
func TestHaloWorkersSurviveRaftFailover(t *testing.T) {
	c := masters.NewRaft(t, 3, nil)
	c.StartAll()
	workersSurviveFailover(t, c, nil)
}

// The same in ZooKeeper mode, where the workers are given no master
// addresses: they find every master in the election's znodes.
func TestHaloWorkersSurviveZooKeeperFailover(t *testing.T) {
	c := masters.NewZooKeeper(t, 3, zkinfra.Start(t, 1), nil)
	c.StartAll()
	workersSurviveFailover(t, c, func(w *workers.Worker) { delete(w.Props, "alluxio.master.rpc.addresses") })
}

// written is a block a test wrote through a worker.
type written struct {
	id     int64
	data   []byte
	worker *workers.Worker
}

func workersSurviveFailover(t *testing.T, c *masters.Cluster, adjust func(*workers.Worker)) {
	leader := c.Leader(60 * time.Second)
	// The blocks belong to a file being written, so the namespace knows
	// them although no completion lists them yet.
	fileID := createIncompleteFile(t, leader, "/being-written")
	ws := startWorkers(t, c, 3, adjust)
	var blocks []written
	for i, w := range ws {
		b := written{id: fileID<<24 | int64(i), data: randomBytes(i, 3<<20+i), worker: w}
		workers.WriteBlock(t, blockWorker(t, w), b.id, b.data)
		blocks = append(blocks, b)
	}
	for _, m := range c.Masters {
		waitLiveWorkers(t, m, len(ws))
	}
	waitLocations(t, leader, blocks)

	killed := time.Now()
	leader.Kill()
	next := c.Leader(60 * time.Second)
	elected := time.Since(killed)
	waitLocations(t, next, blocks)
	t.Logf("the new leader %s answered %v after the kill, with every block located %v after it", next.Name, elected.Round(time.Millisecond), time.Since(killed).Round(time.Millisecond))
	checkWorkerIDs(t, next, ws)
	out, err := next.Halo("fsadmin", "report")
	if err != nil || !strings.Contains(out, fmt.Sprintf("Live Workers: %d\n", len(ws))) || !strings.Contains(out, "Lost Workers: 0\n") {
		t.Errorf("fsadmin report on the new leader (%v) does not count %d live workers and none lost:\n%s", err, len(ws), out)
	}
	for _, w := range ws {
		r, err := w.Ready(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range r.Masters {
			if m.Address == next.RPCAddress() && m.Registrations != 1 {
				t.Errorf("worker %s registered %d times with the new leader %s; want once, before the failover", w.Name, m.Registrations, m.Address)
			}
		}
	}
	for _, b := range blocks {
		got, err := workers.ReadBlock(t, blockWorker(t, b.worker), b.id, 0, int64(len(b.data)), 1<<20)
		if err != nil || !bytes.Equal(got, b.data) {
			t.Errorf("block %d on %s after the failover: %d bytes, %v; want the %d bytes written", b.id, b.worker.Name, len(got), err, len(b.data))
		}
	}
}

// A worker that comes back with a block no file has is told to delete
// it by the leader; its other blocks stay, and it keeps its id.
func TestWorkerRegisteringAnUnknownBlockDeletesIt(t *testing.T) {
	c := masters.NewRaft(t, 3, nil)
	c.StartAll()
	leader := c.Leader(60 * time.Second)
	fileID := createIncompleteFile(t, leader, "/kept")
	w := startWorkers(t, c, 1, nil)[0]
	kept := written{id: fileID << 24, data: randomBytes(1, 1<<20), worker: w}
	const orphan = 12345
	bw := blockWorker(t, w)
	workers.WriteBlock(t, bw, kept.id, kept.data)
	workers.WriteBlock(t, bw, orphan, randomBytes(2, 1000))
	before := w.WaitRegistered(c.RPCAddresses(), 10*time.Second)
	w.Kill()
	w.Start()
	if after := w.WaitRegistered(c.RPCAddresses(), 60*time.Second); after.ID != before.ID {
		t.Errorf("the worker's id changed across its restart: %d, then %d", before.ID, after.ID)
	}
	checkWorkerIDs(t, leader, []*workers.Worker{w})
	poll.Until(t, 60*time.Second, "the leader to have the worker delete the block no file has", func() bool {
		_, err := workers.ReadBlock(t, bw, orphan, 0, 1000, 1<<20)
		return status.Code(err) == codes.NotFound
	})
	if got, err := workers.ReadBlock(t, bw, kept.id, 0, int64(len(kept.data)), 1<<20); err != nil || !bytes.Equal(got, kept.data) {
		t.Errorf("block %d of a file being written: %v; want it kept", kept.id, err)
	}
	// The masters run SECRET: so does the worker's port.
	conn, err := grpc.NewClient(w.RPCAddress(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := workers.ReadBlock(t, alluxiopb.NewBlockWorkerClient(conn), kept.id, 0, 1, 1<<20); status.Code(err) != codes.PermissionDenied {
		t.Errorf("a read without the shared secret's proof: %v; want PermissionDenied", err)
	}
}

// A second worker process with the identity of a running one is refused
// and says why; the first keeps serving.
func TestSecondWorkerProcessWithTheSameIdentityIsRefused(t *testing.T) {
	c := masters.NewRaft(t, 1, nil)
	c.StartAll()
	c.Leader(60 * time.Second)
	first := startWorkers(t, c, 1, nil)[0]
	second := workers.New(t, c, "w1-twin", "127.0.0.1", map[string]string{
		"halo.worker.identity.file": first.Props["halo.worker.identity.file"],
	})
	second.Start()
	if !second.WaitExit(60 * time.Second) {
		t.Fatalf("a second worker with the identity of a running one still runs; log:\n%s", second.LogTail(20))
	}
	if log := second.Log(); !bytes.Contains([]byte(log), []byte("in use by another running worker")) {
		t.Errorf("the refused worker's log does not say why:\n%s", second.LogTail(20))
	}
	first.WaitRegistered(c.RPCAddresses(), 10*time.Second)
}

// startWorkers starts n workers on 127.0.0.1..n (adjust, when set, may
// change their properties first) and waits until each is registered with
// every master.
func startWorkers(t *testing.T, c *masters.Cluster, n int, adjust func(*workers.Worker)) []*workers.Worker {
	t.Helper()
	var ws []*workers.Worker
	for i := range n {
		w := workers.New(t, c, fmt.Sprintf("w%d", i+1), fmt.Sprintf("127.0.0.%d", i+1), nil)
		if adjust != nil {
			adjust(w)
		}
		w.Start()
		ws = append(ws, w)
	}
	for _, w := range ws {
		w.WaitRegistered(c.RPCAddresses(), 60*time.Second)
	}
	return ws
}

func randomBytes(seed, n int) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{byte(seed)}).Read(b)
	return b
}

func blockWorker(t *testing.T, w *workers.Worker) alluxiopb.BlockWorkerClient {
	t.Helper()
	conn, err := grpc.NewClient(w.RPCAddress(), grpc.WithTransportCredentials(masters.Credentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return alluxiopb.NewBlockWorkerClient(conn)
}

// masterChannel is an authenticated Alluxio channel to m.
func masterChannel(t *testing.T, m *masters.Master) (*grpc.ClientConn, context.Context) {
	t.Helper()
	conn, err := grpc.NewClient(m.RPCAddress(), grpc.WithTransportCredentials(masters.Credentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	ctx, stop := context.WithTimeout(context.Background(), 30*time.Second)
	defer stop()
	channel, end, err := client.OpenChannel(ctx, conn, currentUser(t))
	if err != nil {
		t.Fatalf("authenticate with %s: %v", m.Name, err)
	}
	t.Cleanup(end)
	return conn, metadata.AppendToOutgoingContext(context.Background(), client.ChannelMetadataKey, channel)
}

func createIncompleteFile(t *testing.T, leader *masters.Master, path string) int64 {
	t.Helper()
	conn, ctx := masterChannel(t, leader)
	made, err := alluxiopb.NewFileSystemMasterClientServiceClient(conn).CreateFile(ctx, &alluxiopb.CreateFilePRequest{
		Path: proto.String(path), Options: &alluxiopb.CreateFilePOptions{}})
	if err != nil {
		t.Fatalf("create %s: %v", path, err)
	}
	return made.GetFileInfo().GetFileId()
}

// waitLiveWorkers polls m's MasterInfo, which standbys answer too, until
// it counts n live workers.
func waitLiveWorkers(t *testing.T, m *masters.Master, n int) {
	t.Helper()
	poll.Until(t, 60*time.Second, fmt.Sprintf("master %s to count %d live workers", m.Name, n), func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		info, err := m.Info(ctx)
		return err == nil && int(info.GetLiveWorkers()) == n
	})
}

// waitLocations polls the leader until every block is located on the
// worker that holds it.
func waitLocations(t *testing.T, leader *masters.Master, blocks []written) {
	t.Helper()
	conn, ctx := masterChannel(t, leader)
	client := alluxiopb.NewBlockMasterClientServiceClient(conn)
	for _, b := range blocks {
		poll.Until(t, 60*time.Second, fmt.Sprintf("leader %s to locate block %d on %s", leader.Name, b.id, b.worker.Host), func() bool {
			info, err := client.GetBlockInfo(ctx, &alluxiopb.GetBlockInfoPRequest{BlockId: proto.Int64(b.id)})
			locs := info.GetBlockInfo().GetLocations()
			return err == nil && len(locs) == 1 && locs[0].GetWorkerAddress().GetHost() == b.worker.Host
		})
	}
}

// checkWorkerIDs checks that the leader lists each worker live under the
// id its identity holds.
func checkWorkerIDs(t *testing.T, leader *masters.Master, ws []*workers.Worker) {
	t.Helper()
	conn, ctx := masterChannel(t, leader)
	list, err := alluxiopb.NewBlockMasterClientServiceClient(conn).GetWorkerInfoList(ctx, &alluxiopb.GetWorkerInfoListPOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]int64{}
	for _, info := range list.GetWorkerInfos() {
		ids[info.GetAddress().GetHost()] = info.GetId()
	}
	for _, w := range ws {
		r, err := w.Ready(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if ids[w.Host] != r.ID {
			t.Errorf("leader %s lists worker %s as id %d; its identity says %d", leader.Name, w.Name, ids[w.Host], r.ID)
		}
	}
}

// Alluxio 2.9.3's own client writes a block through a Halo worker
// (GrpcDataWriter, as a MUST_CACHE write) and reads it back
// (GrpcDataReader, with its flow control); the worker has told the
// leader of the block before the write returned.
func TestRealAlluxioClientWritesAndReadsThroughHaloWorker(t *testing.T) {
	c, clientConf := startAlluxioCompatibleRaft(t, nil)
	w := startWorkers(t, c, 1, nil)[0]
	program, err := filepath.Abs(filepath.Join("testdata", "AlluxioBlockClient.java"))
	if err != nil {
		t.Fatal(err)
	}
	const id, length = 5 << 24, 3<<20 + 17
	r := alluxio.RunT(t, alluxio.Command{Main: alluxio.MainClass(program), Conf: clientConf,
		Args: []string{w.Host, strconv.Itoa(w.RPCPort), strconv.Itoa(id), strconv.Itoa(length)}})
	if r.ExitCode != 0 || !strings.Contains(r.Stdout, fmt.Sprintf("EQUAL %d", length)) {
		t.Fatalf("the real Alluxio client did not read back the block it wrote: %s", r)
	}
	conn, err := grpc.NewClient(c.Leader(60*time.Second).RPCAddress(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	info, err := alluxiopb.NewBlockMasterClientServiceClient(conn).GetBlockInfo(context.Background(), &alluxiopb.GetBlockInfoPRequest{BlockId: proto.Int64(id)})
	if locs := info.GetBlockInfo().GetLocations(); err != nil || info.GetBlockInfo().GetLength() != length || len(locs) != 1 || locs[0].GetWorkerAddress().GetHost() != w.Host {
		t.Errorf("the leader's view of block %d: %v, %v; want %d bytes on %s", id, info, err, length, w.Host)
	}
}
