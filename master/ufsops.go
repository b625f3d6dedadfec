package master

import (
	"context"
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

// checkUFSFolderExists stats the folder from its parent: opening a store
// at a local path creates the path, and a mount must not invent the folder
// it mounts.
func (m *Master) checkUFSFolderExists(ctx context.Context, uri string, options map[string]string) error {
	u, err := ufs.ParseURI(uri)
	if err != nil {
		return fserr.New(fserr.InvalidArgument, "cannot mount %s: %v", uri, err)
	}
	clean := strings.TrimSuffix(u.Path, "/")
	if clean == "" {
		return nil // a store's root (a bucket, a name node's /) exists if the store opens
	}
	parent := u
	parent.Path = path.Dir(clean)
	store, err := m.cfg.UFS.Open(ctx, parent.String(), options)
	if err != nil {
		return fserr.New(fserr.InvalidArgument, "cannot mount %s: %v", uri, err)
	}
	defer store.Close()
	st, err := store.Stat(ctx, path.Base(clean))
	if err != nil {
		return fserr.New(fserr.NotFound, "cannot mount %s: %v", uri, err)
	}
	if !st.IsDir {
		return fserr.New(fserr.InvalidArgument, "cannot mount %s: it is not a directory", uri)
	}
	return nil
}

// maxLoadMetadata bounds one loadMetadata entry; larger folders are loaded
// level by level by repeated calls.
const maxLoadMetadata = 100000

// loadMetadataEntry lists the UFS folder behind req.Path.
func (m *Master) loadMetadataEntry(ctx context.Context, req LoadMetadataOptions) (*journalpb.LoadMetadataEntry, error) {
	if m.cfg.UFS == nil {
		return nil, fserr.New(fserr.FailedPrecondition, "this master has no under file systems configured")
	}
	mt, ufsURI, err := m.fsm.ResolveUFS(req.Path)
	if err != nil {
		return nil, err
	}
	store, err := m.cfg.UFS.Open(ctx, mt.UfsUri, m.ufsOptions(mt.Options))
	if err != nil {
		return nil, fserr.New(fserr.Unavailable, "cannot open UFS %s: %v", mt.UfsUri, err)
	}
	defer store.Close()
	rel := strings.TrimPrefix(strings.TrimPrefix(ufsURI, strings.TrimSuffix(mt.UfsUri, "/")), "/")
	base := "/" + rel
	entry := &journalpb.LoadMetadataEntry{Path: req.Path}
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
		child := &journalpb.UfsChild{
			RelPath: childRel, IsDirectory: st.IsDir, Length: st.Length, MtimeMs: st.ModTime.UnixMilli(),
			Owner: st.Owner, Group: st.Group, Mode: st.Mode,
		}
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
