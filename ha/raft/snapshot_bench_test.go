package raft

import (
	"context"
	"testing"
	"time"

	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/ha/hatest"
	"github.com/halo-fs/halo/internal/benchns"
	"github.com/halo-fs/halo/proto/journalpb"
	"github.com/hashicorp/go-hclog"
)

// BenchmarkRaftSnapshot1M measures, at 1,000,000 inodes, a Raft snapshot
// (serialise + persist, which also pauses applies while serialising) on a
// seeded leader, and the install of that snapshot into a new member over
// the loopback transport, from AddVoter until the member has applied it;
// each also as the CPU time the process (leader, new member and
// collector) used meanwhile, steadier than wall time on a shared machine.
//
//	go test -run='^$' -bench=RaftSnapshot1M -benchtime=1x ./ha/raft/
func BenchmarkRaftSnapshot1M(b *testing.B) {
	benchmarkRaftSnapshot(b, benchns.DataLake(1_000_000))
}

// BenchmarkRaftSnapshot10M is BenchmarkRaftSnapshot1M at 10,000,000
// inodes (make bench-scale).
func BenchmarkRaftSnapshot10M(b *testing.B) {
	benchns.SkipUnlessScale(b)
	benchmarkRaftSnapshot(b, benchns.ScaleShape(b))
}

func benchmarkRaftSnapshot(b *testing.B, shape benchns.Shape) {
	data := namespaceCheckpoint(b, shape)
	b.ReportMetric(float64(len(data)), "snapshot-bytes")
	for i := 0; i < b.N; i++ {
		addr := hatest.FreeAddrs(b, 1)[0]
		leaderFSM := fsm.New(fsm.DefaultConfig())
		leader, err := New(Options{
			Dir: b.TempDir(), LocalAddress: addr, Peers: []string{addr}, FSM: leaderFSM,
			Timing: DefaultTiming(), Logger: hclog.NewNullLogger(),
			InitialCheckpoint: func(context.Context) ([]byte, string, error) { return data, "bench", nil },
		})
		if err != nil {
			b.Fatal(err)
		}
		deadline := time.Now().Add(time.Minute)
		for !leader.Status().Leader {
			if time.Now().After(deadline) {
				b.Fatal("single seeded master did not lead")
			}
			time.Sleep(10 * time.Millisecond)
		}
		// One more entry, so that there is something new to snapshot.
		if _, err := leader.Propose(context.Background(), &journalpb.Entry{Payload: &journalpb.Entry_Noop{Noop: &journalpb.NoopEntry{}}}); err != nil {
			b.Fatal(err)
		}
		start, cpu := time.Now(), benchns.ProcessCPU(b)
		if _, err := leader.Checkpoint(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "snapshot-s")
		b.ReportMetric((benchns.ProcessCPU(b) - cpu).Seconds(), "snapshot-cpu-s")

		joinAddr := hatest.FreeAddrs(b, 1)[0]
		joinFSM := fsm.New(fsm.DefaultConfig())
		joiner, err := New(Options{
			Dir: b.TempDir(), LocalAddress: joinAddr, Peers: []string{addr, joinAddr}, FSM: joinFSM,
			Timing: DefaultTiming(), Logger: hclog.NewNullLogger(),
		})
		if err != nil {
			b.Fatal(err)
		}
		want := leaderFSM.InodeCount()
		// The new member votes once it has restored the snapshot.
		leader.opts.MemberApplied = func(context.Context, string) (uint64, error) { return joinFSM.AppliedIndex(), nil }
		start, cpu = time.Now(), benchns.ProcessCPU(b)
		if err := leader.AddMember(context.Background(), joinAddr); err != nil {
			b.Fatal(err)
		}
		deadline = time.Now().Add(15 * time.Minute)
		for joinFSM.InodeCount() != want {
			if time.Now().After(deadline) {
				b.Fatalf("new member has %d of %d inodes", joinFSM.InodeCount(), want)
			}
			time.Sleep(5 * time.Millisecond)
		}
		b.ReportMetric(time.Since(start).Seconds(), "install-s")
		b.ReportMetric((benchns.ProcessCPU(b) - cpu).Seconds(), "install-cpu-s")
		joiner.Close()
		leader.Close()
	}
}

// namespaceCheckpoint builds shape by applying entries and returns its
// checkpoint; the namespace itself is dropped.
func namespaceCheckpoint(b *testing.B, shape benchns.Shape) []byte {
	f := fsm.New(benchns.Config())
	benchns.Build(b, f, shape)
	return benchns.Checkpoint(b, f)
}
