// Package cluster runs Halo masters as real processes for the failover
// tests: each master in its own network namespace with its own address on
// a bridge the package creates, so that faults can kill, pause, cut, slow
// and drop traffic between them with signals, iptables and tc. Clients run
// in the root namespace and reach the masters through the bridge.
//
// A Deployment is one HA mode. Raft mode is here; a ZooKeeper-mode
// deployment (ZooKeeper servers in namespaces of their own, masters
// electing through them and sharing a UFS journal) plugs in by
// implementing Deployment and adding a case to New.
package cluster

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// Mode names an HA mode.
type Mode string

const (
	ModeRaft      Mode = "raft"
	ModeZooKeeper Mode = "zookeeper"
)

// Config describes a deployment to start.
type Config struct {
	Mode    Mode
	Masters int
	Binary  string // bin/halo
	Dir     string // one subfolder per master
	// Props are extra properties for every master (halo.test.*, timeouts).
	Props map[string]string
}

// Deployment is a running set of masters in one HA mode.
type Deployment interface {
	Mode() Mode
	Masters() []*Master
	// Network is where the masters' namespaces live.
	Network() *Network
	// ClientAddresses are the RPC addresses clients are configured with
	// (alluxio.master.rpc.addresses).
	ClientAddresses() []string
	// Close kills every process and removes the network.
	Close()
}

// New starts a deployment and waits until it has a leader that serves. The
// deployment is closed when the test ends.
func New(t testing.TB, cfg Config) (Deployment, error) {
	var (
		d   Deployment
		err error
	)
	switch cfg.Mode {
	case ModeRaft:
		d, err = newRaft(cfg)
	case ModeZooKeeper:
		return nil, fmt.Errorf("the failover harness does not run ZooKeeper mode yet")
	default:
		return nil, fmt.Errorf("unknown HA mode %q", cfg.Mode)
	}
	if err != nil {
		return nil, err
	}
	t.Cleanup(d.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := WaitLeader(ctx, d); err != nil {
		return d, err
	}
	return d, nil
}

// Leader returns the one running, unpaused master that reports itself
// PRIMARY, or nil when there is none or more than one.
func Leader(ctx context.Context, d Deployment) *Master {
	var leaders []*Master
	for _, m := range d.Masters() {
		if !m.Running() || m.Paused() {
			continue
		}
		ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		info, err := m.Info(ctx)
		cancel()
		if err == nil && info.State == "PRIMARY" {
			leaders = append(leaders, m)
		}
	}
	if len(leaders) == 1 {
		return leaders[0]
	}
	return nil
}

// WaitLeader polls Leader until there is one or ctx ends.
func WaitLeader(ctx context.Context, d Deployment) (*Master, error) {
	for {
		if l := Leader(ctx, d); l != nil {
			return l, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("no single leader: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// LeaderOrRandom returns the leader, waiting up to wait for one, else a
// random running master (and false).
func LeaderOrRandom(ctx context.Context, d Deployment, wait time.Duration) (*Master, bool) {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	if l, err := WaitLeader(ctx, d); err == nil {
		return l, true
	}
	ms := d.Masters()
	return ms[rand.IntN(len(ms))], false
}

// Others returns every master but m.
func Others(d Deployment, m *Master) []*Master {
	var out []*Master
	for _, o := range d.Masters() {
		if o != m {
			out = append(out, o)
		}
	}
	return out
}

// Hosts returns the masters' hosts.
func Hosts(ms []*Master) []*Host {
	out := make([]*Host, len(ms))
	for i, m := range ms {
		out[i] = m.Host
	}
	return out
}
