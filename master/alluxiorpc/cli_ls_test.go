package alluxiorpc_test

import (
	"bytes"
	"context"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/halo-fs/halo/cli"
	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/internal/benchns"
	"google.golang.org/grpc"
)

// listCallCounter counts the ListStatusPartial calls a client makes.
type listCallCounter struct{ calls atomic.Int64 }

func (c *listCallCounter) intercept(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoke grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	if strings.HasSuffix(method, "/ListStatusPartial") {
		c.calls.Add(1)
	}
	return invoke(ctx, method, req, reply, cc, opts...)
}

// lsOutput receives what `fs ls` prints; onLine, when set, is called
// after each line with how many lines came so far.
type lsOutput struct {
	lines  int
	onLine func(lines int)
}

func (o *lsOutput) Write(p []byte) (int, error) {
	for range bytes.Count(p, []byte("\n")) {
		o.lines++
		if o.onLine != nil {
			o.onLine(o.lines)
		}
	}
	return len(p), nil
}

// runLs runs `fs ls dir` against the master behind conn with pages of
// batch entries, printing into out and counting its listing calls in
// counter.
func runLs(tb testing.TB, conn *grpc.ClientConn, dir string, batch int32, out *lsOutput, counter *listCallCounter) {
	tb.Helper()
	var errOut bytes.Buffer
	env := &cli.Env{
		Dial: func(context.Context) (*client.Client, error) {
			return client.New(client.Options{
				Addresses: []string{conn.Target()}, User: currentUser(tb), ListBatchSize: batch,
				DialOptions: []grpc.DialOption{grpc.WithChainUnaryInterceptor(counter.intercept)},
			})
		},
		Out: out, Err: &errOut,
	}
	cmd := cli.NewFSCommand(env)
	cmd.SetOut(out)
	cmd.SetErr(&errOut)
	if code := cli.Execute(context.Background(), cmd, []string{"ls", dir}, &errOut); code != 0 {
		tb.Fatalf("fs ls %s: exit code %d: %s", dir, code, errOut.String())
	}
}

// `fs ls` of a directory prints each page of the master's listing before
// it asks for the next, so that listing a directory of a million children
// holds one page in the client, never the whole listing.
func TestLsPrintsEachPageBeforeAskingForTheNext(t *testing.T) {
	const children, batch = 2500, 1000
	shape := benchns.OneDirectory(children)
	conn, _, _ := startMasterFromBackup(t, shape)
	counter := &listCallCounter{}
	callsAtLine := map[int]int64{}
	out := &lsOutput{onLine: func(lines int) {
		if lines%batch == 1 {
			callsAtLine[lines] = counter.calls.Load()
		}
	}}
	runLs(t, conn, shape.DirPath(0), batch, out, counter)
	if out.lines != children {
		t.Fatalf("ls printed %d lines, want %d", out.lines, children)
	}
	for _, line := range []int{1, batch + 1, 2*batch + 1} {
		if want := int64(line/batch + 1); callsAtLine[line] != want {
			t.Errorf("when line %d was printed the client had made %d listing calls, want %d (one per page so far)", line, callsAtLine[line], want)
		}
	}
}

// BenchmarkLsCommandMillionChildren runs `fs ls` (the CLI, its client and
// an in-process master) on a directory of 1,000,000 files, and reports
// the bytes the process allocates per listed entry and the largest growth
// of the live heap over the listing, sampled after a collection every
// 50,000 printed lines: what the listing holds at once.
//
//	go test -run='^$' -bench=LsCommandMillionChildren -benchtime=1x ./master/alluxiorpc/
func BenchmarkLsCommandMillionChildren(b *testing.B) {
	const children, sampleEvery = 1_000_000, 50_000
	shape := benchns.OneDirectory(children)
	conn, _, _ := startMasterFromBackup(b, shape)
	for b.Loop() {
		baseline := benchns.HeapInUse()
		var peak uint64
		out := &lsOutput{onLine: func(lines int) {
			if lines%sampleEvery == 0 {
				if live := benchns.HeapInUse(); live > baseline {
					peak = max(peak, live-baseline)
				}
			}
		}}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		runLs(b, conn, shape.DirPath(0), client.DefaultListBatchSize, out, &listCallCounter{})
		runtime.ReadMemStats(&after)
		if out.lines != children {
			b.Fatalf("ls printed %d lines, want %d", out.lines, children)
		}
		b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/children, "alloc-bytes/entry")
		b.ReportMetric(float64(peak)/(1<<20), "peak-live-heap-growth-MB")
	}
}
