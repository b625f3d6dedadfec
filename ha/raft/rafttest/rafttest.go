// Package rafttest starts clusters of embedded-Raft replicators inside the
// test process, for the master's tests that need replicas to agree.
package rafttest

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/halo-fs/halo/fsm"
	"github.com/halo-fs/halo/ha"
	"github.com/halo-fs/halo/ha/hatest"
	"github.com/halo-fs/halo/ha/raft"
)

// Node is one in-process replicator with its own namespace.
type Node struct {
	R *raft.Replicator
	F *fsm.FSM
}

// StartCluster starts n replicators on 127.0.0.1 with free ports. Nothing
// listens on their RPC addresses; those only feed leader hints.
func StartCluster(t *testing.T, n int) []*Node {
	t.Helper()
	addrs := hatest.FreeAddrs(t, 2*n)
	peers, rpcs := addrs[:n], addrs[n:]
	nodes := make([]*Node, n)
	for i := range nodes {
		f := fsm.New(fsm.DefaultConfig())
		r, err := raft.New(raft.Options{
			Dir:          filepath.Join(t.TempDir(), fmt.Sprintf("m%d", i+1)),
			LocalAddress: peers[i],
			Peers:        peers,
			RPCAddresses: rpcs,
			FSM:          f,
			Logger:       hatest.Logger(t, peers[i]),
			// A 1.2 s heartbeat timeout, so that a loaded machine running
			// -race does not depose leaders in the middle of a test.
			Timing:       raft.DefaultTiming().Scaled(6),
			ApplyTimeout: 20 * time.Second,
		})
		if err != nil {
			t.Fatalf("start the Raft replicator %s: %v", peers[i], err)
		}
		t.Cleanup(func() { r.Close() })
		nodes[i] = &Node{R: r, F: f}
	}
	return nodes
}

// AwaitServingLeader waits until exactly one node serves and the cluster
// has been named, and returns the leader.
func AwaitServingLeader(t *testing.T, nodes []*Node) int {
	t.Helper()
	var members []ha.Replicator
	var fsms []*fsm.FSM
	for _, n := range nodes {
		members, fsms = append(members, n.R), append(fsms, n.F)
	}
	return hatest.AwaitNamedLeader(t, members, fsms)
}
