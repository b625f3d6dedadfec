package cluster

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// raftDeployment is n masters replicating through the embedded Raft log.
type raftDeployment struct {
	net       *Network
	masters   []*Master
	closeOnce sync.Once
}

func newRaft(cfg Config) (*raftDeployment, error) {
	nw, err := NewNetwork(cfg.Masters, 0)
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
		m := newMaster(h, cfg.Binary, dir)
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
	if err := startMasters(d.masters); err != nil {
		d.Close()
		return nil, fmt.Errorf("start raft masters: %w", err)
	}
	return d, nil
}

func (d *raftDeployment) Mode() Mode         { return ModeRaft }
func (d *raftDeployment) Masters() []*Master { return d.masters }
func (d *raftDeployment) Network() *Network  { return d.net }

// Hosts are the masters': Raft masters depend on nothing else.
func (d *raftDeployment) Hosts() []*Host { return d.net.Hosts }

func (d *raftDeployment) Support() []*Process { return nil }

func (d *raftDeployment) ClientAddresses() []string { return rpcAddresses(d.masters) }

func (d *raftDeployment) Folders() map[string]string { return masterFolders(d.masters) }

func (d *raftDeployment) Close() {
	d.closeOnce.Do(func() {
		for _, m := range d.masters {
			m.Kill()
		}
		d.net.Close()
	})
}
