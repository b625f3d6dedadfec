package masterui

import (
	"context"
	"maps"
	"net"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/halo-fs/halo/conf"
	"github.com/halo-fs/halo/ha"
	"github.com/halo-fs/halo/ha/state"
	"github.com/halo-fs/halo/master/blockmaster"
)

// Info is /api/v1/master/info: who this master is and what it runs.
type Info struct {
	Hostname      string `json:"hostname"`
	RPCAddress    string `json:"rpcAddress"`
	WebPort       uint32 `json:"webPort"`
	Role          string `json:"role"`
	LeaderAddress string `json:"leaderAddress"`
	Version       string `json:"version"`
	StartTimeMs   int64  `json:"startTimeMs"`
	UptimeMs      int64  `json:"uptimeMs"`
	HAMode        string `json:"haMode"`
	JournalType   string `json:"journalType"`
	ClusterID     string `json:"clusterId"`
	AppliedIndex  uint64 `json:"appliedIndex"`
}

func (u *UI) info(*http.Request) (any, error) { return u.describe(), nil }

func (u *UI) describe() Info {
	i := u.cfg.Master.Info()
	return Info{
		Hostname: i.Hostname, RPCAddress: net.JoinHostPort(i.Hostname, strconv.Itoa(int(i.RpcPort))), WebPort: i.WebPort,
		Role: i.State, LeaderAddress: i.LeaderAddress, Version: i.Version,
		StartTimeMs: i.StartTimeMs, UptimeMs: i.UptimeMs, HAMode: i.HaMode, JournalType: i.JournalType,
		ClusterID: i.ClusterId, AppliedIndex: i.AppliedIndex,
	}
}

// Overview is the cluster summary of the Overview page
// (webui_overview).
type Overview struct {
	Info
	SafeMode         bool       `json:"safeMode"`
	LiveWorkers      int        `json:"liveWorkerNodes"`
	LostWorkers      int        `json:"lostWorkerNodes"`
	CapacityBytes    int64      `json:"capacityBytes"`
	UsedBytes        int64      `json:"usedBytes"`
	FreeBytes        int64      `json:"freeBytes"`
	Tiers            []TierInfo `json:"storageTierInfos"`
	Files            uint64     `json:"files"`
	Folders          uint64     `json:"folders"`
	ZooKeeper        []string   `json:"zookeeperAddresses,omitempty"`
	RaftAddresses    []string   `json:"raftAddresses,omitempty"`
	EntriesSinceCkpt uint64     `json:"entriesSinceCheckpoint"`
	LastCheckpointMs int64      `json:"lastCheckpointTimeMs"`
}

// TierInfo is one storage tier's capacity across the live workers.
type TierInfo struct {
	Alias         string `json:"storageTierAlias"`
	CapacityBytes int64  `json:"capacityBytes"`
	UsedBytes     int64  `json:"usedBytes"`
}

func (u *UI) overview(*http.Request) (any, error) {
	i := u.cfg.Master.Info()
	ns := u.cfg.Master.Namespace()
	summary := u.cfg.Master.Workers().Summary()
	inodes, dirs := ns.InodeCount(), ns.DirectoryCount()
	o := Overview{
		Info:        u.describe(),
		LiveWorkers: summary.Live, LostWorkers: summary.Lost,
		CapacityBytes: summary.Capacity, UsedBytes: summary.Used, FreeBytes: summary.Capacity - summary.Used,
		Files: inodes - min(dirs, inodes), Folders: dirs,
		ZooKeeper: i.ZookeeperAddresses, RaftAddresses: i.RaftAddresses,
		EntriesSinceCkpt: i.EntriesSinceCheckpoint, LastCheckpointMs: i.LastCheckpointTimeMs,
	}
	for _, alias := range slices.Sorted(maps.Keys(summary.CapacityOnTiers)) {
		o.Tiers = append(o.Tiers, TierInfo{Alias: alias, CapacityBytes: summary.CapacityOnTiers[alias], UsedBytes: summary.UsedOnTiers[alias]})
	}
	return o, nil
}

// Worker is one row of the Workers page (webui_workers).
type Worker struct {
	ID            int64            `json:"id"`
	Host          string           `json:"host"`
	RPCPort       int              `json:"rpcPort"`
	WebURL        string           `json:"webUrl,omitempty"`
	State         string           `json:"state"`
	StartTimeMs   int64            `json:"startTimeMs"`
	LastContactMs int64            `json:"lastHeartbeatMsAgo"`
	CapacityBytes int64            `json:"capacityBytes"`
	UsedBytes     int64            `json:"usedBytes"`
	CapacityTiers map[string]int64 `json:"capacityBytesOnTiers"`
	UsedTiers     map[string]int64 `json:"usedBytesOnTiers"`
	Blocks        int              `json:"blockCount"`
}

// Workers lists the workers this master knows, live then lost.
type Workers struct {
	Live []Worker `json:"normalNodeInfos"`
	Lost []Worker `json:"failedNodeInfos"`
}

func (u *UI) workers(*http.Request) (any, error) {
	out := Workers{Live: []Worker{}, Lost: []Worker{}}
	now := time.Now()
	for _, w := range u.cfg.Master.Workers().Workers() {
		row := Worker{
			ID: w.ID, Host: w.Address.Host, RPCPort: w.Address.RPCPort, State: "LIVE",
			StartTimeMs: w.Started.UnixMilli(), LastContactMs: now.Sub(w.LastContact).Milliseconds(),
			CapacityBytes: w.Capacity, UsedBytes: w.Used, CapacityTiers: w.CapacityOnTiers, UsedTiers: w.UsedOnTiers,
			Blocks: w.BlockCount,
		}
		if w.Address.WebPort > 0 {
			row.WebURL = "http://" + net.JoinHostPort(w.Address.Host, strconv.Itoa(w.Address.WebPort)) + "/"
		}
		if w.State == blockmaster.Lost {
			row.State = "LOST"
			out.Lost = append(out.Lost, row)
			continue
		}
		out.Live = append(out.Live, row)
	}
	return out, nil
}

// ConfigProperty is one line of the Configuration page (webui_config).
type ConfigProperty struct {
	Key         string `json:"key"`
	Value       string `json:"value"`
	Source      string `json:"source"`
	Description string `json:"description,omitempty"`
}

func (u *UI) configuration(*http.Request) (any, error) {
	props := u.cfg.Master.ClusterConfiguration()
	out := make([]ConfigProperty, 0, len(props))
	for _, kv := range props {
		out = append(out, ConfigProperty{Key: kv.Key, Value: kv.Value, Source: string(kv.Source), Description: kv.Description})
	}
	return map[string]any{"configuration": out}, nil
}

// Mount is one row of the mount table (webui_mounttable). Mount options
// are left out: they hold credentials.
type Mount struct {
	ID       uint64 `json:"mountId"`
	Path     string `json:"path"`
	UfsURI   string `json:"ufsUri"`
	ReadOnly bool   `json:"readOnly"`
	Shared   bool   `json:"shared"`
}

// MountTable is the mount table, as of the applied index.
type MountTable struct {
	AppliedIndex uint64  `json:"appliedIndex"`
	Mounts       []Mount `json:"mountPoints"`
}

func (u *UI) mountTable(*http.Request) (any, error) {
	ns := u.cfg.Master.Namespace()
	out := MountTable{AppliedIndex: ns.AppliedIndex(), Mounts: []Mount{}}
	for _, m := range ns.MountTable() {
		out.Mounts = append(out.Mounts, Mount{ID: m.MountId, Path: m.Path, UfsURI: m.UfsUri, ReadOnly: m.ReadOnly, Shared: m.Shared})
	}
	return out, nil
}

// Masters is Halo's Masters page (webui_masters): every master with its
// role, and in Raft mode the quorum's figures as this master sees them.
type Masters struct {
	HAMode            string   `json:"haMode"`
	Self              string   `json:"self"`
	Role              string   `json:"role"`
	LeaderAddress     string   `json:"leaderAddress"`
	AppliedIndex      uint64   `json:"appliedIndex"`
	Term              uint64   `json:"term,omitempty"`
	CommitIndex       uint64   `json:"commitIndex,omitempty"`
	LastSnapshotIndex uint64   `json:"lastSnapshotIndex,omitempty"`
	Members           []Member `json:"members"`
	ZooKeeper         []string `json:"zookeeperAddresses,omitempty"`
	// Note says why the quorum's figures are missing, if they are.
	Note string `json:"note,omitempty"`
	// ElectionEpoch is this master's ZooKeeper election epoch while it
	// leads; ZooKeeperConnection its connection to the ensemble.
	ElectionEpoch       uint64 `json:"electionEpoch,omitempty"`
	ZooKeeperConnection string `json:"zookeeperConnection,omitempty"`
	// Journal is the shared journal's position as this master sees it
	// (ZooKeeper mode).
	Journal *JournalPosition `json:"sharedJournal,omitempty"`
	// Failovers is the leader changes this master saw, newest first,
	// since HistorySinceMs (when it started); nil in modes without
	// elections.
	Failovers      []Failover `json:"leaderChanges,omitempty"`
	HistorySinceMs int64      `json:"leaderChangesSinceMs,omitempty"`
	// FailoversLeftOut counts older changes the bounded history dropped.
	FailoversLeftOut int `json:"leaderChangesLeftOut,omitempty"`
}

// JournalPosition is where a master is in the shared journal: the newest
// batch it wrote, when it leads, or read, when it follows. A standby whose
// batch trails the leader's is still catching up.
type JournalPosition struct {
	Location string `json:"location"`
	Batch    uint64 `json:"batch"`
	Writing  bool   `json:"writing"`
}

// Failover is one change of leader, as this master saw it.
type Failover struct {
	AtMs int64 `json:"timeMs"`
	// Term is the Raft term or ZooKeeper election epoch, 0 when unknown.
	Term uint64 `json:"term,omitempty"`
	From string `json:"from"`
	To   string `json:"to"`
	// NoLeaderMs is how long this master knew no leader in between: a
	// lower bound of the time writes were unavailable.
	NoLeaderMs int64 `json:"noLeaderMs"`
}

// withElection adds the leader changes this master saw, and in ZooKeeper
// mode its epoch and connection.
func (m *Masters) withElection(e ha.Election) {
	m.HistorySinceMs = e.Since.UnixMilli()
	m.FailoversLeftOut = e.Dropped
	m.ElectionEpoch, m.ZooKeeperConnection = e.Epoch, e.Connection
	if e.JournalLocation != "" {
		m.Journal = &JournalPosition{Location: e.JournalLocation, Batch: e.JournalBatch, Writing: e.JournalWriting}
	}
	m.Failovers = make([]Failover, 0, len(e.Changes))
	for i := len(e.Changes) - 1; i >= 0; i-- {
		c := e.Changes[i]
		m.Failovers = append(m.Failovers, Failover{
			AtMs: c.At.UnixMilli(), Term: c.Term, From: c.From, To: c.To, NoLeaderMs: c.NoLeaderFor.Milliseconds(),
		})
	}
}

// Member is one master.
type Member struct {
	RaftAddress   string `json:"raftAddress,omitempty"`
	RPCAddress    string `json:"rpcAddress"`
	Role          string `json:"role"`
	State         string `json:"state,omitempty"`
	Voter         bool   `json:"voter"`
	AppliedIndex  uint64 `json:"appliedIndex,omitempty"`
	Lag           uint64 `json:"lag"`
	LastContactMs int64  `json:"lastContactMsAgo,omitempty"`
}

// quorumWait bounds the Masters page: the quorum view asks every member
// for its applied index.
const quorumWait = 5 * time.Second

func (u *UI) masters(r *http.Request) (any, error) {
	i := u.cfg.Master.Info()
	out := Masters{
		HAMode: i.HaMode, Self: u.describe().RPCAddress, Role: i.State, LeaderAddress: i.LeaderAddress,
		AppliedIndex: i.AppliedIndex, ZooKeeper: i.ZookeeperAddresses, Members: []Member{},
	}
	if e, known := u.cfg.Master.Election(); known {
		out.withElection(e)
	}
	if i.HaMode != string(conf.HARaft) {
		out.Members = membersByAddress(i.MasterAddresses, i.LeaderAddress)
		return out, nil
	}
	ctx, cancel := context.WithTimeout(r.Context(), quorumWait)
	defer cancel()
	q, err := u.cfg.Master.QuorumInfo(ctx)
	if err != nil {
		out.Note = "The embedded journal gives no quorum view now: " + err.Error()
		out.Members = membersByAddress(i.MasterAddresses, i.LeaderAddress)
		return out, nil
	}
	out.Term, out.CommitIndex, out.LastSnapshotIndex = q.Term, q.CommitIndex, q.LastSnapshotIndex
	for _, m := range q.Members {
		role := state.Standby.String()
		if m.Leader {
			role = state.Primary.String()
		}
		out.Members = append(out.Members, Member{
			RaftAddress: m.Address, RPCAddress: m.RpcAddress, Role: role, State: m.State, Voter: m.Voter,
			AppliedIndex: m.AppliedIndex, Lag: m.Lag, LastContactMs: m.LastContactMs,
		})
	}
	return out, nil
}

// membersByAddress is what a master without a quorum view knows: the
// configured masters and which of them leads.
func membersByAddress(addresses []string, leader string) []Member {
	out := make([]Member, 0, len(addresses))
	for _, a := range addresses {
		role := state.Standby.String()
		if a == leader {
			role = state.Primary.String()
		}
		out = append(out, Member{RPCAddress: a, Role: role, Voter: true})
	}
	return out
}
