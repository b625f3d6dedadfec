package master

import (
	"context"
	"strings"
	"time"

	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/proto/journalpb"
)

// This file is the one place where a request becomes journal entries,
// whatever API it came through. Each operation takes plain Go arguments
// with the request's meaning, checks them against the limits (limits.go),
// resolves defaults (umask), checks who may do it, stamps the caller and the leader's clock into the entry and proposes
// it; reads check leadership and answer with the namespace's own status
// type. An API's handlers only translate their wire messages to these
// arguments and the answers back (package master/halorpc for Halo's own
// API).

// OpID is a client's operation id: the same id on a retried mutation makes
// the exactly-once table answer it with the first result. A nil *OpID
// means the request carries none and is not remembered.
type OpID struct {
	ClientHi, ClientLo uint64
	Seq                uint64
}

func (id *OpID) entryID() *journalpb.OperationID {
	if id == nil {
		return nil
	}
	return &journalpb.OperationID{ClientHi: id.ClientHi, ClientLo: id.ClientLo, Seq: id.Seq}
}

// CreateFileOptions is a request to create a file.
type CreateFileOptions struct {
	OpID *OpID
	Path string
	// Mode is the permission bits; nil means 0666 minus the master's umask.
	Mode      *uint32
	Recursive bool // create missing parent directories
	// Completed creates an empty file that is complete at once (touch).
	Completed      bool
	BlockSizeBytes int64
	TTLMs          int64
	Pinned         bool
	// Persisted: the client writes the UFS copy as it writes the file.
	Persisted bool
	// Overwrite replaces a file already at Path, whose blocks the workers
	// then free.
	Overwrite bool
}

// CreateDirectoryOptions is a request to create a directory.
type CreateDirectoryOptions struct {
	OpID *OpID
	Path string
	// Mode is the permission bits; nil means 0777 minus the master's umask.
	Mode        *uint32
	Recursive   bool // create missing parent directories
	AllowExists bool // an existing directory is success
}

// ListOptions is a request to list a folder.
type ListOptions struct {
	Path      string
	Recursive bool
	// StartAfter resumes a listing after the entry with this path (the
	// last one a broken stream delivered); empty lists from the start.
	StartAfter string
	// PageEntries bounds the entries of each page below the namespace's
	// default, for a caller that wants only so many: a page's cost
	// follows its size. Zero keeps the default.
	PageEntries int
}

// DeleteOptions is a request to delete a file or folder.
type DeleteOptions struct {
	OpID      *OpID
	Path      string
	Recursive bool // a non-empty folder is deleted with its contents
	// AlluxioOnly keeps the UFS copies (Alluxio's alluxioOnly); otherwise
	// they are deleted too, once the namespace has dropped them.
	AlluxioOnly bool
}

// SetAttributeOptions changes the attributes that are set (non-nil) and
// leaves the others as they are.
type SetAttributeOptions struct {
	OpID      *OpID
	Path      string
	Recursive bool // also every inode below Path
	Mode      *uint32
	Owner     *string
	Group     *string
	Pinned    *bool
	TTLMs     *int64
	Persisted *bool
}

// CompleteFileOptions marks a file complete with its length and blocks.
type CompleteFileOptions struct {
	OpID     *OpID
	Path     string
	Length   int64
	BlockIDs []uint64
	// ToBePersisted queues the file for the leader's persister.
	ToBePersisted bool
}

// MountOptions is a request to mount a UFS folder at Path.
type MountOptions struct {
	OpID     *OpID
	Path     string
	UfsURI   string
	ReadOnly bool
	Shared   bool
	Options  map[string]string // the UFS's own properties (credentials, endpoints)
}

// LoadMetadataOptions is a request to bring a UFS folder's listing into
// the namespace.
type LoadMetadataOptions struct {
	OpID      *OpID
	Path      string
	Recursive bool
}

// proposeFor stamps op id, caller and the leader's clock into e, proposes it
// and returns its result, with the result's own error as the error.
func (m *Master) proposeFor(ctx context.Context, op *OpID, e *journalpb.Entry) (fsm.Result, error) {
	c, err := m.ids.Caller(ctx)
	if err != nil {
		return fsm.Result{}, err
	}
	e.OpId = op.entryID()
	e.Caller = c
	e.TimeMs = time.Now().UnixMilli()
	res, err := m.propose(ctx, e)
	if err != nil {
		return res, err
	}
	return res, res.Error()
}

// propose is the one way into the replicator: every HA mode refuses an
// entry larger than the limit here, before it reaches the journal.
func (m *Master) propose(ctx context.Context, e *journalpb.Entry) (fsm.Result, error) {
	if err := checkEntrySize(e, m.cfg.MaxEntryBytes); err != nil {
		return fsm.Result{}, err
	}
	return m.replicator.Propose(ctx, e)
}

// read checks leadership for a linearizable read and returns the caller.
func (m *Master) read(ctx context.Context) (*journalpb.Caller, error) {
	c, err := m.ids.Caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := m.replicator.VerifyRead(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// modeOr is the requested mode, or the default minus the umask.
func (m *Master) modeOr(mode *uint32, def uint32) uint32 {
	if mode != nil {
		return *mode
	}
	return def &^ m.cfg.Umask
}

// CreateFile creates a file and answers with it as the create made it.
func (m *Master) CreateFile(ctx context.Context, o CreateFileOptions) (*journalpb.FileStatus, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if o.Persisted {
		if err := m.checkMountFolderForWrite(ctx, o.Path); err != nil {
			return nil, err
		}
	}
	mode := m.modeOr(o.Mode, 0o666)
	var replaced []int64
	if o.Overwrite {
		// Looked up first: once replaced, nothing names them.
		replaced = m.blocksUnder(o.Path)
	}
	res, err := m.proposeFor(ctx, o.OpID, &journalpb.Entry{Payload: &journalpb.Entry_CreateFile{CreateFile: &journalpb.CreateFileEntry{
		Path: o.Path, Mode: mode, Recursive: o.Recursive, Completed: o.Completed,
		BlockSizeBytes: o.BlockSizeBytes, TtlMs: o.TTLMs, Pinned: o.Pinned, Persisted: o.Persisted, Overwrite: o.Overwrite,
	}}})
	if err != nil {
		return nil, err
	}
	m.workers.Free(replaced)
	return m.createAnswer(ctx, res, &journalpb.FileStatus{
		Path: o.Path, Name: baseName(o.Path), Mode: mode, Completed: o.Completed,
		BlockSizeBytes: o.BlockSizeBytes, TtlMs: o.TTLMs, Pinned: o.Pinned, PersistenceState: persistence(o.Persisted),
	})
}

// CreateDirectory creates a directory and answers with it as the create
// made it.
func (m *Master) CreateDirectory(ctx context.Context, o CreateDirectoryOptions) (*journalpb.FileStatus, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	mode := m.modeOr(o.Mode, 0o777)
	res, err := m.proposeFor(ctx, o.OpID, &journalpb.Entry{Payload: &journalpb.Entry_CreateDirectory{CreateDirectory: &journalpb.CreateDirectoryEntry{
		Path: o.Path, Mode: mode, Recursive: o.Recursive, AllowExists: o.AllowExists,
	}}})
	if err != nil {
		return nil, err
	}
	return m.createAnswer(ctx, res, &journalpb.FileStatus{
		Path: o.Path, Name: baseName(o.Path), Mode: mode, IsDirectory: true, Completed: true,
	})
}

// createAnswer answers a create with the inode as the create made it. Only
// a retried create answered from the exactly-once table carries no
// description; it is looked up, and may since have been renamed or
// deleted, which is then reported as the create's success without it.
func (m *Master) createAnswer(ctx context.Context, res fsm.Result, made *journalpb.FileStatus) (*journalpb.FileStatus, error) {
	if res.Info != nil {
		return res.Info, nil
	}
	c, err := m.ids.Caller(ctx)
	if err != nil {
		return nil, err
	}
	info, err := m.fsm.GetStatus(c, made.Path)
	if err != nil || info.Id != res.InodeID {
		// The inode has since been renamed or deleted: answer with what
		// the request made, so a retried create still reports its success
		// with the attributes it asked for.
		made.Id = res.InodeID
		return made, nil
	}
	return info, nil
}

func persistence(persisted bool) journalpb.PersistenceState {
	if persisted {
		return journalpb.PersistenceState_PERSISTED
	}
	return journalpb.PersistenceState_NOT_PERSISTED
}

func baseName(p string) string {
	return p[strings.LastIndexByte(p, '/')+1:]
}

// GetStatus describes the inode at path.
func (m *Master) GetStatus(ctx context.Context, path string) (*journalpb.FileStatus, error) {
	c, err := m.read(ctx)
	if err != nil {
		return nil, err
	}
	return m.fsm.GetStatus(c, path)
}

// listPageHook, when a test sets it, runs between two pages of every
// listing, when the listing holds no lock.
var listPageHook func()

// List hands the listing to send a page at a time, in listing order (see
// fsm/list.go). Each page is read under its own hold of the namespace's
// read lock and sent after it is released, so neither a large tree nor a
// slow client holds up writers for long.
func (m *Master) List(ctx context.Context, o ListOptions, send func(page []*journalpb.FileStatus) error) error {
	c, err := m.read(ctx)
	if err != nil {
		return err
	}
	lister, err := m.fsm.NewLister(c, o.Path, o.Recursive, o.StartAfter)
	if err != nil {
		return err
	}
	limits := fsm.DefaultListPageLimits()
	if o.PageEntries > 0 {
		limits.MaxEntries = min(limits.MaxEntries, o.PageEntries)
	}
	for {
		page, done, err := lister.Next(limits)
		if err != nil {
			return err
		}
		if len(page) > 0 {
			if err := send(page); err != nil {
				return err
			}
		}
		if done {
			return nil
		}
		if listPageHook != nil {
			listPageHook()
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// Rename moves src to dst.
func (m *Master) Rename(ctx context.Context, op *OpID, src, dst string) error {
	if err := ValidateRename(src, dst); err != nil {
		return err
	}
	_, err := m.proposeFor(ctx, op, &journalpb.Entry{Payload: &journalpb.Entry_Rename{Rename: &journalpb.RenameEntry{Src: src, Dst: dst}}})
	return err
}

// Delete removes a file or folder.
func (m *Master) Delete(ctx context.Context, o DeleteOptions) error {
	if err := o.Validate(); err != nil {
		return err
	}
	// The blocks and UFS copies are looked up first: once deleted,
	// nothing names them.
	blocks := m.blocksUnder(o.Path)
	var copies []*journalpb.FileStatus
	if !o.AlluxioOnly {
		copies = m.ufsCopiesUnder(o.Path)
	}
	_, err := m.proposeFor(ctx, o.OpID, &journalpb.Entry{Payload: &journalpb.Entry_Delete{Delete: &journalpb.DeleteEntry{Path: o.Path, Recursive: o.Recursive}}})
	if err == nil {
		m.workers.Free(blocks)
		m.removeUFSCopies(ctx, copies)
	}
	return err
}

// SetAttribute changes the attributes o sets.
func (m *Master) SetAttribute(ctx context.Context, o SetAttributeOptions) error {
	if err := o.Validate(); err != nil {
		return err
	}
	_, err := m.proposeFor(ctx, o.OpID, &journalpb.Entry{Payload: &journalpb.Entry_SetAttribute{SetAttribute: o.entry()}})
	return err
}

func (o SetAttributeOptions) entry() *journalpb.SetAttributeEntry {
	e := &journalpb.SetAttributeEntry{Path: o.Path, Recursive: o.Recursive}
	e.HasMode, e.Mode = given(o.Mode)
	e.HasOwner, e.Owner = given(o.Owner)
	e.HasGroup, e.Group = given(o.Group)
	e.HasPinned, e.Pinned = given(o.Pinned)
	e.HasTtl, e.TtlMs = given(o.TTLMs)
	e.HasPersisted, e.Persisted = given(o.Persisted)
	return e
}

// given is an optional argument as the entry's has_ flag and value.
func given[T any](v *T) (bool, T) {
	if v == nil {
		var zero T
		return false, zero
	}
	return true, *v
}

// CompleteFile marks a file complete.
func (m *Master) CompleteFile(ctx context.Context, o CompleteFileOptions) error {
	if err := o.Validate(); err != nil {
		return err
	}
	_, err := m.proposeFor(ctx, o.OpID, &journalpb.Entry{Payload: &journalpb.Entry_CompleteFile{CompleteFile: &journalpb.CompleteFileEntry{
		Path: o.Path, Length: o.Length, BlockIds: o.BlockIDs, ToBePersisted: o.ToBePersisted,
	}}})
	return err
}

// Mount mounts a UFS folder; only an administrator may, since a mount
// reads the UFS as the master: its own files, and stores with the
// deployment's credentials.
func (m *Master) Mount(ctx context.Context, o MountOptions) error {
	if err := o.Validate(); err != nil {
		return err
	}
	if err := m.ids.Admin(ctx, "mount an under file system"); err != nil {
		return err
	}
	entry, err := m.mountEntry(ctx, o)
	if err != nil {
		return err
	}
	_, err = m.proposeFor(ctx, o.OpID, &journalpb.Entry{Payload: &journalpb.Entry_AddMountPoint{AddMountPoint: entry}})
	return err
}

// Unmount removes the mount point at path.
func (m *Master) Unmount(ctx context.Context, op *OpID, path string) error {
	if err := ValidateUnmount(path); err != nil {
		return err
	}
	_, err := m.proposeFor(ctx, op, &journalpb.Entry{Payload: &journalpb.Entry_DeleteMountPoint{DeleteMountPoint: &journalpb.DeleteMountPointEntry{Path: path}}})
	return err
}

// MountTable lists the mount points.
func (m *Master) MountTable(ctx context.Context) ([]*journalpb.MountRecord, error) {
	if _, err := m.read(ctx); err != nil {
		return nil, err
	}
	return m.fsm.MountTable(), nil
}

// LoadMetadata brings the UFS listing behind o.Path into the namespace and
// returns how many inodes it added.
func (m *Master) LoadMetadata(ctx context.Context, o LoadMetadataOptions) (uint64, error) {
	if err := o.Validate(); err != nil {
		return 0, err
	}
	if _, err := m.read(ctx); err != nil {
		return 0, err
	}
	entry, err := m.loadMetadataEntry(ctx, o)
	if err != nil {
		return 0, err
	}
	res, err := m.proposeFor(ctx, o.OpID, &journalpb.Entry{Payload: &journalpb.Entry_LoadMetadata{LoadMetadata: entry}})
	if err != nil {
		return 0, err
	}
	return res.InodeID, nil
}

// Checkpoint makes the replicator write a checkpoint; administrators only.
func (m *Master) Checkpoint(ctx context.Context) (location string, index uint64, err error) {
	if err := m.ids.Admin(ctx, "take a checkpoint"); err != nil {
		return "", 0, err
	}
	info, err := m.replicator.Checkpoint(ctx)
	if err != nil {
		return "", 0, err
	}
	return info.Location, info.Index, nil
}
