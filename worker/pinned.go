package worker

import (
	"context"

	"github.com/halo-fs/halo/proto/alluxiopb"
)

// syncPinnedFiles hands the store the master's list of pinned files,
// whose blocks eviction then keeps. Only the leader answers (the list is
// a read of the namespace), so of the masters the worker asks, the
// leader's list is the one kept; a call that fails keeps the last one.
func (l *link) syncPinnedFiles(ctx context.Context) {
	conn, ctx, cancel, err := l.channelCall(ctx, l.w.cfg.CallTimeout)
	if err != nil {
		return
	}
	defer cancel()
	resp, err := alluxiopb.NewFileSystemMasterWorkerServiceClient(conn).GetPinnedFileIds(ctx, &alluxiopb.GetPinnedFileIdsPRequest{})
	if err != nil {
		l.log.Trace("no pinned file list from this master", "error", err)
		return
	}
	l.w.store.SetPinnedFiles(resp.GetPinnedFileIds())
}
