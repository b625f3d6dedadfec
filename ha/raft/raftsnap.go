package raft

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/journal"
	hraft "github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
)

// A master restores its namespace itself, before Raft starts, instead of
// letting Raft pick a snapshot: Raft skips a damaged snapshot for an older
// one even when the log no longer continues that one, and then panics
// ("log not found") on the missing entries. Here a damaged snapshot is moved
// aside, and a log that does not continue the snapshot restored is moved
// aside too (applying it on the older namespace would skip the entries of
// the gap), so the master starts from a state it really holds and the
// leader sends it the rest.
//
// Such a master may have acknowledged entries that it no longer holds. Until
// it holds them again it takes no part in elections (see electionGate):
// its vote could otherwise elect a member that lacks them. That promise is
// kept in the stable store, so a restart in between keeps it too.

// quarantineFolder, inside the journal folder, keeps what was moved aside,
// one folder per start that moved something.
const quarantineFolder = "quarantine"

// keyCatchUpUntil names, in Raft's stable store, the highest index this
// master once held and does not hold now; 0 or absent when it holds all.
var keyCatchUpUntil = []byte("HaloCatchUpUntil")

// startPlan says what a master must do before Raft starts on its folder.
type startPlan struct {
	dropLog      bool   // the log does not continue the snapshot restored
	catchUpUntil uint64 // entries up to here were held and are not now; 0 if none
}

// planStart decides from the index of the snapshot restored (0 if none),
// the index of the newest snapshot that could not be (0 if none), the
// index the stable store says must be caught up to, and the log's first
// and last index (0, 0 when empty).
func planStart(restored, damaged, owed, first, last uint64) startPlan {
	var p startPlan
	reach := restored
	if last > 0 {
		if first <= restored+1 {
			reach = max(restored, last)
		} else {
			p.dropLog = true
		}
	}
	if held := max(last, damaged, owed); held > reach {
		p.catchUpUntil = held
	}
	return p
}

// restoreNewestSnapshot fills the FSM from the newest snapshot that reads
// back whole and makes the folder agree with it: damaged snapshots and a
// log that does not continue it are moved aside. A lone member that lost
// entries refuses to start (nobody could send them); any other starts and
// catches up from the leader. Raft is then started with
// NoSnapshotRestoreOnStart: the newest snapshot left is the one restored.
func (r *Replicator) restoreNewestSnapshot() error {
	metas, err := r.snaps.List()
	if err != nil {
		return fmt.Errorf("list raft snapshots in %s: %w", r.opts.Dir, err)
	}
	restoredIndex, damaged := r.restoreFirstGood(metas)
	first, last, err := r.logBounds()
	if err != nil {
		return err
	}
	owed, err := r.catchUpMark()
	if err != nil {
		return err
	}
	damagedIndex := uint64(0)
	if len(damaged) > 0 {
		damagedIndex = damaged[0].Index
	}
	plan := planStart(restoredIndex, damagedIndex, owed, first, last)
	if plan.catchUpUntil > 0 && len(r.opts.Peers) == 1 {
		return r.gapError(plan.catchUpUntil, restoredIndex, first, last)
	}
	if plan.catchUpUntil != owed {
		// Before anything is moved: a crash part way must not forget
		// that entries are missing.
		if err := r.store.SetUint64(keyCatchUpUntil, plan.catchUpUntil); err != nil {
			return fmt.Errorf("record the index to catch up to: %w", err)
		}
	}
	r.catchUpUntil.Store(plan.catchUpUntil)
	if len(damaged) > 0 || plan.dropLog {
		if err := r.quarantine(damaged, plan.dropLog, first, last); err != nil {
			return err
		}
	}
	if plan.catchUpUntil > 0 {
		r.log.Error("this master lost journal entries it held; it waits for the leader to send them and takes no part in elections until then",
			"catch_up_until", plan.catchUpUntil,
			"hint", "if every master reports this, no leader can be elected: restore from a backup (halo format, then halo master -i <backup>)")
	}
	return nil
}

// gapError is the refusal of a lone member that lost entries.
func (r *Replicator) gapError(held, restored, first, last uint64) error {
	return fmt.Errorf("%w in %s: this master held entries up to index %d, but its newest usable snapshot ends at index %d and its log holds %s; "+
		"it is the only member, so no other master can send them. Nothing was changed. To restore: copy that folder aside if you want to keep it "+
		"(format deletes it), run `halo format`, then `halo master -i <backup>`; or, with halo.master.checkpoint.archive.folder set, "+
		"`halo format` then `halo master` start from the newest archived checkpoint. Either way, what was written after that backup or checkpoint is lost",
		ErrJournalGap, r.opts.Dir, held, restored, describeLog(first, last))
}

// restoreFirstGood restores the first of metas (newest first) that reads
// back whole, and returns its index (0 if none did) and the ones before it.
func (r *Replicator) restoreFirstGood(metas []*hraft.SnapshotMeta) (uint64, []*hraft.SnapshotMeta) {
	for i, m := range metas {
		if i == 0 && m.ID == r.seededSnapshot {
			// Written by seed from the namespace the FSM holds already.
			return m.Index, nil
		}
		if err := r.restoreSnapshot(m.ID); err != nil {
			r.log.Error("raft snapshot is unusable, trying an older one", "id", m.ID, "index", m.Index, "error", err)
			continue
		}
		return m.Index, metas[:i]
	}
	return 0, metas
}

// restoreSnapshot restores one snapshot into the FSM; the FSM keeps its
// state when the snapshot turns out damaged.
func (r *Replicator) restoreSnapshot(id string) error {
	_, rc, err := r.snaps.Open(id)
	if err != nil {
		return err
	}
	return (&raftFSM{r: r}).Restore(rc)
}

// restoreNamespace replaces the namespace with the checkpoint read from
// rd, which becomes the newest snapshot this master holds.
func (r *Replicator) restoreNamespace(rd io.Reader) (fsm.CheckpointHeader, error) {
	h, err := r.fsm.Restore(rd)
	if err != nil {
		return h, err
	}
	r.namespaceRestores.Add(1)
	r.noteSnapshot(h.AppliedIndex)
	return h, nil
}

func (r *Replicator) noteSnapshot(index uint64) {
	r.mu.Lock()
	r.lastSnapIndex = index
	r.lastSnapshot = time.Now()
	r.mu.Unlock()
}

func (r *Replicator) logBounds() (first, last uint64, err error) {
	if first, err = r.store.FirstIndex(); err == nil {
		last, err = r.store.LastIndex()
	}
	if err != nil {
		return 0, 0, fmt.Errorf("read the raft log in %s: %w", r.opts.Dir, err)
	}
	return first, last, nil
}

func (r *Replicator) catchUpMark() (uint64, error) {
	v, err := r.store.GetUint64(keyCatchUpUntil)
	if err != nil && !errors.Is(err, raftboltdb.ErrKeyNotFound) {
		return 0, fmt.Errorf("read the raft stable store in %s: %w", r.opts.Dir, err)
	}
	return v, nil
}

func describeLog(first, last uint64) string {
	if last == 0 {
		return "no entries"
	}
	return fmt.Sprintf("indexes %d to %d", first, last)
}

// quarantine moves the damaged snapshots, and the log when dropLog is
// set, into a new folder under quarantineFolder. The log is copied and then
// emptied, not renamed: the open WAL keeps its segments, and raft.db,
// which holds the current term and this master's vote, stays.
func (r *Replicator) quarantine(damaged []*hraft.SnapshotMeta, dropLog bool, first, last uint64) error {
	dest, err := r.newQuarantineFolder()
	if err != nil {
		return err
	}
	for _, m := range damaged {
		from := filepath.Join(r.opts.Dir, "snapshots", m.ID)
		if err := os.Rename(from, filepath.Join(dest, "snapshots", m.ID)); err != nil {
			return fmt.Errorf("move the damaged snapshot %s aside: %w", from, err)
		}
		r.log.Warn("moved a damaged raft snapshot aside", "id", m.ID, "index", m.Index, "to", dest)
	}
	if err := journal.SyncDir(filepath.Join(dest, "snapshots")); err != nil {
		return err
	}
	if err := journal.SyncDir(filepath.Join(r.opts.Dir, "snapshots")); err != nil {
		return err
	}
	if dropLog {
		return r.quarantineLog(dest, first, last)
	}
	return nil
}

// newQuarantineFolder creates quarantine/<time>/snapshots durably: what is
// moved into it must not vanish with a folder entry lost in a crash.
func (r *Replicator) newQuarantineFolder() (string, error) {
	parent := filepath.Join(r.opts.Dir, quarantineFolder)
	dest := filepath.Join(parent, time.Now().UTC().Format("20060102T150405.000000000Z"))
	if err := os.MkdirAll(filepath.Join(dest, "snapshots"), 0o755); err != nil {
		return "", fmt.Errorf("quarantine folder: %w", err)
	}
	for _, dir := range []string{dest, parent, r.opts.Dir} {
		if err := journal.SyncDir(dir); err != nil {
			return "", err
		}
	}
	return dest, nil
}

func (r *Replicator) quarantineLog(dest string, first, last uint64) error {
	from := filepath.Join(r.opts.Dir, walFolder)
	if err := copyFolderSynced(from, filepath.Join(dest, walFolder)); err != nil {
		return fmt.Errorf("copy the raft log aside: %w", err)
	}
	if err := journal.SyncDir(dest); err != nil {
		return err
	}
	if err := r.store.DeleteRange(first, last); err != nil {
		return fmt.Errorf("empty the raft log %s (a copy is in %s): %w", from, dest, err)
	}
	r.log.Warn("moved the raft log aside: it does not continue the newest usable snapshot", "first", first, "last", last, "to", dest)
	return nil
}

func copyFileSynced(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// newRaft is raft.NewRaft with a panic turned into an error: NewRaft
// panics when the log has a hole, and restoreNewestSnapshot should have
// left none, but a master that cannot start must say so, not crash.
func newRaft(cfg *hraft.Config, f hraft.FSM, logs hraft.LogStore, stable hraft.StableStore, snaps hraft.SnapshotStore, trans hraft.Transport) (ra *hraft.Raft, err error) {
	defer func() {
		if p := recover(); p != nil {
			ra, err = nil, fmt.Errorf("raft cannot start on its log and snapshots: %v", p)
		}
	}()
	return hraft.NewRaft(cfg, f, logs, stable, snaps, trans)
}

// errCatchingUp answers election requests while this master catches up.
var errCatchingUp = errors.New("this master is catching up on journal entries it lost and takes no part in elections")

// snapshotBuffer holds a serialised namespace in chunks of
// snapshotChunkBytes. One slice grown by doubling copies what it holds at
// every step and takes about twice its final size in fresh memory, each
// page faulted in and cleared: at ten million inodes (670 MB) that
// clearing took longer than serialising. Chunks are written once, never
// moved, and need no contiguous run of hundreds of megabytes.
type snapshotBuffer struct {
	chunks [][]byte
	size   int
}

const snapshotChunkBytes = 4 << 20

func (b *snapshotBuffer) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if len(b.chunks) == 0 || len(b.chunks[len(b.chunks)-1]) == snapshotChunkBytes {
			b.chunks = append(b.chunks, make([]byte, 0, snapshotChunkBytes))
		}
		last := &b.chunks[len(b.chunks)-1]
		k := min(len(p), snapshotChunkBytes-len(*last))
		*last = append(*last, p[:k]...)
		p = p[k:]
	}
	b.size += n
	return n, nil
}

// WriteTo writes what the buffer holds to w, from the start; the buffer
// keeps it, so that it can be written again (to the archive).
func (b *snapshotBuffer) WriteTo(w io.Writer) (int64, error) {
	var written int64
	for _, c := range b.chunks {
		n, err := w.Write(c)
		written += int64(n)
		if err != nil {
			return written, err
		}
	}
	return written, nil
}

func (s *fsmSnapshot) size() int { return s.data.size }
