package fsm

import (
	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/proto/journalpb"
)

// ResetAppliedIndex sets the applied journal index. It exists for one
// case: importing a backup into an empty journal, whose first entry will
// have index index+1 whatever index the backed-up namespace had reached.
func (f *FSM) ResetAppliedIndex(index uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.applied = index
}

// ClusterID is the cluster's id, "" until a ClusterInfo entry is applied.
func (f *FSM) ClusterID() string {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.clusterID
}

// ResetClusterID forgets the cluster id, so that a namespace imported into
// a new cluster gets that cluster's own id.
func (f *FSM) ResetClusterID() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.clusterID = ""
}

// applyClusterInfo records the first cluster id; later ones change nothing,
// so two leaders that each proposed one agree on the one applied first.
func applyClusterInfo(f *FSM, e *journalpb.Entry) (uint64, error) {
	id := e.GetClusterInfo().GetClusterId()
	if id == "" {
		return 0, fserr.New(fserr.InvalidArgument, "cluster info entry without a cluster id")
	}
	if f.clusterID == "" {
		f.clusterID = id
	}
	return 0, nil
}
