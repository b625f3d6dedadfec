package boot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	"github.com/halo-fs/halo/conf"
	"github.com/halo-fs/halo/journal"
)

// Formatted says which journal FormatJournal wiped.
type Formatted struct {
	// Location is the journal's folder, or the shared journal's URI.
	Location string
	// Shared is true for ZooKeeper mode's journal on a UFS.
	Shared bool
}

// FormatJournal wipes and initialises this master's journal for cfg.HA:
// the local journal, an empty embedded (Raft) journal that Raft
// bootstraps at first start, or the shared journal of ZooKeeper mode.
func FormatJournal(ctx context.Context, cfg *conf.Config) (Formatted, error) {
	if cfg.HA == conf.HAZooKeeper {
		uri, err := formatZooKeeperJournal(ctx, cfg)
		return Formatted{Location: uri, Shared: true}, err
	}
	folder, err := localJournalFolder(cfg.JournalFolder)
	if err != nil {
		return Formatted{}, err
	}
	if cfg.HA == conf.HARaft {
		if err := os.RemoveAll(raftDir(folder)); err != nil {
			return Formatted{}, err
		}
		if err := os.MkdirAll(raftDir(folder), 0o755); err != nil {
			return Formatted{}, err
		}
	} else if err := journal.Format(folder, newClusterID()); err != nil {
		return Formatted{}, err
	}
	return Formatted{Location: folder}, nil
}

// MakeRootUFSFolder creates the root UFS folder when it is a local path, as
// Alluxio's format creates underFSStorage.
func MakeRootUFSFolder(cfg *conf.Config) error {
	root := strings.TrimPrefix(cfg.MountTableRootUFS, "file://")
	if root == "" || strings.Contains(root, "://") {
		return nil
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return fmt.Errorf("create root UFS folder: %w", err)
	}
	return nil
}

func newClusterID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
