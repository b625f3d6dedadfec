package peers

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestTableRatiosAreToTheBestPeerAtTheSamePoint(t *testing.T) {
	points := []Point{
		{System: "etcd", Workload: Create, Threads: 16, OpsPerSec: 2000, Peer: true},
		{System: "ZooKeeper", Workload: Create, Threads: 16, OpsPerSec: 1000, Peer: true},
		{System: "Halo", Workload: Create, Threads: 16, OpsPerSec: 5000},
		{System: "Halo", Workload: Create, Threads: 1, OpsPerSec: 400},
		{System: "ZooKeeper", Workload: Read, Threads: 16, OpsPerSec: 4000, Peer: true},
	}
	var b strings.Builder
	WriteTable(&b, points)
	want := []string{
		"| create | 16 | **Halo** | :  | 5000 | 0.00 | 0.00 | 2.50 | 0/0 |",
		"| create | 16 | ZooKeeper | :  | 1000 | 0.00 | 0.00 | 0.50 | 0/0 |",
		"| create | 1 | **Halo** | :  | 400 | 0.00 | 0.00 | - | 0/0 |",
	}
	for _, w := range want {
		if !strings.Contains(b.String(), w) {
			t.Errorf("table lacks %q:\n%s", w, b.String())
		}
	}
	if strings.Index(b.String(), "| read |") < strings.Index(b.String(), "| create | 16 |") {
		t.Errorf("reads come before creates:\n%s", b.String())
	}
}

func TestPercentilesByNearestRank(t *testing.T) {
	var samples []time.Duration
	for i := 100; i >= 1; i-- {
		samples = append(samples, time.Duration(i)*time.Millisecond)
	}
	if p50, p99 := Percentiles(samples); p50 != 50*time.Millisecond || p99 != 99*time.Millisecond {
		t.Errorf("p50 %v, p99 %v of 1..100 ms; want 50ms, 99ms", p50, p99)
	}
	if p50, p99 := Percentiles(nil); p50 != 0 || p99 != 0 {
		t.Errorf("percentiles of nothing: %v, %v", p50, p99)
	}
}

func TestParseThreadsRejectsWhatIsNotAPositiveCount(t *testing.T) {
	if got, err := ParseThreads("1, 16,64"); err != nil || len(got) != 3 || got[2] != 64 {
		t.Errorf("ParseThreads(1, 16,64) = %v, %v", got, err)
	}
	for _, bad := range []string{"", "0", "-3", "x", "4,,8"} {
		if _, err := ParseThreads(bad); err == nil {
			t.Errorf("ParseThreads(%q) accepted", bad)
		}
	}
}

func TestMeasureCountsErrorsButNotTheirThroughput(t *testing.T) {
	fail := errors.New("refused")
	p := Measure(context.Background(), func(_ context.Context, _ int, seq int64) error {
		time.Sleep(time.Millisecond) // a call that takes time, not synchronisation
		if seq%2 == 1 {
			return fail
		}
		return nil
	}, 2, 20*time.Millisecond, 200*time.Millisecond)
	if p.Ops == 0 || p.Errors == 0 || p.Errors > p.Ops {
		t.Fatalf("ops %d, errors %d: want some of each", p.Ops, p.Errors)
	}
	if want := float64(p.Ops-p.Errors) / 0.2; p.OpsPerSec != want {
		t.Errorf("ops/s %.1f; want successes per second, %.1f", p.OpsPerSec, want)
	}
	if p.FirstError != fail.Error() {
		t.Errorf("first error %q; want %q", p.FirstError, fail)
	}
}

// scriptedWriter's creates succeed at the times in ok.
type scriptedWriter struct{ ok []time.Time }

func (w *scriptedWriter) FirstSuccessAfter(t time.Time, _ time.Duration) (time.Time, error) {
	var first time.Time
	for _, at := range w.ok {
		if at.After(t) && (first.IsZero() || at.Before(first)) {
			first = at
		}
	}
	if first.IsZero() {
		return first, errors.New("no success")
	}
	return first, nil
}

// A create the dying leader answered after the SIGKILL was sent, but
// before the process was gone, is not the service coming back.
func TestFailoverIgnoresTheDeadLeadersLastAnswer(t *testing.T) {
	w := &scriptedWriter{ok: []time.Time{time.Now().Add(2 * time.Hour)}} // steady state before the kill
	kill := func() (time.Time, func()) {
		gone := time.Now()
		killedAt := gone.Add(-10 * time.Millisecond)
		w.ok = append(w.ok, killedAt.Add(time.Millisecond), gone.Add(time.Hour)) // the dying leader's answer, the new leader's first
		return killedAt, func() {}
	}
	got, err := Failover(w, 1, time.Second, kill, func(int, time.Duration) {})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] < time.Hour {
		t.Errorf("unavailability %v; want an hour and more, from the kill to the new leader's first create", got)
	}
}

// The gap a graceful stop leaves counts from the last create before the
// signal, not from the signal: the writer was waiting from then on.
func TestLongestGapCountsFromTheLastSuccessBeforeTheSignal(t *testing.T) {
	at := func(ms int) time.Time { return time.UnixMilli(int64(ms)) }
	successes := []time.Time{at(900), at(1000), at(1180), at(1200), at(1210)}
	if got := LongestGap(successes, at(1050)); got != 180*time.Millisecond {
		t.Errorf("LongestGap = %v; want 180ms, from the create at 1000 to the one at 1180", got)
	}
	if got := LongestGap(successes[3:], at(1050)); got != 0 {
		t.Errorf("LongestGap without a create before the signal = %v; want 0 (nothing to measure from)", got)
	}
}

// TestSecondCreateIsARowOfItsOwn: a system with a second create (Halo's
// create then complete) gets a create row for each, the first one first.
func TestSecondCreateIsARowOfItsOwn(t *testing.T) {
	var firsts, seconds atomic.Int64
	s := &System{
		Name: "halo", CreateOp: "one", SecondCreateOp: "two", ReadOp: "read",
		Create:       func(context.Context, int, int64) error { firsts.Add(1); return nil },
		SecondCreate: func(context.Context, int, int64) error { seconds.Add(1); return nil },
		Read:         func(context.Context, int, int64) error { return nil },
	}
	points := s.Run(context.Background(), []int{1}, 0, 20*time.Millisecond, func(Point) {})
	var got []string
	for _, p := range points {
		got = append(got, p.Workload+":"+p.Operation)
	}
	if want := []string{Create + ":one", Create + ":two", Read + ":read"}; !slices.Equal(got, want) {
		t.Errorf("rows %v, want %v", got, want)
	}
	if firsts.Load() == 0 || seconds.Load() == 0 {
		t.Errorf("creates called %d and %d times, want both", firsts.Load(), seconds.Load())
	}
}
