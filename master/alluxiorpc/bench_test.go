package alluxiorpc_test

import (
	"fmt"
	"io"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/halo-fs/halo/proto/alluxiopb"
	"google.golang.org/protobuf/proto"
)

// BenchmarkFileSystemService measures a read and a write through Alluxio's
// protocol, the one every client speaks, on one in-process master (local
// journal): the cost of the RPC and translation layers, not of
// replication.
//
//	go test -run '^$' -bench FileSystemService -benchtime 5s ./master/alluxiorpc/
func BenchmarkFileSystemService(b *testing.B) {
	conn := startMaster(b, nil)
	ctx := authenticate(b, conn, currentUser(b), "channel-bench")
	fs := alluxiopb.NewFileSystemMasterClientServiceClient(conn)
	if _, err := fs.CreateDirectory(ctx, &alluxiopb.CreateDirectoryPRequest{Path: proto.String("/bench")}); err != nil {
		b.Fatal(err)
	}
	var n atomic.Int64
	b.Run("GetStatus", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := fs.GetStatus(ctx, &alluxiopb.GetStatusPRequest{Path: proto.String("/bench")}); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("CreateFile", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				p := fmt.Sprintf("/bench/a%d", n.Add(1))
				if _, err := fs.CreateFile(ctx, &alluxiopb.CreateFilePRequest{Path: proto.String(p)}); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

// BenchmarkRegisterWorkerMillionBlocks registers a worker holding
// 1,000,000 blocks (of a file being written, so the namespace knows them)
// with one in-process master the way Halo's worker does (a register
// stream of 100,000-block batches), then heartbeats until the master has
// checked every block against the namespace. It reports the registration
// alone (register-ms) and the heap the master holds for the worker
// (heap-MB: after the last registration, against before the first).
//
//	go test -run '^$' -bench MillionBlocks -benchtime 3x ./master/alluxiorpc/
func BenchmarkRegisterWorkerMillionBlocks(b *testing.B) {
	const blocks, batch = 1_000_000, 100_000
	conn := startMaster(b, map[string]string{"alluxio.master.mount.table.root.ufs": b.TempDir()})
	ctx := authenticate(b, conn, currentUser(b), "channel-million")
	rootMount(b, ctx, conn)
	made, err := alluxiopb.NewFileSystemMasterClientServiceClient(conn).CreateFile(ctx, &alluxiopb.CreateFilePRequest{
		Path: proto.String("/million"), Options: &alluxiopb.CreateFilePOptions{}})
	if err != nil {
		b.Fatal(err)
	}
	workers := alluxiopb.NewBlockMasterWorkerServiceClient(conn)
	ids := make([]int64, blocks)
	for i := range ids {
		ids[i] = made.GetFileInfo().GetFileId()<<24 | int64(i)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var registering time.Duration
	for b.Loop() {
		start := time.Now()
		resp, err := workers.GetWorkerId(ctx, &alluxiopb.GetWorkerIdPRequest{WorkerNetAddress: workerAddress})
		if err != nil {
			b.Fatal(err)
		}
		id := resp.GetWorkerId()
		stream, err := workers.RegisterWorkerStream(ctx)
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < blocks; i += batch {
			msg := &alluxiopb.RegisterWorkerPRequest{WorkerId: proto.Int64(id), CurrentBlocks: memBlocks(ids[i : i+batch]...)}
			if i == 0 {
				msg.StorageTiers = []string{"MEM"}
				msg.TotalBytesOnTiers = map[string]int64{"MEM": 1 << 40}
				msg.UsedBytesOnTiers = map[string]int64{"MEM": blocks << 20}
			}
			if err := stream.Send(msg); err != nil {
				b.Fatal(err)
			}
			if _, err := stream.Recv(); err != nil {
				b.Fatal(err)
			}
		}
		stream.CloseSend()
		if _, err := stream.Recv(); err != io.EOF {
			b.Fatal(err)
		}
		registering += time.Since(start)
		for checked := 0; checked < blocks; checked += 100_000 {
			hb, err := workers.BlockHeartbeat(ctx, &alluxiopb.BlockHeartbeatPRequest{WorkerId: proto.Int64(id)})
			if err != nil || hb.GetCommand().GetCommandType() != alluxiopb.CommandType_Nothing {
				b.Fatalf("heartbeat: %v, %v; want Nothing: the namespace knows every block", hb, err)
			}
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(registering.Milliseconds())/float64(b.N), "register-ms")
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/(1<<20), "heap-MB")
}
