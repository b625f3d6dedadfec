package raft

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/halo-fs/halo/ha/hatest"
	"github.com/halo-fs/halo/internal/poll"
	"github.com/hashicorp/go-hclog"
	hraft "github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	raftwal "github.com/hashicorp/raft-wal"
	"github.com/hashicorp/raft-wal/metadb"
	"github.com/hashicorp/raft-wal/migrate"
)

// readLog returns every entry of s, first to last.
func readLog(t *testing.T, s hraft.LogStore) []hraft.Log {
	t.Helper()
	first, last, err := storeBounds(s)
	if err != nil {
		t.Fatal(err)
	}
	var out []hraft.Log
	for i := first; last > 0 && i <= last; i++ {
		var l hraft.Log
		if err := s.GetLog(i, &l); err != nil {
			t.Fatalf("entry %d of %d..%d: %v", i, first, last, err)
		}
		l.AppendedAt = l.AppendedAt.UTC()
		out = append(out, l)
	}
	return out
}

// someLogs are count entries from index first, as Raft writes commands.
func someLogs(first uint64, count int, tag string) []*hraft.Log {
	logs := make([]*hraft.Log, count)
	for i := range logs {
		idx := first + uint64(i)
		logs[i] = &hraft.Log{Index: idx, Term: 3, Type: hraft.LogCommand, Data: []byte(fmt.Sprintf("%s entry %d", tag, idx))}
	}
	return logs
}

// writeOldLayout makes dir look like a master before the WAL: the log in
// raft.db beside the term, and no wal folder.
func writeOldLayout(t *testing.T, dir string, logs []*hraft.Log) {
	t.Helper()
	bolt, err := raftboltdb.New(raftboltdb.Options{Path: filepath.Join(dir, stableFile)})
	if err != nil {
		t.Fatal(err)
	}
	defer bolt.Close()
	if err := bolt.StoreLogs(logs); err != nil {
		t.Fatal(err)
	}
	if err := bolt.SetUint64([]byte("CurrentTerm"), 3); err != nil {
		t.Fatal(err)
	}
}

func wantLog(t *testing.T, got []hraft.Log, want []*hraft.Log) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("log holds %d entries, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Index != want[i].Index || got[i].Term != want[i].Term || got[i].Type != want[i].Type || string(got[i].Data) != string(want[i].Data) {
			t.Fatalf("entry %d is %+v, want %+v", i, got[i], *want[i])
		}
	}
}

// TestRaftStoreMovesOldLogIntoWAL: a folder whose log is in raft.db opens
// with every entry in the WAL, none left in raft.db, and the term kept.
func TestRaftStoreMovesOldLogIntoWAL(t *testing.T) {
	dir := t.TempDir()
	logs := someLogs(7, 3000, "old")
	writeOldLayout(t, dir, logs)

	s, err := openRaftStore(dir, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	wantLog(t, readLog(t, s), logs)
	if _, last, _ := storeBounds(s.stable); last != 0 {
		t.Errorf("raft.db still holds entries up to %d", last)
	}
	if term, err := s.GetUint64([]byte("CurrentTerm")); err != nil || term != 3 {
		t.Errorf("CurrentTerm = %d, %v; want 3", term, err)
	}
}

// TestRaftStoreRedoesInterruptedMove: a crash part way through the move
// leaves raft.db whole and part of it, or something else, in the WAL; the
// next start ends with exactly raft.db's entries.
func TestRaftStoreRedoesInterruptedMove(t *testing.T) {
	for name, inWAL := range map[string][]*hraft.Log{
		"prefix copied": someLogs(7, 100, "old"),
		"all copied":    someLogs(7, 500, "old"),
		"other entries": someLogs(1, 900, "stale"),
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			logs := someLogs(7, 500, "old")
			writeOldLayout(t, dir, logs)
			wal := openBareWAL(t, dir)
			if err := wal.StoreLogs(inWAL); err != nil {
				t.Fatal(err)
			}
			wal.Close()

			s, err := openRaftStore(dir, hclog.NewNullLogger())
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			wantLog(t, readLog(t, s), logs)
		})
	}
}

// TestRaftMasterStartsOnOldLayout: a master started on a folder written
// before the WAL (its log in raft.db) finds every entry, and its namespace
// is the one it had.
func TestRaftMasterStartsOnOldLayout(t *testing.T) {
	addr := hatest.FreeAddrs(t, 1)[0]
	dir := t.TempDir()
	r, f := startSingleRaft(t, dir, addr, nil)
	for round := 1; round <= 3; round++ {
		proposeAll(t, r, hatest.SomeMutations(round)...)
	}
	wantNamespace, wantApplied := hatest.CheckpointBytes(t, f), f.AppliedIndex()
	before := readLog(t, r.store)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	moveLogBackIntoBolt(t, dir)

	r2, f2 := startSingleRaft(t, dir, addr, nil)
	after := readLog(t, r2.store)
	if len(after) < len(before) || !reflect.DeepEqual(after[:len(before)], before) {
		t.Errorf("log after the move: %d entries, want the %d before it first", len(after), len(before))
	}
	poll.Until(t, 20*time.Second, "the log to be replayed", func() bool { return f2.AppliedIndex() >= wantApplied })
	if got := hatest.CheckpointBytes(t, f2); string(got) != string(wantNamespace) {
		t.Errorf("namespace after starting on the old layout differs from the one written")
	}
}

// moveLogBackIntoBolt rewrites dir in the layout of a master before the
// WAL: its log in raft.db, and no wal folder.
func moveLogBackIntoBolt(t *testing.T, dir string) {
	t.Helper()
	s, err := openRaftStore(dir, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate.CopyLogs(context.Background(), s.stable, s.WAL, 1<<20, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, walFolder)); err != nil {
		t.Fatal(err)
	}
}

// bareWAL is a WAL without raft.db beside it, to write the part of a move
// that reached the WAL before a crash.
type bareWAL struct {
	*raftwal.WAL
	meta *metadb.BoltMetaDB
}

func openBareWAL(t *testing.T, dir string) *bareWAL {
	t.Helper()
	path := filepath.Join(dir, walFolder)
	if err := os.MkdirAll(path, 0o755); err != nil {
		t.Fatal(err)
	}
	meta := &metadb.BoltMetaDB{}
	wal, err := raftwal.Open(path, raftwal.WithMetaStore(meta))
	if err != nil {
		t.Fatal(err)
	}
	return &bareWAL{WAL: wal, meta: meta}
}

func (w *bareWAL) Close() {
	w.WAL.Close()
	w.meta.Close()
}

// TestRaftStoreKeepsSyncedEntriesPastATornWrite: a kill -9 during a write
// leaves a partly written batch after the last one StoreLogs returned for;
// the store opens with every returned batch, drops the torn one, and
// appends after the last returned entry.
func TestRaftStoreKeepsSyncedEntriesPastATornWrite(t *testing.T) {
	dir := t.TempDir()
	s, err := openRaftStore(dir, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	var written []*hraft.Log
	for b := 0; b < 20; b++ {
		batch := someLogs(uint64(len(written)+1), 1+b%7, "synced")
		if err := s.StoreLogs(batch); err != nil {
			t.Fatal(err)
		}
		written = append(written, batch...)
	}
	s.Close()
	tearTail(t, filepath.Join(dir, walFolder))

	s, err = openRaftStore(dir, hclog.NewNullLogger())
	if err != nil {
		t.Fatalf("open after a torn write: %v", err)
	}
	defer s.Close()
	wantLog(t, readLog(t, s), written)
	next := someLogs(uint64(len(written)+1), 3, "after")
	if err := s.StoreLogs(next); err != nil {
		t.Fatalf("append after a torn write: %v", err)
	}
	wantLog(t, readLog(t, s), append(written, next...))
}

// tearTail writes what a torn batch leaves in the segment that was being
// written: a frame header's worth of bytes and some of its payload right
// after the last synced data, the rest still zero.
func tearTail(t *testing.T, walDir string) {
	t.Helper()
	segs, _ := filepath.Glob(filepath.Join(walDir, "*.wal"))
	if len(segs) != 1 {
		t.Fatalf("segments %v, want one", segs)
	}
	b, err := os.ReadFile(segs[0])
	if err != nil {
		t.Fatal(err)
	}
	end := len(b)
	for end > 0 && b[end-1] == 0 {
		end--
	}
	f, err := os.OpenFile(segs[0], os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	torn := []byte{0x01, 0, 0, 0, 0x40, 0, 0, 0, 'p', 'a', 'r', 't'}
	if _, err := f.WriteAt(torn, int64(end+8-end%8)); err != nil {
		t.Fatal(err)
	}
}

// TestRaftStoreForgetsCompactedEntries: after Raft compacts the head of the
// log, the compacted entries are gone, so that a follower that needs them
// is sent a snapshot; raft-wal alone still reads them from the segment
// being written.
func TestRaftStoreForgetsCompactedEntries(t *testing.T) {
	s, err := openRaftStore(t.TempDir(), hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	logs := someLogs(1, 100, "entry")
	if err := s.StoreLogs(logs); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteRange(1, 60); err != nil {
		t.Fatal(err)
	}
	for _, idx := range []uint64{1, 60, 101} {
		var l hraft.Log
		if err := s.GetLog(idx, &l); !errors.Is(err, hraft.ErrLogNotFound) {
			t.Errorf("GetLog(%d) after compacting 1..60 of 1..100: %v (entry %d), want ErrLogNotFound", idx, err, l.Index)
		}
	}
	wantLog(t, readLog(t, s), logs[60:])
}

// A follower whose last entries conflict with a new leader's drops them
// (DeleteRange of the tail), and must still start on its log afterwards:
// raft-wal v0.4.0 marked the truncated tail segment sealed without writing
// its index, and the next start failed with "sealed segment has no index
// block" (a master killed after a failover could not come back).
func TestRaftStoreStartsAfterItsTailWasTruncated(t *testing.T) {
	dir := t.TempDir()
	s, err := openRaftStore(dir, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.StoreLogs(someLogs(1, 100, "first")); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteRange(91, 100); err != nil {
		t.Fatal(err)
	}
	replacement := someLogs(91, 20, "new leader")
	if err := s.StoreLogs(replacement); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = openRaftStore(dir, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want := append(someLogs(1, 90, "first"), replacement...)
	wantLog(t, readLog(t, s), want)
}
