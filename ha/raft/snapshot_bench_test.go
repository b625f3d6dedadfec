package raft

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/ha/hatest"
	"github.com/halo-fs/halo/proto/journalpb"
	"github.com/hashicorp/go-hclog"
)

// namespaceCheckpoint builds a namespace of about n inodes (dirs of 1000
// files) by applying entries and returns its checkpoint bytes.
func namespaceCheckpoint(b *testing.B, n int) []byte {
	b.Helper()
	f := fsm.New(fsm.DefaultConfig())
	caller := &journalpb.Caller{User: "root", Superuser: true}
	index := uint64(0)
	apply := func(p *journalpb.Entry) {
		index++
		p.Caller, p.TimeMs = caller, int64(index)
		if res := f.Apply(index, p); res.Err != nil {
			b.Fatal(res.Err)
		}
	}
	for d := 0; d*1000 < n; d++ {
		dir := fmt.Sprintf("/bench/dir-%05d", d)
		apply(&journalpb.Entry{Payload: &journalpb.Entry_CreateDirectory{CreateDirectory: &journalpb.CreateDirectoryEntry{Path: dir, Mode: 0o755, Recursive: true}}})
		for i := 0; i < 1000 && d*1000+i < n; i++ {
			apply(&journalpb.Entry{Payload: &journalpb.Entry_CreateFile{CreateFile: &journalpb.CreateFileEntry{
				Path: fmt.Sprintf("%s/part-%08d.parquet", dir, i), Mode: 0o644, Completed: true}}})
		}
	}
	var buf bytes.Buffer
	if _, err := f.WriteCheckpoint(&buf); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkRaftSnapshot1M measures, at 1,000,000 inodes, a Raft snapshot
// (serialise + persist, which also pauses applies while serialising) on a
// seeded leader, and the install of that snapshot into a new member over
// the loopback transport, from AddVoter until the member has applied it.
//
//	go test -run='^$' -bench=RaftSnapshot1M -benchtime=1x ./server/
func BenchmarkRaftSnapshot1M(b *testing.B) {
	data := namespaceCheckpoint(b, 1_000_000)
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
		start := time.Now()
		if _, err := leader.Checkpoint(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "snapshot-s")

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
		start = time.Now()
		if err := leader.AddMember(context.Background(), joinAddr); err != nil {
			b.Fatal(err)
		}
		deadline = time.Now().Add(5 * time.Minute)
		for joinFSM.InodeCount() != want {
			if time.Now().After(deadline) {
				b.Fatalf("new member has %d of %d inodes", joinFSM.InodeCount(), want)
			}
			time.Sleep(5 * time.Millisecond)
		}
		b.ReportMetric(time.Since(start).Seconds(), "install-s")
		joiner.Close()
		leader.Close()
	}
}
