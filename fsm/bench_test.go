package fsm_test

import (
	"bytes"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/internal/benchns"
)

// The benchmarks build a namespace shaped like a data lake (see
// benchns.DataLake). Run them with
//
//	go test -run=^$ -bench=. -benchtime=1x ./fsm/
//
// and the ten-million-inode one with make bench-scale.
var benchShape = benchns.DataLake(1_000_000)

// BenchmarkApply builds the namespace from nothing and reports the apply
// rate and the heap each inode costs.
func BenchmarkApply(b *testing.B) {
	for b.Loop() {
		before := benchns.HeapInUse()
		f := fsm.New(benchns.Config())
		entries, d := benchns.Build(b, f, benchShape)
		after := benchns.HeapInUse()
		b.ReportMetric(float64(entries)/d.Seconds(), "entries/s")
		b.ReportMetric(float64(after-before)/float64(f.InodeCount()), "heap-bytes/inode")
		b.ReportMetric(float64(f.InodeCount()), "inodes")
		runtime.KeepAlive(f)
	}
}

var (
	benchOnce       sync.Once
	benchFSM        *fsm.FSM
	benchCheckpoint []byte
)

// sharedBenchNamespace builds the namespace and its checkpoint once for the
// checkpoint and restore benchmarks.
func sharedBenchNamespace(b *testing.B) (*fsm.FSM, []byte) {
	benchOnce.Do(func() {
		f := fsm.New(benchns.Config())
		benchns.Build(b, f, benchShape)
		benchFSM, benchCheckpoint = f, benchns.Checkpoint(b, f)
	})
	if benchFSM == nil {
		b.Fatal("building the benchmark namespace failed")
	}
	return benchFSM, benchCheckpoint
}

func BenchmarkWriteCheckpoint(b *testing.B) {
	f, cp := sharedBenchNamespace(b)
	buf := bytes.NewBuffer(make([]byte, 0, len(cp)))
	b.ResetTimer()
	for b.Loop() {
		buf.Reset()
		if _, err := f.WriteCheckpoint(buf); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "checkpoint-bytes")
	b.ReportMetric(float64(buf.Len())/float64(f.InodeCount()), "bytes/inode")
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/checkpoint")
}

func BenchmarkRestore(b *testing.B) {
	f, cp := sharedBenchNamespace(b)
	b.ResetTimer()
	for b.Loop() {
		restore(b, cp, f.InodeCount())
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/restore")
	b.ReportMetric(float64(f.InodeCount()), "inodes")
}

func restore(b *testing.B, cp []byte, inodes uint64) *fsm.FSM {
	g := fsm.New(benchns.Config())
	if _, err := g.Restore(bytes.NewReader(cp)); err != nil {
		b.Fatal(err)
	}
	if g.InodeCount() != inodes {
		b.Fatalf("restored %d inodes, want %d", g.InodeCount(), inodes)
	}
	return g
}

// BenchmarkRestoreHeap reports the heap a restored namespace holds per
// inode, which differs from a built one (no operation ids left over from
// building, names copied out of the checkpoint).
func BenchmarkRestoreHeap(b *testing.B) {
	f, cp := sharedBenchNamespace(b)
	for b.Loop() {
		before := benchns.HeapInUse()
		g := restore(b, cp, f.InodeCount())
		after := benchns.HeapInUse()
		b.ReportMetric(float64(after-before)/float64(g.InodeCount()), "heap-bytes/inode")
		runtime.KeepAlive(g)
	}
}

// BenchmarkScale10M builds 10,000,000 inodes by applying entries and
// reports, in one run: the apply rate and the heap per inode of the built
// namespace, the checkpoint's size and the time to write it, then the
// time to restore it into a fresh namespace and the heap per inode of the
// restored one. Times are given as they passed and as the CPU time the
// process used (the collector's work included), which a loaded machine
// disturbs less. The built namespace is dropped before the restore, so
// the two heaps are measured apart.
//
//	HALO_BENCH_SCALE=1 go test -run='^$' -bench=Scale10M -benchtime=1x -timeout=60m ./fsm/
func BenchmarkScale10M(b *testing.B) {
	benchns.SkipUnlessScale(b)
	for b.Loop() {
		inodes, cp := buildAndCheckpoint(b, benchns.ScaleShape(b))
		before := benchns.HeapInUse()
		start, cpu := time.Now(), benchns.ProcessCPU(b)
		g := restore(b, cp, inodes)
		b.ReportMetric(time.Since(start).Seconds(), "restore-s")
		b.ReportMetric((benchns.ProcessCPU(b) - cpu).Seconds(), "restore-cpu-s")
		b.ReportMetric(float64(benchns.HeapInUse()-before)/float64(inodes), "restored-heap-bytes/inode")
		runtime.KeepAlive(g)
		// Measured before the restore, the checkpoint must be in the heap
		// after it too.
		runtime.KeepAlive(cp)
	}
}

// buildAndCheckpoint builds shape, reports what building and
// checkpointing it cost, and returns its inode count and checkpoint.
func buildAndCheckpoint(b *testing.B, shape benchns.Shape) (uint64, []byte) {
	before := benchns.HeapInUse()
	f := fsm.New(benchns.Config())
	entries, applyTime := benchns.Build(b, f, shape)
	inodes := f.InodeCount()
	b.ReportMetric(float64(inodes), "inodes")
	b.ReportMetric(float64(entries)/applyTime.Seconds(), "entries/s")
	b.ReportMetric(float64(benchns.HeapInUse()-before)/float64(inodes), "heap-bytes/inode")
	start, cpu := time.Now(), benchns.ProcessCPU(b)
	cp := benchns.Checkpoint(b, f)
	b.ReportMetric(time.Since(start).Seconds(), "checkpoint-s")
	b.ReportMetric((benchns.ProcessCPU(b) - cpu).Seconds(), "checkpoint-cpu-s")
	b.ReportMetric(float64(len(cp)), "checkpoint-bytes")
	return inodes, cp
}
