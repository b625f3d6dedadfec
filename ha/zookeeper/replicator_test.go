package zookeeper_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/ha/hatest"
	"github.com/halo-fs/halo/ha/zookeeper"
	"github.com/halo-fs/halo/ha/zookeeper/zktest"
	"github.com/halo-fs/halo/internal/poll"
	zkinfra "github.com/halo-fs/halo/internal/testinfra/zookeeper"
	ufsjournal "github.com/halo-fs/halo/journal/ufs"
	"github.com/halo-fs/halo/proto/journalpb"
	"github.com/halo-fs/halo/ufs"
	"github.com/hashicorp/go-hclog"
)

// The in-process replicators of these tests, under shorter names.
type zkMaster = zktest.Master

var (
	startZKReplicator        = zktest.Start
	startZKReplicatorOn      = zktest.StartOn
	startZKReplicatorElected = zktest.StartElected
	mustLocal                = zktest.MustLocal
)

func mkdir(path string) *journalpb.Entry { return hatest.Mkdir(path, true) }

func pollUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	poll.Until(t, 30*time.Second, what, cond)
}

func leaderOf(t *testing.T, ms ...*zkMaster) (leader *zkMaster, standbys []*zkMaster) {
	t.Helper()
	pollUntil(t, "one leader", func() bool {
		leader, standbys = nil, nil
		n := 0
		for _, m := range ms {
			if m.Rep.Status().Leader {
				leader = m
				n++
			} else {
				standbys = append(standbys, m)
			}
		}
		return n == 1
	})
	return leader, standbys
}

// TestZooKeeperReplicatorFailover runs two replicators in one process on a
// real ZooKeeper and a shared local folder: the leader commits, the standby
// tails and refuses with the leader's address, checkpoints are written by
// the standby, and when the leader closes the standby takes over with
// everything; a third master recovers the same namespace from the folder.
func TestZooKeeperReplicatorFailover(t *testing.T) {
	zk := zkinfra.Start(t, 1)
	folder := zktest.FormattedFolder(t)
	a := startZKReplicator(t, zk.Servers(), folder, "127.0.0.1:1")
	b := startZKReplicator(t, zk.Servers(), folder, "127.0.0.2:1")
	leader, standbys := leaderOf(t, a, b)
	standby := standbys[0]
	ctx := context.Background()

	// Concurrent proposals share batches; each is applied once durable.
	errs := make(chan error, 200)
	for i := 0; i < 200; i++ {
		go func(i int) {
			res, err := leader.Rep.Propose(ctx, mkdir(fmt.Sprintf("/d/%03d", i)))
			if err == nil {
				err = res.Error()
			}
			errs <- err
		}(i)
	}
	for i := 0; i < 200; i++ {
		if err := <-errs; err != nil {
			t.Fatalf("propose: %v", err)
		}
	}
	if err := leader.Rep.VerifyRead(ctx); err != nil {
		t.Fatalf("leader VerifyRead: %v", err)
	}
	pollUntil(t, "standby caught up", func() bool { return standby.FSM.AppliedIndex() == leader.FSM.AppliedIndex() })
	pollUntil(t, "standby names the leader", func() bool { return standby.Rep.Status().LeaderRPCAddress == leader.Addr })
	// The Masters page's journal position: the leader's newest batch
	// written, which the caught-up standby has read.
	written := leader.Rep.Election()
	if !written.JournalWriting || written.JournalBatch < 2 || written.JournalLocation != "file://"+folder {
		t.Fatalf("leader's journal position %+v, want writing past its epoch marker in %s", written, folder)
	}
	pollUntil(t, "standby read the leader's newest batch", func() bool {
		read := standby.Rep.Election()
		return !read.JournalWriting && read.JournalBatch == written.JournalBatch
	})
	_, err := standby.Rep.Propose(ctx, mkdir("/nope"))
	if fserr.CodeOf(err) != fserr.NotLeader || fserr.LeaderHintOf(err) != leader.Addr {
		t.Fatalf("standby Propose: %v; want NotLeader naming %s", err, leader.Addr)
	}
	if err := standby.Rep.VerifyRead(ctx); fserr.CodeOf(err) != fserr.NotLeader {
		t.Fatalf("standby VerifyRead: %v; want NotLeader", err)
	}
	if st := leader.Rep.Status(); st.JournalType != "UFS" || st.ClusterID != "test" {
		t.Fatalf("leader status %+v", st)
	}

	info, err := standby.Rep.Checkpoint(ctx)
	if err != nil || info.Index != leader.FSM.AppliedIndex() {
		t.Fatalf("standby checkpoint: %+v, %v; want index %d", info, err, leader.FSM.AppliedIndex())
	}

	inodes := leader.FSM.InodeCount()
	leader.Rep.Close()
	next, _ := leaderOf(t, standby)
	if err := next.Rep.VerifyRead(ctx); err != nil {
		t.Fatalf("new leader VerifyRead: %v", err)
	}
	if next.FSM.InodeCount() != inodes {
		t.Fatalf("new leader holds %d inodes, the old one %d", next.FSM.InodeCount(), inodes)
	}
	res, err := next.Rep.Propose(ctx, mkdir("/after"))
	if err != nil || res.Error() != nil {
		t.Fatalf("propose on the new leader: %v %v", err, res.Error())
	}

	third := startZKReplicator(t, zk.Servers(), folder, "127.0.0.3:1")
	pollUntil(t, "a new master recovers the namespace", func() bool { return third.FSM.InodeCount() == inodes+1 })
	if third.Rep.Status().Leader {
		t.Fatal("a master that joined later leads beside the current leader")
	}
}

// TestZooKeeperReplicatorStopsOnCorruptJournal: a damaged batch where the
// leader would write next fences it (its outcome is unknown), and, tailing
// as a standby, it stops for good rather than apply around the damage; a
// master starting on the folder refuses it too.
func TestZooKeeperReplicatorStopsOnCorruptJournal(t *testing.T) {
	zk := zkinfra.Start(t, 1)
	folder := zktest.FormattedFolder(t)
	store := mustLocal(t, folder)
	ctx := context.Background()
	a := startZKReplicator(t, zk.Servers(), folder, "127.0.0.1:1")
	leaderOf(t, a)
	if _, err := a.Rep.Propose(ctx, mkdir("/ok")); err != nil {
		t.Fatal(err)
	}
	// Batches 1 (marker) and 2 (/ok) exist; damage batch 3.
	if err := ufs.WriteFile(ctx, store, "logs/0000000000000003", []byte("HLB1 not really a batch"), ufs.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err := a.Rep.Propose(ctx, mkdir("/fenced"))
	if fserr.CodeOf(err) != fserr.OutcomeUnknown {
		t.Fatalf("propose onto a taken sequence number: %v, want OutcomeUnknown", err)
	}
	select {
	case err := <-a.Rep.Failed():
		if !errors.Is(err, ufsjournal.ErrCorrupt) {
			t.Fatalf("failure %v does not wrap ErrCorrupt", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the replicator kept going over a corrupt batch")
	}
	if _, err := zookeeper.RecoverUFSJournal(ctx, mustOpen(t, folder), fsm.New(fsm.DefaultConfig()), hclog.NewNullLogger()); !errors.Is(err, ufsjournal.ErrCorrupt) {
		t.Fatalf("recovery over a corrupt batch: %v, want ErrCorrupt", err)
	}
}

func mustOpen(t *testing.T, folder string) *ufsjournal.Journal {
	t.Helper()
	j, err := ufsjournal.Open(context.Background(), mustLocal(t, folder), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

// gatedStore holds every read of a journal batch while its gate is shut:
// a standby that stalls (a long pause, a slow link to the store) with
// its next batch still ahead of it.
type gatedStore struct {
	ufs.Store
	mu   sync.Mutex
	open chan struct{} // closed while the gate is open
}

func newGatedStore(s ufs.Store) *gatedStore {
	g := &gatedStore{Store: s, open: make(chan struct{})}
	close(g.open)
	return g
}

func (g *gatedStore) shut() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.open = make(chan struct{})
}

func (g *gatedStore) reopen() {
	g.mu.Lock()
	defer g.mu.Unlock()
	close(g.open)
}

func (g *gatedStore) wait(ctx context.Context, path string) error {
	if !strings.HasPrefix(path, "logs/") {
		return nil
	}
	g.mu.Lock()
	open := g.open
	g.mu.Unlock()
	select {
	case <-open:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *gatedStore) Open(ctx context.Context, path string) (io.ReadCloser, error) {
	if err := g.wait(ctx, path); err != nil {
		return nil, err
	}
	return g.Store.Open(ctx, path)
}

func (g *gatedStore) OpenRange(ctx context.Context, path string, offset, length int64) (io.ReadCloser, error) {
	if err := g.wait(ctx, path); err != nil {
		return nil, err
	}
	return g.Store.OpenRange(ctx, path, offset, length)
}

// stallingMarkStore stalls the first write of the compacted mark until
// released: a collector paused after it read the mark and the checkpoints.
type stallingMarkStore struct {
	ufs.Store
	once              sync.Once
	reached, released chan struct{}
}

func (s *stallingMarkStore) Create(ctx context.Context, path string, opts ufs.CreateOptions) (ufs.Writer, error) {
	// "compact…": the mark's objects, whatever the journal's layout names them.
	if strings.HasPrefix(path, "compact") {
		s.once.Do(func() {
			close(s.reached)
			<-s.released
		})
	}
	return s.Store.Create(ctx, path, opts)
}

// journalLeader writes the shared journal as a leader would, keeping the
// namespace its batches make, so that it can write true checkpoints.
type journalLeader struct {
	t   *testing.T
	j   *ufsjournal.Journal
	w   *ufsjournal.Writer
	fsm *fsm.FSM
	n   int
}

func (l *journalLeader) appendTo(seq uint64) {
	l.t.Helper()
	for l.w.LastSeq() < seq {
		l.n++
		e := mkdir(fmt.Sprintf("/d/%03d", l.n))
		data, err := fsm.EncodeEntry(e)
		if err != nil {
			l.t.Fatal(err)
		}
		first, err := l.w.Append(context.Background(), [][]byte{data})
		if err != nil {
			l.t.Fatal(err)
		}
		l.fsm.Apply(first, e)
	}
}

func (l *journalLeader) checkpoint() {
	l.t.Helper()
	h := ufsjournal.CheckpointHeader{Seq: l.w.LastSeq(), Epoch: l.w.Epoch()}
	if _, err := l.j.WriteCheckpoint(context.Background(), h, func(w io.Writer) error {
		_, err := l.fsm.WriteCheckpoint(w)
		return err
	}); err != nil {
		l.t.Fatal(err)
	}
}

// stalledStandby is a standby whose journal reads are held at batch 5
// while the journal moves on to batch 10 and two masters collect it at
// once, one of them paused between reading the compacted mark and raising
// it: the other collects through batch 6 first, so the standby's next
// batch is gone. Before the mark was made monotonic, the paused
// collector's older mark (4) then overwrote the newer one (6).
type stalledStandby struct {
	standby *zkMaster
	gate    *gatedStore
	leader  *journalLeader
	// resign ends the test's leadership, so that the standby is elected.
	resign func()
}

func stallStandbyAcrossRacingCollectors(t *testing.T) stalledStandby {
	zk := zkinfra.Start(t, 1)
	ctx := context.Background()
	folder := zktest.FormattedFolder(t)
	// The test leads, so that the replicator under test stays a standby.
	el, err := zookeeper.NewElector(zookeeper.ElectorConfig{Servers: zk.Servers(), SessionTimeout: 5 * time.Second, ID: "127.0.0.9:1", Logger: hclog.NewNullLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(el.Close)
	lead, err := el.Campaign(ctx)
	if err != nil {
		t.Fatal(err)
	}
	j := mustOpen(t, folder)
	w, err := j.Claim(ctx, ufsjournal.Start(), 1, "127.0.0.9:1")
	if err != nil {
		t.Fatal(err)
	}
	leader := &journalLeader{t: t, j: j, w: w, fsm: fsm.New(fsm.DefaultConfig())}
	leader.appendTo(4)

	gate := newGatedStore(mustLocal(t, folder))
	standby := startZKReplicatorOn(t, zk.Servers(), gate, "127.0.0.2:1")
	pollUntil(t, "the standby reads batch 4", func() bool { return standby.FSM.AppliedIndex() == leader.fsm.AppliedIndex() })
	gate.shut()

	leader.checkpoint() // 4
	leader.appendTo(6)
	leader.checkpoint() // 6
	slowStore := &stallingMarkStore{Store: mustLocal(t, folder), reached: make(chan struct{}), released: make(chan struct{})}
	slow, err := ufsjournal.Open(ctx, slowStore, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { slow.Close() })
	slowDone := make(chan error, 1)
	go func() {
		_, err := slow.Collect(ctx) // checkpoints 4 and 6: through 4
		slowDone <- err
	}()
	<-slowStore.reached
	leader.appendTo(8)
	leader.checkpoint()                                         // 8
	if _, err := mustOpen(t, folder).Collect(ctx); err != nil { // through 6
		t.Fatal(err)
	}
	close(slowStore.released)
	if err := <-slowDone; err != nil {
		t.Fatal(err)
	}
	leader.appendTo(10)
	return stalledStandby{standby: standby, gate: gate, leader: leader, resign: lead.Resign}
}

// TestZooKeeperStandbyReloadsWhenItsNextBatchIsCompacted: the stalled
// standby must learn that its next batch was compacted and restore the
// newest checkpoint, not wait for batch 5 forever.
func TestZooKeeperStandbyReloadsWhenItsNextBatchIsCompacted(t *testing.T) {
	s := stallStandbyAcrossRacingCollectors(t)
	s.gate.reopen()
	pollUntil(t, "the stalled standby catches up", func() bool { return s.standby.FSM.AppliedIndex() == s.leader.fsm.AppliedIndex() })
	if got, want := s.standby.FSM.InodeCount(), s.leader.fsm.InodeCount(); got != want {
		t.Fatalf("the standby holds %d inodes after catching up, the leader %d", got, want)
	}
}

// TestZooKeeperStandbyBehindTheJournalCatchesUpBeforeItLeads: the stalled
// standby is elected. Its claim of batch 5, a collected name, must be
// refused; it must restore the newest checkpoint and claim after batch 10,
// serving every batch — not claim batch 5 and serve a namespace missing
// batches 5 to 10.
func TestZooKeeperStandbyBehindTheJournalCatchesUpBeforeItLeads(t *testing.T) {
	s := stallStandbyAcrossRacingCollectors(t)
	s.resign()
	s.gate.reopen()
	leaderOf(t, s.standby)
	if got, want := s.standby.FSM.InodeCount(), s.leader.fsm.InodeCount(); got != want {
		t.Fatalf("the new leader serves %d inodes; the journal holds %d", got, want)
	}
	if err := s.standby.Rep.VerifyRead(context.Background()); err != nil {
		t.Fatalf("the new leader cannot serve reads: %v", err)
	}
}
