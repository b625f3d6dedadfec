// Package backup owns a master's backups: writing the namespace, as a
// gzipped checkpoint, to a backup directory on a UFS or the leader's disk
// under Alluxio's names; reading one back for import (halo master -i);
// and the daily backups (alluxio.master.daily.backup.*) with their
// retention. It sees the master only through its namespace and its
// replicator's leadership.
package backup

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
	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/ha"
	"github.com/halo-fs/halo/journal"
	"github.com/halo-fs/halo/ufs"
	"github.com/hashicorp/go-hclog"
)

// Leadership is what backups ask of the master's replicator: a backup is
// the leader's, taken after a read barrier.
type Leadership interface {
	VerifyRead(ctx context.Context) error
	Status() ha.Status
}

// Config is where backups go and what they are written with.
type Config struct {
	// Directory is alluxio.master.backup.directory: a path on the root UFS,
	// or a URI.
	Directory string
	RootUFS   string // alluxio.master.mount.table.root.ufs; "" when none
	UFS       *ufs.Registry
	// UFSOptions are the deployment's UFS settings (credentials, endpoints).
	UFSOptions map[string]string
	Hostname   string // reported as the backup's host
	Daily      Daily
	Logger     hclog.Logger
}

// Backups writes a master's backups.
type Backups struct {
	cfg    Config
	fsm    *fsm.FSM
	leader Leadership
	log    hclog.Logger
}

// New returns the backups of the master whose namespace is f.
func New(cfg Config, f *fsm.FSM, leader Leadership) *Backups {
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	return &Backups{cfg: cfg, fsm: f, leader: leader, log: cfg.Logger}
}

// Written says where a backup went and how many entries it holds.
type Written struct {
	Host       string
	URI        string
	EntryCount uint64
}

// backupName follows Alluxio's alluxio-backup-YYYY-MM-DD-<millis>.gz.
func backupName(t time.Time) string {
	return fmt.Sprintf("alluxio-backup-%s-%d.gz", t.UTC().Format("2006-01-02"), t.UnixMilli())
}

// Write writes the namespace, as a gzipped checkpoint, to dir (the
// configured directory when ""): on the root UFS by default (a path there,
// as Alluxio's /alluxio_backups), to any UFS when dir is a URI, or to the
// leader's local disk with local set. The format does not depend on the HA
// mode, so a backup moves a namespace between modes.
func (b *Backups) Write(ctx context.Context, dir string, local bool) (Written, error) {
	if err := b.leader.VerifyRead(ctx); err != nil {
		return Written{}, err
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	h, err := b.fsm.WriteCheckpoint(zw)
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		return Written{}, fserr.New(fserr.Internal, "write backup: %v", err)
	}
	if dir == "" {
		dir = b.cfg.Directory
	}
	name := backupName(time.Now())
	var uri string
	switch {
	case local:
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return Written{}, fserr.New(fserr.InvalidArgument, "backup directory %s: %v", dir, err)
		}
		uri = filepath.Join(dir, name)
		if err := journal.WriteFileAtomic(dir, name, buf.Bytes()); err != nil {
			return Written{}, fserr.New(fserr.Internal, "write backup %s: %v", uri, err)
		}
	default:
		store, resolved, err := b.openDirectory(ctx, dir)
		if err != nil {
			return Written{}, err
		}
		defer store.Close()
		if err := ufs.WriteFile(ctx, store, name, buf.Bytes(), ufs.CreateOptions{}); err != nil {
			return Written{}, fserr.New(fserr.Unavailable, "write backup to %s: %v", resolved, err)
		}
		uri = ufs.Join(resolved, name)
	}
	b.log.Info("wrote backup", "uri", uri, "inodes", h.InodeCount, "bytes", buf.Len())
	return Written{Host: b.cfg.Hostname, URI: uri, EntryCount: h.InodeCount + h.MountCount + h.OpCount}, nil
}

// openDirectory opens a backup directory on a UFS: a URI as given, a path
// on the root UFS. It returns the store and the directory's location.
func (b *Backups) openDirectory(ctx context.Context, dir string) (ufs.Store, string, error) {
	if !strings.Contains(dir, "://") {
		if b.cfg.RootUFS == "" {
			return nil, "", fserr.New(fserr.FailedPrecondition, "no root UFS to hold backup directory %s; give a URI or use --local", dir)
		}
		dir = ufs.Join(b.cfg.RootUFS, dir)
	}
	store, err := b.cfg.UFS.Open(ctx, dir, b.cfg.UFSOptions)
	if err != nil {
		return nil, "", fserr.New(fserr.InvalidArgument, "backup directory %s: %v", dir, err)
	}
	return store, dir, nil
}

// Read reads a backup (or an archived checkpoint) from a local path or a
// UFS URI, with UFS options (credentials, endpoints) for one on S3 or
// HDFS, uncompressing it when it is gzipped.
func Read(ctx context.Context, registry *ufs.Registry, uri string, options map[string]string) ([]byte, error) {
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
