package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// raftDeployment is n masters replicating through the embedded Raft log.
type raftDeployment struct {
	net       *Network
	masters   []*Master
	closeOnce sync.Once
}

func newRaft(cfg Config) (*raftDeployment, error) {
	nw, err := NewNetwork(cfg.Masters)
	if err != nil {
		return nil, err
	}
	d := &raftDeployment{net: nw}
	var raftAddrs, rpcAddrs []string
	for _, h := range nw.Hosts {
		dir := filepath.Join(cfg.Dir, h.Name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			d.Close()
			return nil, err
		}
		m := &Master{Host: h, Binary: cfg.Binary, Dir: dir, LogPath: filepath.Join(dir, "master.log")}
		d.masters = append(d.masters, m)
		raftAddrs = append(raftAddrs, m.RaftAddress())
		rpcAddrs = append(rpcAddrs, m.RPCAddress())
	}
	for _, m := range d.masters {
		m.Props = map[string]string{
			"alluxio.master.hostname":                   m.Host.IP,
			"alluxio.master.rpc.port":                   strconv.Itoa(RPCPort),
			"alluxio.master.web.port":                   strconv.Itoa(WebPort),
			"alluxio.master.embedded.journal.port":      strconv.Itoa(RaftPort),
			"alluxio.master.journal.type":               "EMBEDDED",
			"alluxio.master.journal.folder":             filepath.Join(m.Dir, "journal"),
			"alluxio.master.mount.table.root.ufs":       filepath.Join(m.Dir, "ufs"),
			"alluxio.work.dir":                          m.Dir,
			"alluxio.master.embedded.journal.addresses": strings.Join(raftAddrs, ","),
			"alluxio.master.rpc.addresses":              strings.Join(rpcAddrs, ","),
		}
		for k, v := range cfg.Props {
			m.Props[k] = v
		}
		if err := m.Format(); err != nil {
			d.Close()
			return nil, err
		}
	}
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
	if err := errors.Join(errs...); err != nil {
		d.Close()
		return nil, fmt.Errorf("start raft masters: %w", err)
	}
	return d, nil
}

func (d *raftDeployment) Mode() Mode         { return ModeRaft }
func (d *raftDeployment) Masters() []*Master { return d.masters }
func (d *raftDeployment) Network() *Network  { return d.net }

func (d *raftDeployment) ClientAddresses() []string {
	out := make([]string, len(d.masters))
	for i, m := range d.masters {
		out[i] = m.RPCAddress()
	}
	return out
}

func (d *raftDeployment) Close() {
	d.closeOnce.Do(func() {
		for _, m := range d.masters {
			m.Kill()
		}
		d.net.Close()
	})
}
