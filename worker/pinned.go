package worker

import (
	"context"
	"slices"

	"github.com/halo-fs/halo/proto/alluxiopb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// syncPinnedFiles hands the store the master's list of pinned files,
// whose blocks eviction then keeps, and settles the files pinned on
// create since the last list: a listed one stays pinned through the list,
// one whose write is still under way stays pinned on create (the master
// lists a file waiting for its persister only once it is complete), any
// other is released. Only the leader answers (the list is a read of the
// namespace), so the worker asks the master that answered last, and
// every master only when that one fails; a call that fails keeps the
// last list.
func (l *link) syncPinnedFiles(ctx context.Context) {
	if !l.w.asksPinnedFilesOf(l.addr) {
		return
	}
	conn, ctx, cancel, err := l.channelCall(ctx, l.w.cfg.CallTimeout)
	if err != nil {
		l.w.pinnedFilesUnanswered(l.addr)
		return
	}
	defer cancel()
	refresh := l.w.store.StartPinnedRefresh()
	svc := alluxiopb.NewFileSystemMasterWorkerServiceClient(conn)
	resp, err := svc.GetPinnedFileIds(ctx, &alluxiopb.GetPinnedFileIdsPRequest{})
	if err != nil {
		l.log.Trace("no pinned file list from this master", "error", err)
		l.w.pinnedFilesUnanswered(l.addr)
		return
	}
	l.w.pinnedFilesAnswered(l.addr)
	listed := resp.GetPinnedFileIds()
	var keep []int64
	for _, id := range l.w.store.PinnedOnCreate(refresh) {
		if !slices.Contains(listed, id) && stillBeingWritten(ctx, svc, id) {
			keep = append(keep, id)
		}
	}
	l.w.store.RefreshPinnedFiles(refresh, listed, keep)
}

// stillBeingWritten tells whether the file a block was pinned on create
// for may still need its blocks kept: it is not complete yet, or waits
// for the persister, or the master could not say. A file that is gone
// needs nothing kept.
func stillBeingWritten(ctx context.Context, svc alluxiopb.FileSystemMasterWorkerServiceClient, fileID int64) bool {
	resp, err := svc.GetFileInfo(ctx, &alluxiopb.GetFileInfoPRequest{FileId: &fileID})
	if status.Code(err) == codes.NotFound {
		return false
	}
	if err != nil {
		return true
	}
	info := resp.GetFileInfo()
	return !info.GetCompleted() || info.GetPersistenceState() == "TO_BE_PERSISTED"
}

// asksPinnedFilesOf says whether the master at addr is to be asked for
// the pinned files: the one that answered last, or any when none is.
func (w *Worker) asksPinnedFilesOf(addr string) bool {
	w.pinnedMu.Lock()
	defer w.pinnedMu.Unlock()
	return w.pinnedFrom == "" || w.pinnedFrom == addr
}

// pinnedFilesSource is the master that answered the pinned files last:
// the leader, as far as the worker knows; "" when none is.
func (w *Worker) pinnedFilesSource() string {
	w.pinnedMu.Lock()
	defer w.pinnedMu.Unlock()
	return w.pinnedFrom
}

func (w *Worker) pinnedFilesAnswered(addr string) {
	w.pinnedMu.Lock()
	defer w.pinnedMu.Unlock()
	w.pinnedFrom = addr
}

// pinnedFilesUnanswered notes that the master at addr did not answer (a
// heartbeat or the list itself failed): if it was the one asked, every
// master is asked again.
func (w *Worker) pinnedFilesUnanswered(addr string) {
	w.pinnedMu.Lock()
	defer w.pinnedMu.Unlock()
	if w.pinnedFrom == addr {
		w.pinnedFrom = ""
	}
}
