package raft

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/halo-fs/halo/journal"
	"github.com/hashicorp/go-hclog"
	hraft "github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	raftwal "github.com/hashicorp/raft-wal"
	"github.com/hashicorp/raft-wal/metadb"
	"github.com/hashicorp/raft-wal/migrate"
)

// walFolder, inside the journal folder, holds the Raft log: segment files
// written by hashicorp/raft-wal.
const walFolder = "wal"

// stableFile, inside the journal folder, holds the current term, the vote
// and Halo's own keys (raft-boltdb). Masters before the WAL kept their log
// in it too.
const stableFile = "raft.db"

// migrationBatchBytes bounds the memory a log migration holds at once.
const migrationBatchBytes = 4 << 20

// raftStore is a master's Raft state. The log is a write-ahead log that
// makes each batch of entries durable with one fsync into a preallocated
// segment; bbolt, which syncs its data pages and then its meta page on
// every commit, cost two per batch. The term and vote stay in bbolt: they
// change only at elections, and keeping them where they were leaves
// nothing but the log to migrate.
type raftStore struct {
	*raftwal.WAL
	walMeta *metadb.BoltMetaDB // the WAL's list of segments; WAL.Close leaves it open
	stable  *raftboltdb.BoltStore
}

// Raft must know the log takes no gaps: after installing a snapshot it
// then empties the log instead of appending past a hole, which raft-wal
// refuses.
var _ hraft.MonotonicLogStore = (*raftStore)(nil)

// openRaftStore opens the Raft state in dir, first moving a log that an
// older master left in raft.db into the WAL.
func openRaftStore(dir string, log hclog.Logger) (*raftStore, error) {
	stablePath := filepath.Join(dir, stableFile)
	stable, err := raftboltdb.New(raftboltdb.Options{Path: stablePath})
	if err != nil {
		return nil, fmt.Errorf("open raft state %s: %w", stablePath, err)
	}
	walPath := filepath.Join(dir, walFolder)
	if err := os.MkdirAll(walPath, 0o755); err != nil {
		stable.Close()
		return nil, fmt.Errorf("raft log folder %s: %w", walPath, err)
	}
	walMeta := &metadb.BoltMetaDB{}
	wal, err := raftwal.Open(walPath, raftwal.WithLogger(log.Named("wal")), raftwal.WithMetaStore(walMeta))
	if err != nil {
		walMeta.Close()
		stable.Close()
		return nil, fmt.Errorf("open raft log %s: %w", walPath, err)
	}
	s := &raftStore{WAL: wal, walMeta: walMeta, stable: stable}
	if err := s.migrateBoltLog(dir, log); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// migrateBoltLog moves the entries an older master kept in raft.db into
// the WAL. raft.db gives them up in one transaction only once the WAL has
// synced them all, so a crash part way leaves raft.db whole, and the next
// start copies them again over whatever part reached the WAL.
func (s *raftStore) migrateBoltLog(dir string, log hclog.Logger) error {
	first, last, err := storeBounds(s.stable)
	if err != nil {
		return fmt.Errorf("read the raft log in %s: %w", filepath.Join(dir, stableFile), err)
	}
	if last == 0 {
		return nil
	}
	if err := s.clearLog(); err != nil {
		return err
	}
	if err := migrate.CopyLogs(context.Background(), s.WAL, s.stable, migrationBatchBytes, nil); err != nil {
		return fmt.Errorf("move the raft log of %s from %s into %s: %w", dir, stableFile, walFolder, err)
	}
	if err := s.stable.DeleteRange(first, last); err != nil {
		return fmt.Errorf("remove the raft log of %s from %s after copying it into %s: %w", dir, stableFile, walFolder, err)
	}
	log.Info("moved the raft log from raft.db into the write-ahead log", "folder", dir, "first", first, "last", last)
	return nil
}

// clearLog empties the WAL, which raft-wal supports as one deletion from
// the head past the last entry.
func (s *raftStore) clearLog() error {
	first, last, err := storeBounds(s.WAL)
	if err != nil || last == 0 {
		return err
	}
	return s.WAL.DeleteRange(first, last)
}

type indexBounds interface {
	FirstIndex() (uint64, error)
	LastIndex() (uint64, error)
}

func storeBounds(s indexBounds) (first, last uint64, err error) {
	if first, err = s.FirstIndex(); err == nil {
		last, err = s.LastIndex()
	}
	return first, last, err
}

// GetLog refuses entries outside the log's bounds. After Raft compacts the
// head of the log, raft-wal (v0.4.0 and v0.4.1) still reads the compacted entries from
// the segment being written; Raft would then replicate them to a follower
// that needs a snapshot, and a log that disagrees with its own FirstIndex
// is one no reader should have to reason about.
func (s *raftStore) GetLog(index uint64, l *hraft.Log) error {
	first, last, err := storeBounds(s.WAL)
	if err != nil {
		return err
	}
	if index < first || index > last {
		return hraft.ErrLogNotFound
	}
	return s.WAL.GetLog(index, l)
}

// The StableStore methods go to raft.db, not to the WAL's own meta store.

func (s *raftStore) Set(key, val []byte) error            { return s.stable.Set(key, val) }
func (s *raftStore) Get(key []byte) ([]byte, error)       { return s.stable.Get(key) }
func (s *raftStore) SetUint64(key []byte, v uint64) error { return s.stable.SetUint64(key, v) }
func (s *raftStore) GetUint64(key []byte) (uint64, error) { return s.stable.GetUint64(key) }

// Close closes the log and raft.db. The WAL's meta store is closed here:
// raft-wal does not, and its file lock would keep the folder from opening
// again in this process.
func (s *raftStore) Close() error {
	return errors.Join(s.WAL.Close(), s.walMeta.Close(), s.stable.Close())
}

// copyFolderSynced copies the files of folder from into a new folder to,
// durably. The WAL's files are copied while it is open: nothing writes to
// it before Raft starts.
func copyFolderSynced(from, to string) error {
	entries, err := os.ReadDir(from)
	if err != nil {
		return err
	}
	if err := os.Mkdir(to, 0o755); err != nil {
		return err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		if err := copyFileSynced(filepath.Join(from, e.Name()), filepath.Join(to, e.Name())); err != nil {
			return err
		}
	}
	return journal.SyncDir(to)
}
