package master

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/proto/alluxiopb"
	"github.com/halo-fs/halo/proto/journalpb"
	"github.com/halo-fs/halo/ufs"
)

const (
	// persistPoll is how often the leader looks for files to persist.
	persistPoll = 500 * time.Millisecond
	// persistRetry is how long a file whose copy failed waits before
	// the next try.
	persistRetry = 10 * time.Second
)

// PersistWhenLeading copies the files written ASYNC_THROUGH to the UFS
// while this master leads, from the workers caching them, and marks each
// PERSISTED once its copy is published. The queue is the namespace's own
// (fsm.ToPersist), so a new leader carries on where the last one stopped;
// a file whose copy fails stays queued and is tried again.
func (m *Master) PersistWhenLeading(ctx context.Context) {
	ticker := time.NewTicker(persistPoll)
	defer ticker.Stop()
	failed := map[string]time.Time{} // path to when to try it again
	for {
		if leading, _ := m.Leading(); leading {
			failed = m.persistQueued(ctx, failed)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// persistQueued tries the queued files not waiting after a failure and
// returns when each file that failed is to be tried again.
func (m *Master) persistQueued(ctx context.Context, failed map[string]time.Time) map[string]time.Time {
	now := time.Now()
	next := map[string]time.Time{}
	for _, path := range m.fsm.ToPersist() {
		if retry, ok := failed[path]; ok && now.Before(retry) {
			next[path] = retry
			continue
		}
		if err := m.persist(ctx, path); err != nil {
			m.log.Warn("file not persisted yet; trying again later", "path", path, "retry_in", persistRetry, "error", err)
			next[path] = now.Add(persistRetry)
		}
	}
	return next
}

// persist copies one file to the UFS and marks it persisted.
func (m *Master) persist(ctx context.Context, path string) error {
	st, err := m.fsm.GetStatus(nil, path)
	if err != nil || st.PersistenceState != journalpb.PersistenceState_TO_BE_PERSISTED {
		return err
	}
	store, rel, err := m.ufsFileOf(ctx, st)
	if err != nil {
		return err
	}
	defer store.Close()
	out, err := store.Create(ctx, rel, ufs.CreateOptions{Overwrite: true, Mode: st.Mode})
	if err != nil {
		return err
	}
	defer out.Abort()
	for i, id := range st.BlockIds {
		if err := m.copyBlock(ctx, out, int64(id), fsm.BlockLength(st, i)); err != nil {
			return err
		}
	}
	if err := out.Close(); err != nil {
		return err
	}
	res, err := m.propose(ctx, &journalpb.Entry{TimeMs: time.Now().UnixMilli(), Payload: &journalpb.Entry_SetAttribute{SetAttribute: &journalpb.SetAttributeEntry{
		Path: path, HasPersisted: true, Persisted: true,
	}}})
	if err == nil {
		err = res.Error()
	}
	switch {
	case err == nil:
		m.log.Info("file persisted", "path", path, "ufs", st.UfsPath, "bytes", st.Length)
	case fserr.CodeOf(err) == fserr.NotFound:
		// Deleted while it was copied: the delete found no copy to
		// remove, so this one would outlive the file.
		if err := store.Delete(ctx, rel); err != nil && !errors.Is(err, ufs.ErrNotFound) {
			m.log.Warn("a file deleted while it was persisted left its UFS copy", "path", path, "ufs", st.UfsPath, "error", err)
		}
		return nil
	}
	return err
}

// ufsFileOf opens the UFS of the mount holding st and names st's path in it.
func (m *Master) ufsFileOf(ctx context.Context, st *journalpb.FileStatus) (ufs.Store, string, error) {
	mt, rel, err := m.ufsPlaceOf(st)
	if err != nil {
		return nil, "", err
	}
	store, err := m.cfg.UFS.Open(ctx, mt.UfsUri, m.ufsOptions(mt.Options))
	return store, rel, err
}

// ufsPlaceOf is the mount holding st and st's path in its UFS.
func (m *Master) ufsPlaceOf(st *journalpb.FileStatus) (*journalpb.MountRecord, string, error) {
	for _, mt := range m.fsm.MountTable() {
		if mt.MountId != st.MountId {
			continue
		}
		rel, ok := ufs.PathUnder(mt.UfsUri, st.UfsPath)
		if !ok {
			return nil, "", fserr.New(fserr.Internal, "%s's UFS path %s is not under its mount's %s", st.Path, st.UfsPath, mt.UfsUri)
		}
		return mt, rel, nil
	}
	return nil, "", fserr.New(fserr.NotFound, "%s: no mount has id %d", st.Path, st.MountId)
}

func (m *Master) copyBlock(ctx context.Context, out io.Writer, id, length int64) error {
	blk, ok := m.workers.Block(id)
	if !ok || len(blk.Locations) == 0 {
		return fserr.New(fserr.Unavailable, "block %d is held by no live worker", id)
	}
	var errs []error
	for _, l := range blk.Locations {
		addr := fmt.Sprintf("%s:%d", l.Address.Host, l.Address.RPCPort)
		err := m.copyBlockFrom(ctx, out, addr, id, length)
		if err == nil {
			return nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", addr, err))
		if errors.Is(err, errPartlyCopied) {
			break
		}
	}
	return errors.Join(errs...)
}

// errPartlyCopied: bytes of the block reached the UFS copy already, so no
// other worker may supply the rest; the whole file is copied again later.
var errPartlyCopied = errors.New("the block was partly copied")

func (m *Master) copyBlockFrom(ctx context.Context, out io.Writer, addr string, id, length int64) error {
	opts := append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, m.cfg.PeerDialOptions...)
	conn, err := grpc.NewClient(addr, opts...)
	if err != nil {
		return err
	}
	defer conn.Close()
	in, err := client.OpenBlock(ctx, alluxiopb.NewBlockWorkerClient(conn), &alluxiopb.ReadRequest{
		BlockId: proto.Int64(id), Offset: proto.Int64(0), Length: proto.Int64(length), ChunkSize: proto.Int64(1 << 20),
	})
	if err != nil {
		return err
	}
	defer in.Close()
	n, err := io.Copy(out, in)
	if err != nil && n > 0 {
		return fmt.Errorf("%w: %v", errPartlyCopied, err)
	}
	return err
}

// SchedulePersist queues a complete file that is not persisted for the
// persister, as Alluxio's ScheduleAsyncPersistence (`fs persist`) asks;
// a file already persisted or queued is left as it is.
func (m *Master) SchedulePersist(ctx context.Context, id *OpID, path string) error {
	if err := checkPaths("path", path); err != nil {
		return err
	}
	_, err := m.proposeFor(ctx, id, &journalpb.Entry{Payload: &journalpb.Entry_SetAttribute{SetAttribute: &journalpb.SetAttributeEntry{
		Path: path, ToBePersisted: true,
	}}})
	return err
}
