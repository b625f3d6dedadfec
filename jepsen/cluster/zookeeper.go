package cluster

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ZooKeeper's ports; every server has its own address, so all use the
// defaults.
const (
	ZooKeeperClientPort   = 2181
	ZooKeeperPeerPort     = 2888
	ZooKeeperElectionPort = 3888
)

// ZooKeeperSessionTimeout is what the masters ask for: short, so that a
// fault held for a few seconds outlasts it and a standby takes over.
const ZooKeeperSessionTimeout = 3 * time.Second

// The Debian zookeeper package's jars (scripts/zookeeper.sh installs it).
var zooKeeperClasspath = []string{"/usr/share/java/zookeeper.jar", "/usr/share/java/slf4j-simple.jar"}

// ZooKeeperServer is one server of the ensemble, in a namespace of its own.
type ZooKeeperServer struct {
	*Process
	ID  int
	Dir string // zoo.cfg, data/, server.log
}

// ClientAddress is ip:2181.
func (z *ZooKeeperServer) ClientAddress() string {
	return net.JoinHostPort(z.Host.IP, strconv.Itoa(ZooKeeperClientPort))
}

// Mode asks the server for its role with the srvr four-letter command:
// "leader", "follower" or "standalone". A server that is not part of a
// quorum answers without a mode, which is an error here.
func (z *ZooKeeperServer) Mode(ctx context.Context) (string, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", z.ClientAddress())
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	if _, err := conn.Write([]byte("srvr")); err != nil {
		return "", err
	}
	sc := bufio.NewScanner(conn)
	for sc.Scan() {
		if mode, ok := strings.CutPrefix(sc.Text(), "Mode: "); ok {
			return strings.TrimSpace(mode), nil
		}
	}
	return "", fmt.Errorf("ZooKeeper server %s is not serving (no mode in its srvr answer)", z.Name())
}

// ZooKeeperEnsemble is a deployment with a ZooKeeper ensemble: the faults
// that act on ZooKeeper alone need it.
type ZooKeeperEnsemble interface {
	ZooKeeper() []*ZooKeeperServer
}

// ZooKeeperLeader returns the server that reports itself leader, or nil.
func ZooKeeperLeader(ctx context.Context, servers []*ZooKeeperServer) *ZooKeeperServer {
	for _, z := range servers {
		if !z.Running() || z.Paused() {
			continue
		}
		ctx, cancel := context.WithTimeout(ctx, time.Second)
		mode, err := z.Mode(ctx)
		cancel()
		if err == nil && mode == "leader" {
			return z
		}
	}
	return nil
}

// zooKeeperDeployment is masters in --ha=zookeeper mode electing through a
// ZooKeeper ensemble and sharing one journal folder. The folder is on the
// machine's file system, which every namespace sees: an NFS mount that
// stays reachable while ZooKeeper does not, the case where only the
// journal's fencing can stop a deposed leader.
type zooKeeperDeployment struct {
	deployment
	zookeepers []*ZooKeeperServer
}

func newZooKeeper(cfg Config) (*zooKeeperDeployment, error) {
	for _, jar := range zooKeeperClasspath {
		if _, err := os.Stat(jar); err != nil {
			return nil, fmt.Errorf("ZooKeeper is not installed (scripts/zookeeper.sh install): %w", err)
		}
	}
	servers := cfg.ZooKeepers
	if servers == 0 {
		servers = 3
	}
	nw, err := NewNetwork(cfg.Masters, servers)
	if err != nil {
		return nil, err
	}
	shared := filepath.Join(cfg.Dir, "shared")
	d := &zooKeeperDeployment{deployment: deployment{net: nw, folders: map[string]string{"shared": shared}}}
	if err := d.startEnsemble(cfg.Dir); err != nil {
		d.Close()
		return nil, err
	}
	for _, sub := range []string{"journal", "ufs"} {
		if err := os.MkdirAll(filepath.Join(shared, sub), 0o755); err != nil {
			d.Close()
			return nil, err
		}
	}
	var zkAddrs []string
	for _, z := range d.zookeepers {
		zkAddrs = append(zkAddrs, z.ClientAddress())
	}
	err = d.addMasters(cfg, func(*Master) map[string]string {
		return map[string]string{
			"alluxio.master.journal.type":              "UFS",
			"alluxio.master.journal.folder":            filepath.Join(shared, "journal"),
			"alluxio.master.journal.tailer.sleep.time": "50ms",
			"alluxio.master.mount.table.root.ufs":      filepath.Join(shared, "ufs"),
			"alluxio.zookeeper.enabled":                "true",
			"alluxio.zookeeper.address":                strings.Join(zkAddrs, ","),
			"alluxio.zookeeper.session.timeout":        ZooKeeperSessionTimeout.String(),
			"alluxio.zookeeper.connection.timeout":     "2s",
		}
	})
	if err != nil {
		d.Close()
		return nil, err
	}
	// `halo format` initialises the shared folder once, for every master.
	if err := d.masters[0].Format(); err != nil {
		d.Close()
		return nil, err
	}
	if err := d.startMasters(); err != nil {
		d.Close()
		return nil, fmt.Errorf("start zookeeper-mode masters: %w", err)
	}
	return d, nil
}

// startEnsemble writes each server's zoo.cfg, starts them and waits until
// every one serves as part of the quorum.
func (d *zooKeeperDeployment) startEnsemble(dir string) error {
	hosts := d.net.ZooKeepers()
	for i, h := range hosts {
		z := &ZooKeeperServer{ID: i + 1, Dir: filepath.Join(dir, h.Name)}
		if err := os.MkdirAll(filepath.Join(z.Dir, "data"), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(z.Dir, "data", "myid"), []byte(strconv.Itoa(z.ID)+"\n"), 0o644); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(z.Dir, "zoo.cfg"), []byte(zooCfg(z.Dir, h, hosts)), 0o644); err != nil {
			return err
		}
		z.Process = &Process{Host: h, LogPath: filepath.Join(z.Dir, "server.log"), argv: []string{
			// A small JVM: three servers share two cores with the masters.
			"java", "-Xms32m", "-Xmx256m", "-XX:+UseSerialGC", "-Dzookeeper.jmx.log4j.disable=true",
			"-Dorg.slf4j.simpleLogger.showDateTime=true", "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
			"-cp", strings.Join(zooKeeperClasspath, ":"),
			"org.apache.zookeeper.server.quorum.QuorumPeerMain", filepath.Join(z.Dir, "zoo.cfg"),
		}}
		d.zookeepers = append(d.zookeepers, z)
		d.support = append(d.support, z.Process)
		d.folders[filepath.Join("zookeeper", h.Name)] = z.Dir
	}
	for _, z := range d.zookeepers {
		if err := z.Start(); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	return WaitZooKeeper(ctx, d.zookeepers)
}

// zooCfg is a server's configuration. A 500 ms tick lets masters ask for
// sessions from 1 s; the harness's masters use 3 s.
func zooCfg(dir string, self *Host, hosts []*Host) string {
	var b strings.Builder
	fmt.Fprintf(&b, "tickTime=500\ninitLimit=40\nsyncLimit=10\n")
	fmt.Fprintf(&b, "dataDir=%s\n", filepath.Join(dir, "data"))
	fmt.Fprintf(&b, "clientPortAddress=%s\nclientPort=%d\n", self.IP, ZooKeeperClientPort)
	fmt.Fprintf(&b, "minSessionTimeout=1000\nmaxSessionTimeout=180000\nmaxClientCnxns=0\n")
	fmt.Fprintf(&b, "4lw.commands.whitelist=ruok,srvr,stat,mntr,cons\nadmin.enableServer=false\n")
	fmt.Fprintf(&b, "standaloneEnabled=%v\n", len(hosts) == 1)
	if len(hosts) > 1 {
		for i, h := range hosts {
			fmt.Fprintf(&b, "server.%d=%s:%d:%d\n", i+1, h.IP, ZooKeeperPeerPort, ZooKeeperElectionPort)
		}
	}
	return b.String()
}

// WaitZooKeeper polls until every server is running and serves as part of
// a quorum, or ctx ends.
func WaitZooKeeper(ctx context.Context, servers []*ZooKeeperServer) error {
	for _, z := range servers {
		for {
			mctx, cancel := context.WithTimeout(ctx, time.Second)
			_, err := z.Mode(mctx)
			cancel()
			if err == nil {
				break
			}
			if !z.Running() {
				return fmt.Errorf("ZooKeeper server %s exited; log:\n%s", z.Name(), z.LogTail(30))
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("ZooKeeper server %s is not serving: %v (%w); log:\n%s", z.Name(), err, ctx.Err(), z.LogTail(30))
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	return nil
}

func (d *zooKeeperDeployment) Mode() Mode                    { return ModeZooKeeper }
func (d *zooKeeperDeployment) ZooKeeper() []*ZooKeeperServer { return d.zookeepers }

// EnsembleOf returns d's ZooKeeper servers, or an error in Raft mode.
func EnsembleOf(d Deployment) ([]*ZooKeeperServer, error) {
	if e, ok := d.(ZooKeeperEnsemble); ok {
		return e.ZooKeeper(), nil
	}
	return nil, fmt.Errorf("%s mode has no ZooKeeper ensemble", d.Mode())
}
