package e2e

import (
	"context"
	"fmt"
	"os/user"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/halo-fs/halo/bench/peers"
	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/internal/testinfra/masters"
)

// These benchmarks time recovery of real master processes. Each b.Loop
// iteration is one trial (kill -9, recover, restart); the interesting figures
// are the custom metrics, not ns/op, which includes the restart and catch-up
// between trials. Run them one at a time, with a trial count:
//
//	go test -run='^$' -bench=RaftFailover -benchtime=20x -timeout 30m ./e2e/
//	go test -run='^$' -bench=LocalRestart -benchtime=10x -timeout 30m ./e2e/

// benchClient is a client with the short backoff a failover measurement
// needs: the retry sleep, not the cluster, must not dominate the figure.
func benchClient(b *testing.B, addrs []string) *client.Client {
	b.Helper()
	u, err := user.Current()
	if err != nil {
		b.Fatal(err)
	}
	c, err := client.New(client.Options{
		Addresses:          addrs,
		User:               u.Username,
		RetryBaseSleep:     10 * time.Millisecond,
		RetryMaxSleep:      100 * time.Millisecond,
		RetryMaxDuration:   30 * time.Second,
		AttemptTimeout:     2 * time.Second,
		LeaderProbeTimeout: 500 * time.Millisecond,
		Secret:             masters.Secret(),
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}

// createLog records, for one writer, which creates were acknowledged (and
// when) and which have an unknown outcome.
type createLog struct {
	mu      sync.Mutex
	acked   map[string]bool
	unknown map[string]bool
	errs    []error
	// successes holds the start and end of every acknowledged create, in
	// order; a trial reads it to find the first success after a kill.
	successes []span
	changed   chan struct{} // closed and replaced whenever successes grows
}

// span is one acknowledged create: when it started and ended, and the
// master the client had as leader when it ended.
type span struct {
	start, end time.Time
	leader     string
}

func newCreateLog() *createLog {
	return &createLog{acked: map[string]bool{}, unknown: map[string]bool{}, changed: make(chan struct{})}
}

func (l *createLog) record(p string, s span, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch code := fserr.CodeOf(err); {
	case err == nil:
		l.acked[p] = true
		l.successes = append(l.successes, s)
		close(l.changed)
		l.changed = make(chan struct{})
	case code == fserr.OutcomeUnknown || code == fserr.Unavailable:
		l.unknown[p] = true
	default:
		l.errs = append(l.errs, fmt.Errorf("create %s: %w", p, err))
	}
}

// oldLeaderAnswer bounds how late the answer of a create the killed leader
// served can still arrive: no election completes this fast (followers wait
// at least one 200 ms heartbeat timeout), so a create in flight at the kill
// that succeeds later than this was served by the new leader.
const oldLeaderAnswer = 50 * time.Millisecond

// waitSuccess waits for the first create that succeeds after the kill at
// killedAt and returns its completion time. A create in flight at the kill
// counts (it was retried on the new leader) unless it completed within
// oldLeaderAnswer: then the old leader answered it just before it died.
func (l *createLog) waitSuccess(b *testing.B, killedAt time.Time, timeout time.Duration) time.Time {
	b.Helper()
	return l.waitFirst(b, timeout, "no create succeeded within %s of the kill", func(successes []span) (first time.Time) {
		for i := len(successes) - 1; i >= 0 && successes[i].end.After(killedAt); i-- {
			s := successes[i]
			if s.start.Before(killedAt) && s.end.Sub(killedAt) < oldLeaderAnswer {
				break
			}
			first = s.end
		}
		return first
	})
}

// waitFirst waits until pick finds a success in the log (a non-zero
// time) and returns it; failing says what did not happen within timeout.
func (l *createLog) waitFirst(b *testing.B, timeout time.Duration, failing string, pick func([]span) time.Time) time.Time {
	b.Helper()
	deadline := time.After(timeout)
	for {
		l.mu.Lock()
		first := pick(l.successes)
		changed := l.changed
		l.mu.Unlock()
		if !first.IsZero() {
			return first
		}
		select {
		case <-changed:
		case <-deadline:
			b.Fatalf(failing, timeout)
		}
	}
}

// waitCount waits until n creates have been acknowledged in all.
func (l *createLog) waitCount(b *testing.B, n int, timeout time.Duration) {
	b.Helper()
	deadline := time.Now().Add(timeout)
	for l.count() < n {
		if time.Now().After(deadline) {
			l.mu.Lock()
			defer l.mu.Unlock()
			b.Fatalf("only %d of %d creates acknowledged within %s; errors: %v", len(l.successes), n, timeout, l.errs)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (l *createLog) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.successes)
}

// writeUntil creates fresh files under dir, one at a time, until stop is
// closed; done is closed when it has returned.
func writeUntil(c *client.Client, l *createLog, dir string, stop <-chan struct{}) (done <-chan struct{}) {
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			p := fmt.Sprintf("%s/f%06d", dir, i)
			ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
			start := time.Now()
			_, err := c.CreateFile(ctx, p, client.CreateFileOptions{Recursive: true, Completed: true})
			s := span{start: start, end: time.Now()}
			if err == nil {
				// The leader the client cached is the one that answered.
				s.leader, _ = c.Leader(ctx)
			}
			l.record(p, s, err)
			cancel()
		}
	}()
	return finished
}

// checkAcked lists prefix and fails b if an acknowledged create is missing
// or a file nobody tried to create is present.
func (l *createLog) checkAcked(b *testing.B, c *client.Client, prefix string) {
	b.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, err := range l.errs {
		b.Errorf("writer: %v", err)
	}
	infos, err := c.ListStatus(context.Background(), prefix, true)
	if err != nil {
		b.Fatalf("list %s: %v", prefix, err)
	}
	present := map[string]bool{}
	for _, fi := range infos {
		if !fi.IsDirectory {
			present[fi.Path] = true
		}
	}
	var lost []string
	for p := range l.acked {
		if !present[p] {
			lost = append(lost, p)
		}
	}
	for p := range present {
		if !l.acked[p] && !l.unknown[p] {
			b.Errorf("%s is present but no writer created it", p)
		}
	}
	if len(lost) > 0 {
		slices.Sort(lost)
		b.Fatalf("%d of %d acknowledged creates lost, e.g. %v", len(lost), len(l.acked), lost[:min(5, len(lost))])
	}
	b.Logf("all %d acknowledged creates present (%d with unknown outcome)", len(l.acked), len(l.unknown))
}

// reportPercentiles reports p50, p99 and max of samples under name.
func reportPercentiles(b *testing.B, name string, samples []time.Duration) {
	b.Helper()
	if len(samples) == 0 {
		return
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	at := func(q float64) time.Duration {
		// Nearest rank: with 20 trials p99 is the slowest one.
		i := int(q*float64(len(s))+0.999999) - 1
		return s[max(0, min(i, len(s)-1))]
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(at(0.50)), name+"-p50-ms")
	b.ReportMetric(ms(at(0.99)), name+"-p99-ms")
	b.ReportMetric(ms(s[len(s)-1]), name+"-max-ms")
	parts := make([]string, len(samples))
	for i, d := range samples {
		parts[i] = fmt.Sprint(d.Round(time.Millisecond))
	}
	b.Logf("%s per trial: %s", name, strings.Join(parts, " "))
}

// BenchmarkRaftFailover kills the Raft leader once per iteration while one
// client creates files, and reports unavailability: the time from the kill
// to the completion of the first create that succeeds after it. The killed
// master is restarted and caught up before the next trial. Every
// acknowledged create must be present at the end.
func BenchmarkRaftFailover(b *testing.B) {
	c := masters.NewRaft(b, 3, map[string]string{"halo.master.embedded.journal.timeout.multiplier": "1"})
	c.StartAll()
	c.Leader(30 * time.Second)
	benchFailover(b, c)
}

// benchFailover runs the failover trials against a started cluster: one
// writer, kill -9 of the leader, time to the first create that succeeds
// after the kill, restart and catch-up before the next trial.
func benchFailover(b *testing.B, c *masters.Cluster) {
	cl := benchClient(b, c.RPCAddresses())
	creates := newCreateLog()
	var unavailable []time.Duration
	trial := 0
	for b.Loop() {
		dir := fmt.Sprintf("/failover/t%03d", trial)
		trial++
		stop := make(chan struct{})
		done := writeUntil(cl, creates, dir, stop)
		// Steady state first: the writer has found the leader.
		creates.waitCount(b, creates.count()+50, time.Minute)
		leader := c.Leader(30 * time.Second)
		killedAt := time.Now()
		leader.Kill()
		back := creates.waitSuccess(b, killedAt, 60*time.Second)
		unavailable = append(unavailable, back.Sub(killedAt))
		newLeader := c.Leader(30 * time.Second)
		if newLeader == leader {
			b.Fatalf("trial %d: the killed master %s is still reported as leader", trial, leader.Name)
		}
		close(stop)
		<-done

		c.Rejoin(leader)
	}
	b.StopTimer()
	creates.checkAcked(b, cl, "/failover")
	reportPercentiles(b, "unavail", unavailable)
}

// BenchmarkRaftGracefulStop sends SIGTERM to the Raft leader once per
// iteration while eight clients create files, and reports how long writes
// were unavailable: the time from the signal to the first create a new
// leader acknowledged ("handover"), and the longest gap between two
// successive acknowledged creates from the last one before the signal to
// that first one ("gap"). The leader hands its role over before it stops,
// so no election timeout is waited for.
func BenchmarkRaftGracefulStop(b *testing.B) {
	c := masters.NewRaft(b, 3, map[string]string{"halo.master.embedded.journal.timeout.multiplier": "1"})
	c.StartAll()
	c.Leader(30 * time.Second)
	const writers = 8
	clients := make([]*client.Client, writers)
	for i := range clients {
		clients[i] = benchClient(b, c.RPCAddresses())
	}
	creates := newCreateLog()
	var handover, gaps []time.Duration
	trial := 0
	for b.Loop() {
		stop := make(chan struct{})
		var done []<-chan struct{}
		for i, cl := range clients {
			done = append(done, writeUntil(cl, creates, fmt.Sprintf("/graceful/t%03d/w%d", trial, i), stop))
		}
		trial++
		creates.waitCount(b, creates.count()+200, time.Minute)
		leader := c.Leader(30 * time.Second)
		stopped := make(chan struct{})
		signalledAt := time.Now()
		go func() {
			defer close(stopped)
			leader.Stop()
		}()
		back := creates.waitSuccessOnOther(b, signalledAt, leader.RPCAddress(), 60*time.Second)
		handover = append(handover, back.Sub(signalledAt))
		gaps = append(gaps, creates.longestGap(signalledAt, back))
		close(stop)
		for _, d := range done {
			<-d
		}
		<-stopped
		c.Rejoin(leader)
	}
	b.StopTimer()
	creates.checkAcked(b, clients[0], "/graceful")
	reportPercentiles(b, "handover", handover)
	reportPercentiles(b, "gap", gaps)
}

// waitSuccessOnOther waits for the first create acknowledged after since by
// a master other than old, and returns its completion time.
func (l *createLog) waitSuccessOnOther(b *testing.B, since time.Time, old string, timeout time.Duration) time.Time {
	b.Helper()
	return l.waitFirst(b, timeout, "no create succeeded on a new leader within %s of the signal", func(successes []span) (first time.Time) {
		for i := len(successes) - 1; i >= 0 && successes[i].end.After(since); i-- {
			if s := successes[i]; s.leader != old && (first.IsZero() || s.end.Before(first)) {
				first = s.end
			}
		}
		return first
	})
}

// longestGap is the longest time between two successive acknowledged
// creates that ended up to to, counted from the last one that ended at or
// before from.
func (l *createLog) longestGap(from, to time.Time) time.Duration {
	l.mu.Lock()
	var ends []time.Time
	for _, s := range l.successes {
		if !s.end.After(to) {
			ends = append(ends, s.end)
		}
	}
	l.mu.Unlock()
	slices.SortFunc(ends, time.Time.Compare)
	return peers.LongestGap(ends, from)
}

// loadThreads is the thread count of the heaviest point of the peer
// benchmark, at which no election may happen.
const loadThreads = 64

// BenchmarkRaftElectionsUnderLoad runs a 64-thread create load against
// three Raft masters with the default timing, one second per iteration
// (-benchtime=60x is a minute), and reports how many elections it caused:
// the rise of the Raft term, which every election raises, and the leader
// changes a 250 ms poll saw. A healthy cluster reports zero; the timing is
// too tight for the machine otherwise.
func BenchmarkRaftElectionsUnderLoad(b *testing.B) {
	c := masters.NewRaft(b, 3, map[string]string{"halo.master.embedded.journal.timeout.multiplier": "1"})
	c.StartAll()
	c.Leader(30 * time.Second)
	cl := benchClient(b, c.RPCAddresses())
	termBefore := quorumTerm(b, cl)
	changes := c.WatchLeaderChanges()
	var acked atomic.Int64
	var failed atomic.Int64
	for b.Loop() {
		second := time.Now().Add(time.Second)
		var wg sync.WaitGroup
		for w := range loadThreads {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; time.Now().Before(second); i++ {
					ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
					p := fmt.Sprintf("/load/w%02d/%d-%d", w, second.UnixNano(), i)
					if _, err := cl.CreateFile(ctx, p, client.CreateFileOptions{Recursive: true, Completed: true}); err != nil {
						failed.Add(1)
					} else {
						acked.Add(1)
					}
					cancel()
				}
			}()
		}
		wg.Wait()
	}
	b.StopTimer()
	b.ReportMetric(float64(quorumTerm(b, cl)-termBefore), "term-rises")
	b.ReportMetric(float64(changes()), "leader-changes")
	b.ReportMetric(float64(acked.Load())/float64(b.N), "creates/s")
	b.ReportMetric(float64(failed.Load()), "failed-creates")
}

func quorumTerm(b *testing.B, cl *client.Client) uint64 {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	info, err := cl.GetQuorumInfo(ctx)
	if err != nil {
		b.Fatalf("the Raft term: %v", err)
	}
	return info.GetTerm()
}

// localEntries is how many journal entries BenchmarkLocalRestart writes
// before its first trial, so that each restart replays them (the default
// checkpoint period, 2,000,000 entries, is never reached).
const localEntries = 50000

// BenchmarkLocalRestart kills a single master (--ha=none) once per
// iteration and restarts it at once, reporting the time from the kill to the
// first create that succeeds after the restart was issued (process start,
// journal replay, serving), and the replay and recovery times the master
// logs.
func BenchmarkLocalRestart(b *testing.B) {
	m := masters.NewMaster(b, "m1", "127.0.0.1")
	m.Format()
	m.Start()
	m.WaitReady(30 * time.Second)
	cl := benchClient(b, []string{m.RPCAddress()})
	fillJournal(b, cl, "/fill", localEntries)
	info, err := m.Info(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("journal holds %d entries before the first trial", info.AppliedIndex)

	var restart, replay, recovery []time.Duration
	trial := 0
	for b.Loop() {
		m.Kill()
		killedAt := time.Now()
		m.Start()
		p := fmt.Sprintf("/restart/f%06d", trial)
		trial++
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		_, err := cl.CreateFile(ctx, p, client.CreateFileOptions{Recursive: true, Completed: true})
		cancel()
		if err != nil {
			b.Fatalf("trial %d: create after restart: %v", trial, err)
		}
		restart = append(restart, time.Since(killedAt))
		last := lastStart(m.Log())
		if d, ok := loggedDuration(last, "replayed journal"); ok {
			replay = append(replay, d)
		}
		if d, ok := loggedDuration(last, "namespace recovered"); ok {
			recovery = append(recovery, d)
		}
	}
	b.StopTimer()
	reportPercentiles(b, "restart", restart)
	reportPercentiles(b, "replay", replay)
	reportPercentiles(b, "recover", recovery)
	if len(replay) < len(restart) {
		b.Errorf("only %d of %d restarts logged a journal replay; log:\n%s", len(replay), len(restart), lastStart(m.Log()))
	}
}

// fillJournal creates n files under dir from 32 goroutines, in folders of
// 1,000, so that the journal holds about n entries.
func fillJournal(b *testing.B, c *client.Client, dir string, n int) {
	b.Helper()
	const threads = 32
	const perFolder = 1000
	ctx := context.Background()
	for f := 0; f < (n+perFolder-1)/perFolder; f++ {
		if _, err := c.CreateDirectory(ctx, fmt.Sprintf("%s/d%03d", dir, f), client.CreateDirectoryOptions{Recursive: true}); err != nil {
			b.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, threads)
	for t := range threads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := t; i < n; i += threads {
				p := fmt.Sprintf("%s/d%03d/f%06d", dir, i/perFolder, i)
				if _, err := c.CreateFile(ctx, p, client.CreateFileOptions{Completed: true}); err != nil {
					errs <- fmt.Errorf("fill %s: %w", p, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

// lastStart is the part of a master log written since its latest start.
func lastStart(log string) string {
	if i := strings.LastIndex(log, "==== start "); i >= 0 {
		return log[i:]
	}
	return log
}

var durationField = regexp.MustCompile(`duration="?([0-9.]+[a-zµ]+)`)

// loggedDuration finds the line with msg and returns its duration= field.
func loggedDuration(log, msg string) (time.Duration, bool) {
	for line := range strings.Lines(log) {
		if !strings.Contains(line, msg) {
			continue
		}
		if m := durationField.FindStringSubmatch(line); m != nil {
			if d, err := time.ParseDuration(m[1]); err == nil {
				return d, true
			}
		}
	}
	return 0, false
}
