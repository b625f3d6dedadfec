package fsm

import (
	"bytes"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/halo-fs/halo/proto/journalpb"
)

// The benchmarks build a namespace shaped like a data lake: benchDirs
// directories of benchFilesPerDir files each, names of about 20 bytes, two
// owners. Run them with
//
//	go test -run=^$ -bench=. -benchtime=1x ./fsm/
const (
	benchDirs        = 1000
	benchFilesPerDir = 1000
)

var benchCallers = []*journalpb.Caller{
	{User: "etl", Groups: []string{"analytics"}},
	{User: "alice", Groups: []string{"staff"}},
}

// buildBenchNamespace applies the entries that make the benchmark
// namespace to f and returns how many entries it applied and how long Apply
// took in total (building the entries is not counted).
func buildBenchNamespace(tb testing.TB, f *FSM) (entries int, applyTime time.Duration) {
	tb.Helper()
	index := f.AppliedIndex()
	batch := make([]*journalpb.Entry, 0, benchFilesPerDir+1)
	for d := 0; d < benchDirs; d++ {
		batch = batch[:0]
		dir := fmt.Sprintf("/dt=2024-%02d-%02d-%04d", d%12+1, d%28+1, d)
		c := benchCallers[d%len(benchCallers)]
		batch = append(batch, &journalpb.Entry{
			TimeMs: int64(1_700_000_000_000 + d), Caller: c,
			OpId:    &journalpb.OperationID{ClientHi: 7, ClientLo: uint64(d % 16), Seq: benchSeq(d, 0)},
			Payload: &journalpb.Entry_CreateDirectory{CreateDirectory: &journalpb.CreateDirectoryEntry{Path: dir, Mode: 0o755}},
		})
		for i := 0; i < benchFilesPerDir; i++ {
			batch = append(batch, &journalpb.Entry{
				TimeMs: int64(1_700_000_000_000 + d*benchFilesPerDir + i), Caller: c,
				OpId: &journalpb.OperationID{ClientHi: 7, ClientLo: uint64(d % 16), Seq: benchSeq(d, i+1)},
				Payload: &journalpb.Entry_CreateFile{CreateFile: &journalpb.CreateFileEntry{
					Path: fmt.Sprintf("%s/part-%05d-%04x.orc", dir, i, d), Mode: 0o644, Completed: true,
				}},
			})
		}
		start := time.Now()
		for _, e := range batch {
			index++
			if res := f.Apply(index, e); res.Err != nil {
				tb.Fatalf("apply %v: %v", e, res.Err)
			}
		}
		applyTime += time.Since(start)
		entries += len(batch)
	}
	return entries, applyTime
}

// benchSeq numbers the operations in the order they are made, as a client
// does: the table takes an id below one it forgot of the same client for a
// retry it may have forgotten.
func benchSeq(dir, op int) uint64 { return uint64(dir*(benchFilesPerDir+1) + op + 1) }

func benchConfig() Config {
	cfg := DefaultConfig()
	cfg.RootMode = 0o777
	return cfg
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// BenchmarkApply builds the namespace from nothing and reports the apply
// rate and the heap each inode costs.
func BenchmarkApply(b *testing.B) {
	for b.Loop() {
		before := heapInUse()
		f := New(benchConfig())
		entries, d := buildBenchNamespace(b, f)
		after := heapInUse()
		b.ReportMetric(float64(entries)/d.Seconds(), "entries/s")
		b.ReportMetric(float64(after-before)/float64(f.InodeCount()), "heap-bytes/inode")
		b.ReportMetric(float64(f.InodeCount()), "inodes")
		runtime.KeepAlive(f)
	}
}

var (
	benchOnce       sync.Once
	benchFSM        *FSM
	benchCheckpoint []byte
)

// sharedBenchNamespace builds the namespace and its checkpoint once for the
// checkpoint and restore benchmarks.
func sharedBenchNamespace(b *testing.B) (*FSM, []byte) {
	benchOnce.Do(func() {
		f := New(benchConfig())
		buildBenchNamespace(b, f)
		var buf bytes.Buffer
		if _, err := f.WriteCheckpoint(&buf); err != nil {
			b.Fatal(err)
		}
		benchFSM, benchCheckpoint = f, buf.Bytes()
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
		g := New(benchConfig())
		if _, err := g.Restore(bytes.NewReader(cp)); err != nil {
			b.Fatal(err)
		}
		if g.InodeCount() != f.InodeCount() {
			b.Fatalf("restored %d inodes, want %d", g.InodeCount(), f.InodeCount())
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/restore")
	b.ReportMetric(float64(f.InodeCount()), "inodes")
}

// BenchmarkRestoreHeap reports the heap a restored namespace holds per
// inode, which differs from a built one (no operation ids left over from
// building, names copied out of the checkpoint).
func BenchmarkRestoreHeap(b *testing.B) {
	_, cp := sharedBenchNamespace(b)
	for b.Loop() {
		before := heapInUse()
		g := New(benchConfig())
		if _, err := g.Restore(bytes.NewReader(cp)); err != nil {
			b.Fatal(err)
		}
		after := heapInUse()
		b.ReportMetric(float64(after-before)/float64(g.InodeCount()), "heap-bytes/inode")
		runtime.KeepAlive(g)
	}
}
