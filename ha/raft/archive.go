package raft

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/ufs"
	"github.com/hashicorp/go-hclog"
)

// CheckpointArchive keeps copies of checkpoints in a folder on the shared
// UFS, so that a master whose disk was wiped, or a whole new cluster, can
// start from the newest good one. Each copy is created atomically (it is
// visible whole or not at all) and carries the FSM checkpoint's own header
// and checksum, so a damaged copy is recognised and skipped.
type CheckpointArchive struct {
	Store  ufs.Store
	Retain int
	Log    hclog.Logger
}

const (
	archivePrefix = "checkpoint-"
	archiveSuffix = ".ckpt"
)

func archiveName(index uint64) string {
	return fmt.Sprintf("%s%016x%s", archivePrefix, index, archiveSuffix)
}

func parseArchiveName(name string) (uint64, bool) {
	if !strings.HasPrefix(name, archivePrefix) || !strings.HasSuffix(name, archiveSuffix) {
		return 0, false
	}
	hex := strings.TrimSuffix(strings.TrimPrefix(name, archivePrefix), archiveSuffix)
	v, err := strconv.ParseUint(hex, 16, 64)
	return v, err == nil && len(hex) == 16
}

// Write stores data as the checkpoint at index and prunes old copies.
func (a *CheckpointArchive) Write(ctx context.Context, index uint64, data io.WriterTo) (string, error) {
	name := archiveName(index)
	if err := ufs.WriteFileFrom(ctx, a.Store, name, data, ufs.CreateOptions{Overwrite: true}); err != nil {
		return "", fmt.Errorf("write checkpoint %s to %s: %w", name, a.Store.URI(), err)
	}
	a.prune(ctx)
	return ufs.Join(a.Store.URI(), name), nil
}

// indexes lists the archived checkpoints, newest first.
func (a *CheckpointArchive) indexes(ctx context.Context) ([]uint64, error) {
	list, err := a.Store.List(ctx, "/")
	if err != nil {
		return nil, err
	}
	var out []uint64
	for _, st := range list {
		if idx, ok := parseArchiveName(st.Name); ok && !st.IsDir {
			out = append(out, idx)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] > out[j] })
	return out, nil
}

func (a *CheckpointArchive) prune(ctx context.Context) {
	retain := a.Retain
	if retain <= 0 {
		retain = 3
	}
	idx, err := a.indexes(ctx)
	if err != nil {
		return
	}
	for _, old := range idx[min(retain, len(idx)):] {
		if err := a.Store.Delete(ctx, archiveName(old)); err != nil && a.Log != nil {
			a.Log.Warn("could not remove an old archived checkpoint", "name", archiveName(old), "error", err)
		}
	}
}

// RestoreNewest restores the newest archived checkpoint that reads back
// whole into f, trying older ones when one is damaged. It returns the
// checkpoint's location, or "" when the archive holds none.
func (a *CheckpointArchive) RestoreNewest(ctx context.Context, f *fsm.FSM) (string, []byte, error) {
	idx, err := a.indexes(ctx)
	if err != nil {
		return "", nil, fmt.Errorf("list checkpoints in %s: %w", a.Store.URI(), err)
	}
	for _, i := range idx {
		name := archiveName(i)
		data, err := ufs.ReadFile(ctx, a.Store, name)
		if err == nil {
			_, err = f.Restore(bytes.NewReader(data))
		}
		if err != nil {
			if a.Log != nil {
				a.Log.Error("archived checkpoint is unusable, trying an older one", "name", name, "error", err)
			}
			continue
		}
		return ufs.Join(a.Store.URI(), name), data, nil
	}
	return "", nil, nil
}
