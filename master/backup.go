package master

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/proto/halopb"
	"github.com/halo-fs/halo/ufs"
)

// backupName follows Alluxio's alluxio-backup-YYYY-MM-DD-<millis>.gz.
func backupName(t time.Time) string {
	return fmt.Sprintf("alluxio-backup-%s-%d.gz", t.UTC().Format("2006-01-02"), t.UnixMilli())
}

// Backup writes the namespace, as a gzipped checkpoint, to the backup
// directory: on the root UFS by default (a path there, as Alluxio's
// /alluxio_backups), to any UFS when the directory is a URI, or to the
// leader's local disk with local set. The format does not depend on the HA
// mode, so a backup moves a namespace between modes.
func (m *Master) Backup(ctx context.Context, req *halopb.BackupRequest) (*halopb.BackupResponse, error) {
	if err := m.replicator.VerifyRead(ctx); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	h, err := m.fsm.WriteCheckpoint(zw)
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		return nil, fserr.New(fserr.Internal, "write backup: %v", err)
	}
	dir := req.Directory
	if dir == "" {
		dir = m.cfg.BackupDirectory
	}
	name := backupName(time.Now())
	var uri string
	switch {
	case req.Local:
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fserr.New(fserr.InvalidArgument, "backup directory %s: %v", dir, err)
		}
		uri = filepath.Join(dir, name)
		if err := writeFileAtomic(uri, buf.Bytes()); err != nil {
			return nil, fserr.New(fserr.Internal, "write backup %s: %v", uri, err)
		}
	default:
		store, resolved, err := m.openBackupDirectory(ctx, dir)
		if err != nil {
			return nil, err
		}
		defer store.Close()
		if err := ufs.WriteFile(ctx, store, name, buf.Bytes(), ufs.CreateOptions{}); err != nil {
			return nil, fserr.New(fserr.Unavailable, "write backup to %s: %v", resolved, err)
		}
		uri = ufs.Join(resolved, name)
	}
	m.log.Info("wrote backup", "uri", uri, "inodes", h.InodeCount, "bytes", buf.Len())
	return &halopb.BackupResponse{
		BackupHost: m.cfg.Hostname,
		BackupUri:  uri,
		EntryCount: h.InodeCount + h.MountCount + h.OpCount,
	}, nil
}

// openBackupDirectory opens a backup directory on a UFS: a URI as given, a
// path on the root UFS. It returns the store and the directory's location.
func (m *Master) openBackupDirectory(ctx context.Context, dir string) (ufs.Store, string, error) {
	if !strings.Contains(dir, "://") {
		if m.cfg.RootUFS == "" {
			return nil, "", fserr.New(fserr.FailedPrecondition, "no root UFS to hold backup directory %s; give a URI or use --local", dir)
		}
		dir = ufs.Join(m.cfg.RootUFS, dir)
	}
	store, err := m.cfg.UFS.Open(ctx, dir, m.ufsOptions(nil))
	if err != nil {
		return nil, "", fserr.New(fserr.InvalidArgument, "backup directory %s: %v", dir, err)
	}
	return store, dir, nil
}

func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// ReadBackup reads a backup (or an archived checkpoint) from a local path
// or a UFS URI, uncompressing it when it is gzipped.
func ReadBackup(ctx context.Context, registry *ufs.Registry, uri string) ([]byte, error) {
	return ReadBackupWithOptions(ctx, registry, uri, nil)
}

// ReadBackupWithOptions is ReadBackup with UFS options (credentials,
// endpoints) for a backup on S3 or HDFS.
func ReadBackupWithOptions(ctx context.Context, registry *ufs.Registry, uri string, options map[string]string) ([]byte, error) {
	var raw []byte
	var err error
	if strings.Contains(uri, "://") && !strings.HasPrefix(uri, "file://") {
		dir, name := uri[:strings.LastIndex(uri, "/")], uri[strings.LastIndex(uri, "/")+1:]
		store, oerr := registry.Open(ctx, dir, options)
		if oerr != nil {
			return nil, fmt.Errorf("open backup %s: %w", uri, oerr)
		}
		defer store.Close()
		raw, err = ufs.ReadFile(ctx, store, name)
	} else {
		raw, err = os.ReadFile(strings.TrimPrefix(uri, "file://"))
	}
	if err != nil {
		return nil, fmt.Errorf("read backup %s: %w", uri, err)
	}
	if len(raw) >= 2 && raw[0] == 0x1f && raw[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("backup %s: %w", uri, err)
		}
		out, err := io.ReadAll(io.LimitReader(zr, 16<<30))
		if err != nil {
			return nil, fmt.Errorf("backup %s is damaged: %w", uri, err)
		}
		return out, nil
	}
	return raw, nil
}
