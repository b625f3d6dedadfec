package raft

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/halo-fs/halo/journal"
	"github.com/halo-fs/halo/proto/halopb"
	"github.com/halo-fs/halo/proto/journalpb"
)

// clusterIDFile holds, beside the Raft state, the id of the cluster this
// journal belongs to, so that a master started on a folder from another
// cluster can tell before it disturbs anyone.
const clusterIDFile = "cluster-id"

// ErrForeignJournal is returned at start-up when the journal folder belongs
// to another cluster than the running quorum.
var ErrForeignJournal = errors.New("journal folder belongs to another cluster")

func newClusterID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

func (r *Replicator) readClusterIDFile() string {
	b, err := os.ReadFile(filepath.Join(r.opts.Dir, clusterIDFile))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// checkClusterID refuses to start on a journal that names another cluster
// than a reachable peer serves.
func (r *Replicator) checkClusterID() error {
	mine := r.readClusterIDFile()
	if mine == "" {
		return nil
	}
	return r.eachPeer(func(rpc string, info *halopb.MasterInfo) error {
		if info.ClusterId != "" && info.ClusterId != mine {
			return fmt.Errorf("%w: %s holds cluster %s, but master %s serves cluster %s; run `halo format` on this master to join it",
				ErrForeignJournal, r.opts.Dir, mine, rpc, info.ClusterId)
		}
		return nil
	})
}

// eachPeer calls fn with the MasterInfo of every other master that answers
// within a second; masters that do not answer are passed over. It stops at
// fn's first error.
func (r *Replicator) eachPeer(fn func(rpc string, info *halopb.MasterInfo) error) error {
	for _, p := range r.opts.Peers {
		if p == r.opts.LocalAddress {
			continue
		}
		rpc := rpcAddressFor(p, r.opts.Peers, r.opts.RPCAddresses)
		if rpc == "" {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		info, err := peerInfo(ctx, rpc, r.opts.PeerDialOptions)
		cancel()
		if err != nil {
			continue
		}
		if err := fn(rpc, info); err != nil {
			return err
		}
	}
	return nil
}

// keepClusterID names a new cluster (the first leader proposes an id) and
// records the id beside the journal once it is applied. It runs until the
// id is on disk or the replicator stops.
func (r *Replicator) keepClusterID() {
	delay := 100 * time.Millisecond
	for {
		select {
		case <-r.stop:
			return
		case <-time.After(delay):
		}
		delay = min(delay*2, 2*time.Second)
		id := r.fsm.ClusterID()
		if id == "" {
			if r.serving.Load() {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				_, err := r.Propose(ctx, &journalpb.Entry{
					TimeMs:  time.Now().UnixMilli(),
					Payload: &journalpb.Entry_ClusterInfo{ClusterInfo: &journalpb.ClusterInfoEntry{ClusterId: newClusterID()}},
				})
				cancel()
				if err != nil {
					r.log.Warn("could not name the cluster yet", "error", err)
				}
			}
			continue
		}
		if r.readClusterIDFile() == id {
			return
		}
		if err := journal.WriteFileAtomic(r.opts.Dir, clusterIDFile, []byte(id+"\n")); err != nil {
			r.log.Error("could not record the cluster id", "error", err)
			continue
		}
		r.log.Info("cluster id recorded", "cluster_id", id)
		return
	}
}
