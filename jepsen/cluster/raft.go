package cluster

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// raftDeployment is n masters replicating through the embedded Raft log;
// they depend on nothing else.
type raftDeployment struct{ deployment }

func newRaft(cfg Config) (*raftDeployment, error) {
	nw, err := NewNetwork(cfg.Masters, 0)
	if err != nil {
		return nil, err
	}
	d := &raftDeployment{deployment{net: nw}}
	err = d.addMasters(cfg, func(m *Master) map[string]string {
		var raftAddrs []string
		for _, o := range d.masters {
			raftAddrs = append(raftAddrs, o.RaftAddress())
		}
		return map[string]string{
			"alluxio.master.embedded.journal.port":      strconv.Itoa(RaftPort),
			"alluxio.master.journal.type":               "EMBEDDED",
			"alluxio.master.journal.folder":             filepath.Join(m.Dir, "journal"),
			"alluxio.master.mount.table.root.ufs":       filepath.Join(m.Dir, "ufs"),
			"alluxio.master.embedded.journal.addresses": strings.Join(raftAddrs, ","),
		}
	})
	if err != nil {
		d.Close()
		return nil, err
	}
	for _, m := range d.masters {
		if err := m.Format(); err != nil {
			d.Close()
			return nil, err
		}
	}
	if err := d.startMasters(); err != nil {
		d.Close()
		return nil, fmt.Errorf("start raft masters: %w", err)
	}
	return d, nil
}

func (d *raftDeployment) Mode() Mode { return ModeRaft }
