// Package benchns builds the namespaces Halo's benchmarks measure, by
// applying journal entries to a namespace the way replicas do, so that
// the figures of the namespace, its checkpoints, Raft snapshots and a
// master restored from them describe the same shapes.
package benchns

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/proto/journalpb"
)

// Shape is a namespace of Dirs directories under the root, each holding
// FilesPerDir files, with names of about 20 bytes and two owners, like a
// data lake's partitions.
type Shape struct {
	Dirs        int
	FilesPerDir int
}

// Inodes is how many inodes the shape holds, the root included.
func (s Shape) Inodes() int { return 1 + s.Dirs*(1+s.FilesPerDir) }

// DataLake is about n inodes in directories of 1000 files.
func DataLake(n int) Shape { return Shape{Dirs: max(1, n/1000), FilesPerDir: 1000} }

// OneDirectory is one directory /wide holding n files.
func OneDirectory(n int) Shape { return Shape{Dirs: 1, FilesPerDir: n} }

var callers = []*journalpb.Caller{
	{User: "etl", Groups: []string{"analytics"}},
	{User: "alice", Groups: []string{"staff"}},
}

// Config is the namespace configuration of every benchmark namespace:
// a root everyone may write into.
func Config() fsm.Config {
	cfg := fsm.DefaultConfig()
	cfg.RootMode = 0o777
	return cfg
}

// DirPath is the path of directory d of a shape.
func (s Shape) DirPath(d int) string {
	if s.Dirs == 1 {
		return "/wide"
	}
	return fmt.Sprintf("/dt=2024-%02d-%02d-%04d", d%12+1, d%28+1, d)
}

// Build applies the entries that make shape to f and returns how many
// entries it applied and how long Apply took in total (building the
// entries is not counted).
func Build(tb testing.TB, f *fsm.FSM, shape Shape) (entries int, applyTime time.Duration) {
	tb.Helper()
	index := f.AppliedIndex()
	const batchSize = 1000
	batch := make([]*journalpb.Entry, 0, batchSize)
	flush := func() {
		start := time.Now()
		for _, e := range batch {
			index++
			if res := f.Apply(index, e); res.Err != nil {
				tb.Fatalf("apply %v: %v", e, res.Err)
			}
		}
		applyTime += time.Since(start)
		entries += len(batch)
		batch = batch[:0]
	}
	op := uint64(0)
	add := func(c *journalpb.Caller, e *journalpb.Entry) {
		op++
		e.TimeMs, e.Caller = int64(1_700_000_000_000+op), c
		// Sixteen clients, each numbering its operations in the order it
		// makes them, so the exactly-once table holds what it holds in a
		// busy namespace.
		e.OpId = &journalpb.OperationID{ClientHi: 7, ClientLo: op % 16, Seq: op}
		batch = append(batch, e)
		if len(batch) == batchSize {
			flush()
		}
	}
	for d := 0; d < shape.Dirs; d++ {
		dir := shape.DirPath(d)
		c := callers[d%len(callers)]
		add(c, &journalpb.Entry{Payload: &journalpb.Entry_CreateDirectory{CreateDirectory: &journalpb.CreateDirectoryEntry{Path: dir, Mode: 0o755}}})
		for i := 0; i < shape.FilesPerDir; i++ {
			add(c, &journalpb.Entry{Payload: &journalpb.Entry_CreateFile{CreateFile: &journalpb.CreateFileEntry{
				Path: fmt.Sprintf("%s/part-%05d-%04x.orc", dir, i, d), Mode: 0o644, Completed: true,
			}}})
		}
	}
	flush()
	return entries, applyTime
}

// checkpointBytesPerInode is a little more than a checkpoint of these
// shapes takes per inode.
const checkpointBytesPerInode = 80

// Checkpoint returns f's checkpoint.
func Checkpoint(tb testing.TB, f *fsm.FSM) []byte {
	tb.Helper()
	var buf bytes.Buffer
	// Room for the whole checkpoint (about 67 bytes an inode in these
	// shapes): growing by doubling would take longer than the writing
	// the benchmarks measure.
	buf.Grow(int(f.InodeCount()) * checkpointBytesPerInode)
	if _, err := f.WriteCheckpoint(&buf); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// HeapInUse is the live heap after a full collection.
func HeapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// SkipUnlessScale skips a benchmark of ten million inodes unless
// HALO_BENCH_SCALE is set (make bench-scale sets it): each holds
// gigabytes and runs for minutes, too much for make bench.
func SkipUnlessScale(b *testing.B) {
	if os.Getenv("HALO_BENCH_SCALE") == "" {
		b.Skip("a ten-million-inode benchmark; run it with make bench-scale (HALO_BENCH_SCALE=1)")
	}
}

// ScaleShape is the namespace of the ten-million-inode benchmarks:
// DataLake(10,000,000), or DataLake(HALO_BENCH_INODES) when that is set,
// so that how a figure grows with the namespace can be seen (and
// profiled) at smaller sizes without waiting for the largest.
func ScaleShape(b *testing.B) Shape {
	v := os.Getenv("HALO_BENCH_INODES")
	if v == "" {
		return DataLake(10_000_000)
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1000 {
		b.Fatalf("HALO_BENCH_INODES=%q: want a whole number of inodes, at least 1000", v)
	}
	return DataLake(n)
}

// ProcessCPU is the CPU time the process has used, user and system: on
// a shared machine a steadier measure of work than the time that passed.
func ProcessCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
