package alluxio

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/halo-fs/halo/internal/ports"
	"github.com/halo-fs/halo/internal/testinfra/proc"
)

// Cluster is n real Alluxio 2.9.3 masters on 127.0.0.1..n sharing an
// embedded journal (Ratis), with Alluxio's own election timeouts: the
// deployment a Halo Raft cluster replaces. Its masters run in the
// caller's namespace, so none can write a backup (see Master); they share
// free port numbers and differ by address.
type Cluster struct {
	Masters []*Master
}

// StartClusterIn starts n masters with their files under dir, conf adding
// to or overriding each one's configuration, and returns once one of them
// serves as primary.
func StartClusterIn(dir string, n int, conf map[string]string) (*Cluster, error) {
	p, err := Find()
	if err != nil {
		return nil, err
	}
	hosts := make([]string, n)
	for i := range hosts {
		hosts[i] = fmt.Sprintf("127.0.0.%d", i+1)
	}
	free, err := ports.FreeOnHosts(hosts, 3)
	if err != nil {
		return nil, fmt.Errorf("ports for the Alluxio masters: %w", err)
	}
	c := &Cluster{}
	var journals []string
	for i, host := range hosts {
		mdir := filepath.Join(dir, fmt.Sprintf("alluxio-master-%d", i+1))
		m := &Master{Host: host, RPCPort: free[0], WebPort: free[1], JournalPort: free[2], Dir: mdir,
			Journal: filepath.Join(mdir, "journal"), UFS: filepath.Join(dir, "ufs"), Backups: filepath.Join(mdir, "backups")}
		c.Masters = append(c.Masters, m)
		journals = append(journals, m.JournalAddress())
	}
	all := map[string]string{
		"alluxio.master.journal.type":               "EMBEDDED",
		"alluxio.master.embedded.journal.addresses": strings.Join(journals, ","),
		"alluxio.master.rpc.addresses":              strings.Join(c.Addresses(), ","),
	}
	maps.Copy(all, conf)
	for _, m := range c.Masters {
		if err := m.launch(p, all, proc.Local{}); err != nil {
			c.Stop()
			return nil, err
		}
	}
	if _, err := c.Primary(masterStartTimeout); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

// StartCluster is StartClusterIn for one test, stopped when it ends; the
// test fails if the cluster cannot be had.
func StartCluster(t testing.TB, n int, conf map[string]string) *Cluster {
	t.Helper()
	return proc.ForTest(t, fmt.Sprintf("%d real Alluxio %s masters", n, Version), func(dir string) (*Cluster, error) {
		return StartClusterIn(dir, n, conf)
	})
}

// Addresses are the masters' RPC addresses, host:port.
func (c *Cluster) Addresses() []string {
	out := make([]string, len(c.Masters))
	for i, m := range c.Masters {
		out[i] = net.JoinHostPort(m.Host, strconv.Itoa(m.RPCPort))
	}
	return out
}

// Primary polls the running masters until one serves clients, which only
// the primary does, or the timeout passes.
func (c *Cluster) Primary(timeout time.Duration) (*Master, error) {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		running := 0
		for _, m := range c.Masters {
			if m.process == nil || !m.process.Running() {
				continue
			}
			running++
			if last = m.servesClients(); last == nil {
				return m, nil
			}
		}
		if running == 0 {
			return nil, errors.New("no Alluxio master is running")
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil, fmt.Errorf("no Alluxio master served as primary within %v: %v\n%s", timeout, last, c.logTails())
}

// Restart starts a killed master again on its journal and returns once
// its embedded journal accepts connections, so that it counts towards a
// quorum again (it serves clients only if it becomes primary).
func (c *Cluster) Restart(m *Master) error {
	if err := m.process.Start(); err != nil {
		return err
	}
	return waitFor(m.process, masterStartTimeout, "the restarted master exited", "no journal port", func() error {
		conn, err := net.DialTimeout("tcp", m.JournalAddress(), time.Second)
		if err == nil {
			conn.Close()
		}
		return err
	})
}

func (c *Cluster) logTails() string {
	var b strings.Builder
	for _, m := range c.Masters {
		if m.process != nil {
			fmt.Fprintf(&b, "%s (%s):\n%s\n", m.Address(), m.Log(), m.process.LogTail(10))
		}
	}
	return b.String()
}

// Stop stops every master.
func (c *Cluster) Stop() {
	for _, m := range c.Masters {
		m.Stop()
	}
}
