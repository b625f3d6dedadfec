package alluxiorpc_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/internal/benchns"
	"github.com/halo-fs/halo/proto/alluxiopb"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

// startMasterFromBackup writes shape's checkpoint to a file, drops the
// namespace it came from, and starts a fresh master from that file as
// alluxio-start.sh -i does. It returns the connection and how long the
// master took to start, as time passed and as CPU time: to restore the
// namespace and write it into its journal as its first checkpoint.
func startMasterFromBackup(tb testing.TB, shape benchns.Shape) (conn *grpc.ClientConn, took, cpu time.Duration) {
	file := filepath.Join(tb.TempDir(), "namespace.backup")
	if err := os.WriteFile(file, shapeCheckpoint(tb, shape), 0o600); err != nil {
		tb.Fatal(err)
	}
	benchns.HeapInUse() // the builder's garbage is not the master's restore
	start, cpuStart := time.Now(), benchns.ProcessCPU(tb)
	conn = startMaster(tb, map[string]string{"alluxio.master.journal.init.from.backup": file})
	return conn, time.Since(start), benchns.ProcessCPU(tb) - cpuStart
}

func shapeCheckpoint(tb testing.TB, shape benchns.Shape) []byte {
	f := fsm.New(benchns.Config())
	benchns.Build(tb, f, shape)
	return benchns.Checkpoint(tb, f)
}

// BenchmarkMasterRestore10M starts a fresh master from a backup of
// 10,000,000 inodes and reports how long it took (make bench-scale).
//
//	HALO_BENCH_SCALE=1 go test -run='^$' -bench=MasterRestore10M -benchtime=1x -timeout=60m ./master/alluxiorpc/
func BenchmarkMasterRestore10M(b *testing.B) {
	benchns.SkipUnlessScale(b)
	shape := benchns.ScaleShape(b)
	for b.Loop() {
		conn, took, cpu := startMasterFromBackup(b, shape)
		b.ReportMetric(took.Seconds(), "start-s")
		b.ReportMetric(cpu.Seconds(), "start-cpu-s")
		fs := alluxiopb.NewFileSystemMasterClientServiceClient(conn)
		ctx := authenticate(b, conn, currentUser(b), "restore-bench")
		if _, err := fs.GetStatus(ctx, &alluxiopb.GetStatusPRequest{Path: proto.String(shape.DirPath(shape.Dirs - 1))}); err != nil {
			b.Fatalf("the restored master does not know the last directory: %v", err)
		}
	}
}

// listPartialBatch is the batch size the listing asks for, Alluxio's
// default for partial listings.
const listPartialBatch = 1000

// BenchmarkListStatusPartialMillionChildren lists a directory of
// 1,000,000 files through the master's ListStatusPartial, one batch
// after another, each resumed after the last path of the one before, as
// Alluxio's client does. It reports the time per batch, the bytes the
// process (master and client) allocates per batch, and the largest
// growth of the live heap over the listing, sampled after a collection
// every 50 batches. The CPU time per batch includes those collections.
//
//	go test -run='^$' -bench=ListStatusPartialMillionChildren -benchtime=1x ./master/alluxiorpc/
func BenchmarkListStatusPartialMillionChildren(b *testing.B) {
	const children = 1_000_000
	shape := benchns.OneDirectory(children)
	conn, _, _ := startMasterFromBackup(b, shape)
	fs := alluxiopb.NewFileSystemMasterClientServiceClient(conn)
	ctx := authenticate(b, conn, currentUser(b), "list-bench")
	for b.Loop() {
		baseline := benchns.HeapInUse()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		start, cpuStart := time.Now(), benchns.ProcessCPU(b)
		listed, batches, peak := listPartial(ctx, b, fs, shape.DirPath(0), children, baseline)
		took, cpu := time.Since(start), benchns.ProcessCPU(b)-cpuStart
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		if listed != children {
			b.Fatalf("listed %d entries, want %d", listed, children)
		}
		b.ReportMetric(float64(batches), "batches")
		b.ReportMetric(took.Seconds()*1000/float64(batches), "ms/batch")
		b.ReportMetric(cpu.Seconds()*1000/float64(batches), "cpu-ms/batch")
		b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(batches), "alloc-bytes/batch")
		b.ReportMetric(float64(peak)/(1<<20), "peak-live-heap-growth-MB")
	}
}

// listPartial lists dir, which holds want entries, to the end and
// returns how many entries and batches it took, and the largest live heap
// above baseline it saw.
func listPartial(ctx context.Context, b *testing.B, fs alluxiopb.FileSystemMasterClientServiceClient, dir string, want int, baseline uint64) (listed, batches int, peak uint64) {
	after := ""
	for more := true; more; batches++ {
		if batches > 2*want/listPartialBatch+10 {
			b.Fatal("the listing does not end")
		}
		o := &alluxiopb.ListStatusPartialPOptions{
			BatchSize: proto.Int32(listPartialBatch),
			Options:   &alluxiopb.ListStatusPOptions{LoadMetadataType: alluxiopb.LoadMetadataPType_NEVER.Enum()},
		}
		if after != "" {
			o.OffsetType = &alluxiopb.ListStatusPartialPOptions_StartAfter{StartAfter: after}
		}
		resp, err := fs.ListStatusPartial(ctx, &alluxiopb.ListStatusPartialPRequest{Path: proto.String(dir), Options: o})
		if err != nil {
			b.Fatalf("batch %d after %q: %v", batches, after, err)
		}
		infos := resp.GetFileInfos()
		listed += len(infos)
		if len(infos) > 0 {
			after = infos[len(infos)-1].GetPath()
		}
		more = resp.GetIsTruncated()
		if batches%50 == 0 {
			if live := benchns.HeapInUse(); live > baseline {
				peak = max(peak, live-baseline)
			}
		}
	}
	return listed, batches, peak
}
