package testcluster

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/halo-fs/halo/proto/halopb"
	"github.com/halo-fs/halo/server"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// Cluster is a set of masters that share one configuration.
type Cluster struct {
	t       testing.TB
	Masters []*Master
	Archive string // shared checkpoint archive folder
}

// NewRaftCluster prepares n masters in --ha=raft mode, master i on
// 127.0.0.(i+1) with free ports, a shared checkpoint archive folder, and
// formats them. Start them with StartAll.
func NewRaftCluster(t testing.TB, n int, extra map[string]string) *Cluster {
	t.Helper()
	c := &Cluster{t: t, Archive: filepath.Join(t.TempDir(), "archive")}
	var raftAddrs, rpcAddrs []string
	for i := 0; i < n; i++ {
		host := fmt.Sprintf("127.0.0.%d", i+1)
		m := NewMaster(t, fmt.Sprintf("m%d", i+1), host)
		m.RaftPort = FreePort(t, host)
		c.Masters = append(c.Masters, m)
		raftAddrs = append(raftAddrs, net.JoinHostPort(host, strconv.Itoa(m.RaftPort)))
		rpcAddrs = append(rpcAddrs, m.RPCAddress())
	}
	for _, m := range c.Masters {
		m.Props["alluxio.master.journal.type"] = "EMBEDDED"
		m.Props["alluxio.master.embedded.journal.port"] = strconv.Itoa(m.RaftPort)
		m.Props["alluxio.master.embedded.journal.addresses"] = strings.Join(raftAddrs, ",")
		m.Props["alluxio.master.rpc.addresses"] = strings.Join(rpcAddrs, ",")
		m.Props["halo.master.checkpoint.archive.folder"] = c.Archive
		// Raft's timeouts doubled: the suite runs two packages at once on
		// two cores, and a heartbeat stalled past 600 ms there starts an
		// election that tests which talk to a remembered leader, or
		// transfer leadership within one election timeout, did not ask
		// for. The failover benchmark sets "1" to measure the defaults.
		m.Props["halo.master.embedded.journal.timeout.multiplier"] = "2"
		for k, v := range extra {
			m.Props[k] = v
		}
		m.Format()
	}
	return c
}

// RPCAddresses lists every master's RPC address.
func (c *Cluster) RPCAddresses() []string {
	out := make([]string, len(c.Masters))
	for i, m := range c.Masters {
		out[i] = m.RPCAddress()
	}
	return out
}

// StartAll starts every master that is not running.
func (c *Cluster) StartAll() {
	for _, m := range c.Masters {
		if !m.Running() {
			m.Start()
		}
	}
}

// Info asks one master for its MasterInfo.
func (m *Master) Info(ctx context.Context) (*halopb.MasterInfo, error) {
	creds := insecure.NewCredentials()
	if cert := m.Props["halo.security.tls.cert.file"]; cert != "" {
		_, clientCfg, err := server.LoadTLS(server.TLSFiles{Cert: cert, Key: m.Props["halo.security.tls.key.file"], CA: m.Props["halo.security.tls.ca.file"]})
		if err != nil {
			return nil, err
		}
		creds = credentials.NewTLS(clientCfg)
	}
	conn, err := grpc.NewClient(m.RPCAddress(), grpc.WithTransportCredentials(creds))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	return halopb.NewMasterServiceClient(conn).GetMasterInfo(ctx, &halopb.Empty{})
}

// Leader polls until exactly one running master reports itself PRIMARY and
// returns it.
func (c *Cluster) Leader(timeout time.Duration) *Master {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		var leaders []*Master
		for _, m := range c.Masters {
			if !m.Running() {
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			info, err := m.Info(ctx)
			cancel()
			if err == nil && info.State == "PRIMARY" {
				leaders = append(leaders, m)
			}
		}
		if len(leaders) == 1 {
			return leaders[0]
		}
		time.Sleep(50 * time.Millisecond)
	}
	var logs strings.Builder
	for _, m := range c.Masters {
		fmt.Fprintf(&logs, "--- %s ---\n%s\n", m.Name, tail(m.Log(), 15))
	}
	c.t.Fatalf("no single leader within %s\n%s", timeout, logs.String())
	return nil
}

// WaitApplied polls until every running master has applied at least index.
func (c *Cluster) WaitApplied(index uint64, timeout time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		behind := ""
		for _, m := range c.Masters {
			if !m.Running() {
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			info, err := m.Info(ctx)
			cancel()
			if err != nil || info.AppliedIndex < index {
				behind = m.Name
				break
			}
		}
		if behind == "" {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.t.Fatalf("masters did not all apply index %d within %s", index, timeout)
}
