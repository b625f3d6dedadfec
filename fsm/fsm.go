// Package fsm is Halo's namespace state machine: the inode tree, the mount
// table and the table of recent operations, changed only by applying journal
// entries. Apply is deterministic — it reads no clock, no random source and
// no under file system — so replicas that apply the same entries hold the
// same state and write byte-identical checkpoints.
package fsm

import (
	"sync"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/proto/journalpb"
)

// RootInodeID is the id of "/"; ids of other inodes are handed out in apply
// order starting after it.
const RootInodeID uint64 = 1

// Config holds what the namespace needs to know at creation. Every replica
// must use the same values.
type Config struct {
	// RootOwner, RootGroup and RootMode are the attributes of "/" in a new
	// namespace (the master's user, as Alluxio does).
	RootOwner string
	RootGroup string
	RootMode  uint32
}

// DefaultConfig returns a configuration with Alluxio's defaults.
func DefaultConfig() Config {
	return Config{RootOwner: "root", RootGroup: "root", RootMode: 0o755}
}

// Result is what applying one entry produced.
type Result struct {
	Err *fserr.Error
	// InodeID is the id of the inode the entry created or changed; for
	// LoadMetadata it is the number of inodes loaded.
	InodeID uint64
	// Replayed is true when the entry's operation id had been applied before
	// and this is its first result, answered again.
	Replayed bool
	// Info describes the inode a create made, as it was right after the
	// create: the answer to the create, which a later lookup could not give
	// once a concurrent rename or delete has moved on. Nil for other kinds
	// and for replayed results.
	Info *journalpb.FileStatus
}

// Error returns r.Err as an error (nil when the entry succeeded).
func (r Result) Error() error {
	if r.Err == nil {
		return nil
	}
	return r.Err
}

// FSM is the namespace. It is safe for concurrent use: Apply and Restore
// take the write lock, reads share the read lock.
type FSM struct {
	mu      sync.RWMutex
	cfg     Config
	root    *Inode
	nextID  uint64
	inodes  uint64
	dirs    uint64 // directories among inodes, the root included
	mounts  *mountTable
	ops     *operationTable
	applied uint64
	owners  ownerships
	// clusterID names the cluster (embedded journal); see ClusterInfoEntry.
	clusterID string
	blocks    blockIndex
	toPersist persistQueue
	index     *inodeIndex
}

// New returns an empty namespace: a root directory and no mounts.
func New(cfg Config) *FSM {
	f := &FSM{cfg: cfg}
	f.reset()
	return f
}

func (f *FSM) reset() {
	f.owners = ownerships{}
	f.root = &Inode{
		id:       RootInodeID,
		own:      f.owners.of(f.cfg.RootOwner, f.cfg.RootGroup),
		mode:     uint16(f.cfg.RootMode & 0o7777),
		flags:    flagDirectory | flagCompleted,
		children: &childList{},
	}
	f.nextID = RootInodeID + 1
	f.inodes = 1
	f.dirs = 1
	f.mounts = newMountTable()
	f.ops = newOperationTable(DefaultOperationTableSettings())
	f.applied = 0
	f.clusterID = ""
	f.blocks = newBlockIndex()
	f.toPersist = persistQueue{}
	f.index = newInodeIndex()
	f.index.add(f.root)
}

// AppliedIndex is the journal index of the last entry applied.
func (f *FSM) AppliedIndex() uint64 {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.applied
}

// InodeCount is the number of inodes, the root included.
func (f *FSM) InodeCount() uint64 {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.inodes
}

// DirectoryCount is the number of directories, the root included; the
// other inodes are files.
func (f *FSM) DirectoryCount() uint64 {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.dirs
}

// entryHandler applies one kind of entry. It validates everything it needs
// against the current state and changes nothing when it returns an error.
type entryHandler func(f *FSM, e *journalpb.Entry) (uint64, error)

// handlers is the dispatch table: one small handler per entry kind.
var handlers = map[Kind]entryHandler{
	KindCreateFile:       applyCreateFile,
	KindCreateDirectory:  applyCreateDirectory,
	KindRename:           applyRename,
	KindDelete:           applyDelete,
	KindSetAttribute:     applySetAttribute,
	KindCompleteFile:     applyCompleteFile,
	KindAddMountPoint:    applyAddMountPoint,
	KindDeleteMountPoint: applyDeleteMountPoint,
	KindLoadMetadata:     applyLoadMetadata,
	KindNoop:             func(*FSM, *journalpb.Entry) (uint64, error) { return 0, nil },
	KindClusterInfo:      applyClusterInfo,

	KindOperationTableConfig: applyOperationTableConfig,
}

// Apply applies the entry at journal index index. Entries must be applied
// in index order; an entry at or below AppliedIndex changes nothing (it was
// already applied, for example before a checkpoint was restored) and gets
// a FailedPrecondition result. Index 0 applies without moving the applied
// index, for tools and tests that have no journal.
func (f *FSM) Apply(index uint64, e *journalpb.Entry) Result {
	f.mu.Lock()
	defer f.mu.Unlock()
	if index != 0 && index <= f.applied {
		return Result{Err: fserr.New(fserr.FailedPrecondition, "journal index %d was already applied (applied index %d)", index, f.applied)}
	}
	if index != 0 {
		f.applied = index
	}
	if e == nil {
		return Result{Err: fserr.New(fserr.InvalidArgument, "journal entry at index %d is empty", index)}
	}
	f.ops.advance(e.TimeMs)
	if e.OpId != nil {
		switch rec, v := f.ops.lookup(e.OpId, e.TimeMs); v {
		case opKnown:
			return recordResult(rec)
		case opForgotten:
			return forgottenResult(e.OpId)
		}
	}
	kind := KindOf(e)
	h, ok := handlers[kind]
	var (
		id  uint64
		err error
	)
	if !ok {
		err = fserr.New(fserr.InvalidArgument, "journal entry has no payload this master knows")
	} else {
		id, err = h(f, e)
	}
	res := Result{InodeID: id}
	if err != nil {
		res.Err = asFSError(err)
	} else if p := createdPath(e); p != "" {
		res.Info = f.infoLocked(p)
	}
	if e.OpId != nil {
		f.ops.record(e.OpId, res, e.TimeMs)
	}
	return res
}

// createdPath is the path a create entry made, "" for other kinds.
func createdPath(e *journalpb.Entry) string {
	switch p := e.Payload.(type) {
	case *journalpb.Entry_CreateFile:
		return p.CreateFile.Path
	case *journalpb.Entry_CreateDirectory:
		return p.CreateDirectory.Path
	}
	return ""
}

// infoLocked describes the inode at path, nil if there is none; the
// caller holds the lock and has already checked permissions.
func (f *FSM) infoLocked(path string) *journalpb.FileStatus {
	parts, err := SplitPath(path)
	if err != nil {
		return nil
	}
	n, err := f.lookup(nil, parts)
	if err != nil {
		return nil
	}
	fi := n.info(JoinPath(parts))
	fi.UfsPath, fi.MountId = f.ufsPathLocked(n)
	return fi
}

func asFSError(err error) *fserr.Error {
	if e, ok := err.(*fserr.Error); ok {
		return e
	}
	return &fserr.Error{Code: fserr.Internal, Message: err.Error()}
}

// lookup returns the inode at components parts, checking EXECUTE on every
// directory passed through.
func (f *FSM) lookup(c *journalpb.Caller, parts []string) (*Inode, error) {
	cur := f.root
	for i, name := range parts {
		if !cur.isDir() {
			return nil, fserr.New(fserr.NotFound, "path %s does not exist: %s is a file", JoinPath(parts), JoinPath(parts[:i]))
		}
		if err := checkPermission(c, cur, permExecute, parts[:i]); err != nil {
			return nil, err
		}
		next := cur.children.get(name)
		if next == nil {
			return nil, fserr.New(fserr.NotFound, "path %s does not exist", JoinPath(parts))
		}
		cur = next
	}
	return cur, nil
}

// lookupParent returns the directory that holds (or would hold) parts.
func (f *FSM) lookupParent(c *journalpb.Caller, parts []string) (*Inode, error) {
	parent, err := f.lookup(c, parts[:len(parts)-1])
	if err != nil {
		return nil, err
	}
	if !parent.isDir() {
		return nil, fserr.New(fserr.InvalidPath, "cannot create %s: parent %s is a file", JoinPath(parts), JoinPath(parts[:len(parts)-1]))
	}
	return parent, nil
}

// GetStatus returns the attributes of path.
func (f *FSM) GetStatus(c *journalpb.Caller, path string) (*journalpb.FileStatus, error) {
	parts, err := SplitPath(path)
	if err != nil {
		return nil, err
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	n, err := f.lookup(c, parts)
	if err != nil {
		return nil, err
	}
	fi := n.info(JoinPath(parts))
	fi.UfsPath, fi.MountId = f.ufsPathLocked(n)
	return fi, nil
}

func joinChild(dir, name string) string {
	if dir == "/" {
		return "/" + name
	}
	return dir + "/" + name
}

// MountTable returns the mounts, ordered by path.
func (f *FSM) MountTable() []*journalpb.MountRecord {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.mounts.records()
}

// ResolveUFS returns the mount that holds path and the UFS URI path maps to.
// The path need not exist in the namespace.
func (f *FSM) ResolveUFS(path string) (*journalpb.MountRecord, string, error) {
	parts, err := SplitPath(path)
	if err != nil {
		return nil, "", err
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	m, rest := f.mounts.resolve(parts)
	if m == nil {
		return nil, "", fserr.New(fserr.NotFound, "path %s is not under any mount point", path)
	}
	return m.record(), joinUFS(m.ufsURI, rest), nil
}
