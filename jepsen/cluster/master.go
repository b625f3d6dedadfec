package cluster

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/halo-fs/halo/internal/testcluster"
	"github.com/halo-fs/halo/proto/halopb"
	"github.com/halo-fs/halo/server"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// Default ports: every master has its own address, so all use Alluxio's.
const (
	RPCPort  = 19998
	WebPort  = 19999
	RaftPort = 19200
)

// Master is one master process running in its host's namespace.
type Master struct {
	*Process
	Binary string
	Dir    string // conf/, master.log; journal/ and ufs/ in Raft mode
	Props  map[string]string
}

// newMaster prepares (does not start) a master on h with its folder dir.
func newMaster(h *Host, binary, dir string) *Master {
	m := &Master{Binary: binary, Dir: dir}
	m.Process = &Process{Host: h, LogPath: filepath.Join(dir, "master.log")}
	m.argv = []string{binary, "--conf", m.confDir(), "master"}
	m.prepare = m.WriteConf
	return m
}

// RPCAddress is ip:19998.
func (m *Master) RPCAddress() string { return net.JoinHostPort(m.Host.IP, strconv.Itoa(RPCPort)) }

// RaftAddress is ip:19200.
func (m *Master) RaftAddress() string { return net.JoinHostPort(m.Host.IP, strconv.Itoa(RaftPort)) }

// WebAddress is ip:19999.
func (m *Master) WebAddress() string { return net.JoinHostPort(m.Host.IP, strconv.Itoa(WebPort)) }

func (m *Master) confDir() string { return filepath.Join(m.Dir, "conf") }

// WriteConf writes alluxio-site.properties from Props.
func (m *Master) WriteConf() error {
	if err := os.MkdirAll(m.confDir(), 0o755); err != nil {
		return err
	}
	keys := make([]string, 0, len(m.Props))
	for k := range m.Props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s\n", k, m.Props[k])
	}
	return os.WriteFile(filepath.Join(m.confDir(), "alluxio-site.properties"), []byte(b.String()), 0o644)
}

// Format runs `halo format` for this master (in its namespace, as the
// master itself would).
func (m *Master) Format() error {
	if err := m.WriteConf(); err != nil {
		return err
	}
	cmd := m.Host.Command(m.Binary, "--conf", m.confDir(), "format")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("halo format on %s: %v\n%s", m.Name(), err, out)
	}
	return nil
}

// Info asks the master for its MasterInfo, whatever its role.
func (m *Master) Info(ctx context.Context) (*halopb.MasterInfo, error) {
	conn, err := grpc.NewClient(m.RPCAddress(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	return halopb.NewMasterServiceClient(conn).GetMasterInfo(ctx, &halopb.Empty{})
}

// WaitHealth polls the web port's path (/health/live, /health/ready) until
// it answers 200, the process exits, or ctx ends.
func (m *Master) WaitHealth(ctx context.Context, path string) error {
	url := "http://" + m.WebAddress() + path
	exited := m.Exited()
	hc := &http.Client{Timeout: time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := hc.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-exited:
			return fmt.Errorf("master %s exited; log:\n%s", m.Name(), m.LogTail(30))
		case <-ctx.Done():
			return fmt.Errorf("master %s: %s not OK: %w; log:\n%s", m.Name(), path, ctx.Err(), m.LogTail(30))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Digest asks the master's web port for its checkpoint digest: its
// applied index and a hash of the checkpoint its namespace would make.
func (m *Master) Digest(ctx context.Context) (server.CheckpointDigest, error) {
	d, err := testcluster.Digest(ctx, m.WebAddress())
	if err != nil {
		return d, fmt.Errorf("%s: %w", m.Name(), err)
	}
	return d, nil
}
