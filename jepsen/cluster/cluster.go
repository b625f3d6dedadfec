// Package cluster runs Halo masters as real processes for the failover
// tests: each master in its own network namespace with its own address on
// a bridge the package creates, so that faults can kill, pause, cut, slow
// and drop traffic between them with signals, iptables and tc. Clients run
// in the root namespace and reach the masters through the bridge.
//
// A Deployment is one HA mode: Raft masters alone, or ZooKeeper mode's
// masters electing through a ZooKeeper ensemble whose servers run in
// namespaces of their own, sharing one journal folder.
package cluster

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
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
	// ZooKeepers is the size of ZooKeeper mode's ensemble (default 3).
	ZooKeepers int
	Binary     string // bin/halo
	Dir        string // a subfolder per master and ZooKeeper server; ZooKeeper mode's shared/
	// Props are extra properties for every master (halo.test.*, timeouts).
	Props map[string]string
}

// Deployment is a running set of masters in one HA mode.
type Deployment interface {
	Mode() Mode
	Masters() []*Master
	// Network is where the servers' namespaces live.
	Network() *Network
	// Hosts are every host whose links faults cut: the masters', then
	// those of the services they depend on (ZooKeeper servers).
	Hosts() []*Host
	// Support are the processes of the services the masters depend on
	// (ZooKeeper servers), which a heal restarts; none in Raft mode.
	Support() []*Process
	// ClientAddresses are the RPC addresses clients are configured with
	// (alluxio.master.rpc.addresses).
	ClientAddresses() []string
	// Folders are what a failing run's report keeps, by name: every
	// master's folder, a ZooKeeper server's, the shared journal.
	Folders() map[string]string
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
		d, err = newZooKeeper(cfg)
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
func Others(d Deployment, m *Master) []*Master { return without(d.Masters(), m) }

// OtherHosts returns every host of d but h.
func OtherHosts(d Deployment, h *Host) []*Host { return without(d.Hosts(), h) }

func without[T comparable](all []T, x T) []T {
	var out []T
	for _, o := range all {
		if o != x {
			out = append(out, o)
		}
	}
	return out
}

// deployment is what both modes share: the network, the masters and the
// processes of the services they depend on.
type deployment struct {
	net     *Network
	masters []*Master
	support []*Process
	// folders are what a report keeps besides the masters' folders.
	folders   map[string]string
	closeOnce sync.Once
}

func (d *deployment) Masters() []*Master  { return d.masters }
func (d *deployment) Network() *Network   { return d.net }
func (d *deployment) Hosts() []*Host      { return d.net.Hosts }
func (d *deployment) Support() []*Process { return d.support }

func (d *deployment) ClientAddresses() []string {
	out := make([]string, len(d.masters))
	for i, m := range d.masters {
		out[i] = m.RPCAddress()
	}
	return out
}

func (d *deployment) Folders() map[string]string {
	out := map[string]string{}
	for _, m := range d.masters {
		out[filepath.Join("masters", m.Name())] = m.Dir
	}
	for k, v := range d.folders {
		out[k] = v
	}
	return out
}

// Close kills the masters, then what they depend on, and removes the
// network.
func (d *deployment) Close() {
	d.closeOnce.Do(func() {
		for _, m := range d.masters {
			m.Kill()
		}
		for _, p := range d.support {
			p.Kill()
		}
		d.net.Close()
	})
}

// addMasters prepares a master on each of the network's master hosts, in
// a folder of its own under cfg.Dir, configured with the properties every
// mode sets, then modeProps(m), then cfg.Props.
func (d *deployment) addMasters(cfg Config, modeProps func(m *Master) map[string]string) error {
	for _, h := range d.net.Masters() {
		dir := filepath.Join(cfg.Dir, h.Name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		d.masters = append(d.masters, newMaster(h, cfg.Binary, dir))
	}
	rpcAddrs := strings.Join(d.ClientAddresses(), ",")
	for _, m := range d.masters {
		m.Props = map[string]string{
			"alluxio.master.hostname":      m.Host.IP,
			"alluxio.master.rpc.port":      strconv.Itoa(RPCPort),
			"alluxio.master.web.port":      strconv.Itoa(WebPort),
			"alluxio.work.dir":             m.Dir,
			"alluxio.master.rpc.addresses": rpcAddrs,
		}
		maps.Copy(m.Props, modeProps(m))
		maps.Copy(m.Props, cfg.Props)
	}
	return nil
}

// startMasters starts every master and waits until each answers
// /health/live.
func (d *deployment) startMasters() error {
	var errs []error
	for _, m := range d.masters {
		if err := m.Start(); err != nil {
			errs = append(errs, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, m := range d.masters {
		if err := m.WaitHealth(ctx, "/health/live"); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
