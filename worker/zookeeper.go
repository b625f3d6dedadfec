package worker

import (
	"context"
	"time"

	"github.com/go-zookeeper/zk"
)

// followElection adds the masters that take part in the ZooKeeper
// election as they appear: each candidate's election znode holds its RPC
// address. A worker thus reports to standbys too, whatever the
// configuration lists.
func (w *Worker) followElection(ctx context.Context) {
	z := w.cfg.ZooKeeper
	conn, _, err := zk.Connect(z.Servers, z.SessionTimeout, zk.WithLogInfo(false), zk.WithLogger(quietZooKeeper{}))
	if err != nil {
		w.log.Error("cannot follow the masters' election in ZooKeeper", "servers", z.Servers, "error", err)
		return
	}
	defer conn.Close()
	t := time.NewTicker(max(w.cfg.HeartbeatInterval, time.Second))
	defer t.Stop()
	for {
		for _, addr := range candidates(conn, z.ElectionPath) {
			w.addMaster(addr)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// candidates are the RPC addresses in the election znodes; unreadable
// ones are skipped until the next look.
func candidates(conn *zk.Conn, electionPath string) []string {
	children, _, err := conn.Children(electionPath)
	if err != nil {
		return nil
	}
	var out []string
	for _, c := range children {
		data, _, err := conn.Get(electionPath + "/" + c)
		if err == nil && len(data) > 0 {
			out = append(out, string(data))
		}
	}
	return out
}

type quietZooKeeper struct{}

func (quietZooKeeper) Printf(string, ...any) {}
