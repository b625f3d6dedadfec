package master

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/proto/journalpb"
	"github.com/halo-fs/halo/ufs"
	"google.golang.org/protobuf/proto"
)

// mountEntry checks that the UFS folder to mount exists and reads its
// attributes. This is leader-side work: the entry carries what was found so
// that applying it reads no UFS.
func (m *Master) mountEntry(ctx context.Context, req MountOptions) (*journalpb.AddMountPointEntry, error) {
	if m.cfg.UFS == nil {
		return nil, fserr.New(fserr.FailedPrecondition, "this master has no under file systems configured")
	}
	if err := m.checkUFSFolderExists(ctx, req.UfsURI, m.ufsOptions(req.Options)); err != nil {
		return nil, err
	}
	store, err := m.cfg.UFS.Open(ctx, req.UfsURI, m.ufsOptions(req.Options))
	if err != nil {
		return nil, fserr.New(fserr.InvalidArgument, "cannot mount %s: %v", req.UfsURI, err)
	}
	defer store.Close()
	st, err := store.Stat(ctx, "/")
	if err != nil {
		return nil, fserr.New(fserr.NotFound, "cannot mount %s: %v", req.UfsURI, err)
	}
	if !st.IsDir {
		return nil, fserr.New(fserr.InvalidArgument, "cannot mount %s: it is not a directory", req.UfsURI)
	}
	mode := st.Mode
	if mode == 0 {
		mode = 0o755
	}
	return &journalpb.AddMountPointEntry{
		Path: req.Path, UfsUri: req.UfsURI, ReadOnly: req.ReadOnly, Shared: req.Shared, Options: req.Options,
		Owner: st.Owner, Group: st.Group, Mode: mode,
	}, nil
}

// checkUFSFolderExists refuses a mount of a UFS folder that is not there.
func (m *Master) checkUFSFolderExists(ctx context.Context, uri string, options map[string]string) error {
	if code, why := m.ufsFolderProblem(ctx, uri, options); why != "" {
		return fserr.New(code, "cannot mount %s: %s", uri, why)
	}
	return nil
}

// checkMountFolderForWrite refuses a create whose UFS copy is written
// with the file (THROUGH, CACHE_THROUGH) when the UFS folder of the mount
// holding path is not there: the write would otherwise fail only once the
// bytes are sent, or create the folder as a side effect.
func (m *Master) checkMountFolderForWrite(ctx context.Context, path string) error {
	if m.cfg.UFS == nil {
		return nil
	}
	mount, _, err := m.fsm.ResolveUFS(path)
	if err != nil {
		return nil // no mount: the create itself says what is wrong with path
	}
	if _, why := m.ufsFolderProblem(ctx, mount.UfsUri, m.ufsOptions(mount.Options)); why != "" {
		return fserr.New(fserr.FailedPrecondition, "cannot create %s with a UFS copy (THROUGH or CACHE_THROUGH): the UFS folder %s of the mount at %s %s",
			path, mount.UfsUri, mount.Path, why)
	}
	return nil
}

// ufsFolderProblem says what is wrong with the UFS folder at uri, with the
// error code that fits it, or "" when it is a folder. It stats the folder
// from its parent: opening a store at a local path creates the path, and
// neither a mount nor a write must invent the folder.
func (m *Master) ufsFolderProblem(ctx context.Context, uri string, options map[string]string) (fserr.Code, string) {
	u, err := ufs.ParseURI(uri)
	if err != nil {
		return fserr.InvalidArgument, err.Error()
	}
	clean := strings.TrimSuffix(u.Path, "/")
	if clean == "" {
		return 0, "" // a store's root (a bucket, a name node's /) exists if the store opens
	}
	parent := u
	parent.Path = path.Dir(clean)
	store, err := m.cfg.UFS.Open(ctx, parent.String(), options)
	if err != nil {
		return fserr.InvalidArgument, err.Error()
	}
	defer store.Close()
	st, err := store.Stat(ctx, path.Base(clean))
	if err != nil {
		return fserr.NotFound, fmt.Sprintf("does not exist or cannot be reached: %v", err)
	}
	if !st.IsDir {
		return fserr.InvalidArgument, "is not a directory"
	}
	return 0, ""
}

// maxLoadMetadata bounds one loadMetadata entry; larger folders are loaded
// level by level by repeated calls.
const maxLoadMetadata = 100000

// loadMetadataEntry lists the UFS folder behind req.Path.
func (m *Master) loadMetadataEntry(ctx context.Context, req LoadMetadataOptions) (*journalpb.LoadMetadataEntry, error) {
	if m.cfg.UFS == nil {
		return nil, fserr.New(fserr.FailedPrecondition, "this master has no under file systems configured")
	}
	store, base, ufsURI, err := m.openUFSAt(ctx, req.Path)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	entry := &journalpb.LoadMetadataEntry{Path: req.Path, WholeListing: true}
	// The listing stops as soon as it could not fit one entry, rather than
	// hold a huge folder in memory only to have the entry refused.
	size := 0
	add := func(st ufs.Status) error {
		if len(entry.Children) >= maxLoadMetadata {
			return fserr.New(fserr.ResourceExhausted, "%s holds more than %d entries; load it in parts", req.Path, maxLoadMetadata)
		}
		childRel := strings.TrimPrefix(strings.TrimPrefix(path.Clean("/"+st.Path), path.Clean(base)), "/")
		if childRel == "" {
			return nil
		}
		child := ufsChild(childRel, st)
		if size += proto.Size(child); size > m.cfg.MaxEntryBytes {
			return fserr.New(fserr.ResourceExhausted, "the listing of %s is more than the journal entry limit of %d bytes (alluxio.master.embedded.journal.entry.size.max); load it in parts", req.Path, m.cfg.MaxEntryBytes)
		}
		entry.Children = append(entry.Children, child)
		return nil
	}
	if req.Recursive {
		err = store.Walk(ctx, base, add)
	} else {
		var list []ufs.Status
		list, err = store.List(ctx, base)
		for _, st := range list {
			if err == nil {
				err = add(st)
			}
		}
	}
	if err != nil {
		if fserr.CodeOf(err) != fserr.Internal {
			return nil, err
		}
		return nil, fserr.New(fserr.NotFound, "cannot list %s in the UFS: %v", ufsURI, err)
	}
	return entry, nil
}

// openUFSAt opens the UFS of the mount holding p and returns it with
// p's place in it (from the store's root) and its URI. A mount whose
// folder is gone is refused: opening a store at a local path would make
// the folder again, empty, as a side effect of a read.
func (m *Master) openUFSAt(ctx context.Context, p string) (store ufs.Store, rel, uri string, err error) {
	mt, uri, err := m.fsm.ResolveUFS(p)
	if err != nil {
		return nil, "", "", err
	}
	if _, why := m.ufsFolderProblem(ctx, mt.UfsUri, m.ufsOptions(mt.Options)); why != "" {
		return nil, "", "", fserr.New(fserr.FailedPrecondition, "the UFS folder %s of the mount at %s %s", mt.UfsUri, mt.Path, why)
	}
	store, err = m.cfg.UFS.Open(ctx, mt.UfsUri, m.ufsOptions(mt.Options))
	if err != nil {
		return nil, "", "", fserr.New(fserr.Unavailable, "cannot open UFS %s: %v", mt.UfsUri, err)
	}
	return store, "/" + strings.TrimPrefix(strings.TrimPrefix(uri, strings.TrimSuffix(mt.UfsUri, "/")), "/"), uri, nil
}

// ufsChild is what a metadata load records of a UFS entry at rel.
func ufsChild(rel string, st ufs.Status) *journalpb.UfsChild {
	return &journalpb.UfsChild{
		RelPath: rel, IsDirectory: st.IsDir, Length: st.Length, MtimeMs: st.ModTime.UnixMilli(),
		Owner: st.Owner, Group: st.Group, Mode: st.Mode,
	}
}

// LoadOnAccess brings a path the namespace lacks in from the UFS, as a
// first access under Alluxio's metadata load types ONCE and ALWAYS does:
// each missing component is looked up in the UFS, and what is found is
// loaded in one entry (a folder's own listing waits for its first
// listing). NotFound, and no entry, when the UFS lacks it too.
func (m *Master) LoadOnAccess(ctx context.Context, p string) error {
	if m.cfg.UFS == nil {
		return fserr.New(fserr.NotFound, "path %s does not exist", p)
	}
	if _, err := m.read(ctx); err != nil {
		return err
	}
	dir, missing, err := m.fsm.MissingBelow(p)
	if err != nil {
		return err
	}
	store, base, _, err := m.openUFSAt(ctx, dir)
	if err != nil {
		return err
	}
	defer store.Close()
	entry := &journalpb.LoadMetadataEntry{Path: dir}
	for i := range missing {
		rel := strings.Join(missing[:i+1], "/")
		st, err := store.Stat(ctx, path.Join(base, rel))
		if errors.Is(err, ufs.ErrNotFound) || errors.Is(err, ufs.ErrNotDirectory) || fserr.CodeOf(err) == fserr.NotFound {
			return fserr.New(fserr.NotFound, "path %s does not exist, in the namespace or in the UFS", p)
		}
		if err != nil {
			return fserr.New(fserr.Unavailable, "path %s is not in the namespace, and the UFS cannot say whether it has it: %v", p, err)
		}
		if !st.IsDir && i < len(missing)-1 {
			return fserr.New(fserr.NotFound, "path %s does not exist: %s is a file in the UFS", p, path.Join(dir, rel))
		}
		entry.Children = append(entry.Children, ufsChild(rel, st))
	}
	_, err = m.proposeFor(ctx, nil, &journalpb.Entry{Payload: &journalpb.Entry_LoadMetadata{LoadMetadata: entry}})
	return err
}

// DirectoryLoaded says whether the directory at path has its UFS listing
// in the namespace (fsm.ChildrenLoaded).
func (m *Master) DirectoryLoaded(path string) bool {
	return m.fsm.ChildrenLoaded(path)
}
