package zookeeper

import (
	"errors"
	"sync/atomic"
	"time"

	"github.com/go-zookeeper/zk"
)

// observer keeps the newest leader znode in view through a watch, in a
// session of its own: standbys read it for every NotLeader hint and status
// call, which must not wait on ZooKeeper.
type observer struct {
	e       *Elector
	conn    *zk.Conn
	current atomic.Pointer[string]
	done    chan struct{}
}

// observerRefresh re-reads the leader path even without a watch event, in
// case one was lost with a connection.
const observerRefresh = 5 * time.Second

func startObserver(e *Elector) *observer {
	o := &observer{e: e, done: make(chan struct{})}
	conn, _, err := zk.Connect(e.cfg.Servers, e.cfg.SessionTimeout, zk.WithLogger(zkLogger{e.log.Named("zk")}), zk.WithLogInfo(false))
	if err != nil {
		// Connect fails only on an empty server list, which New refuses.
		e.log.Error("cannot watch the leader znode", "error", err)
		close(o.done)
		return o
	}
	o.conn = conn
	go o.run()
	return o
}

func (o *observer) leader() string {
	if p := o.current.Load(); p != nil {
		return *p
	}
	return ""
}

// connectionState is the leader watch's connection to the ensemble, as
// the ZooKeeper client names it (StateHasSession when it is up).
func (o *observer) connectionState() string {
	if o.conn == nil {
		return "no connection"
	}
	return o.conn.State().String()
}

func (o *observer) run() {
	defer close(o.done)
	for {
		children, _, watch, err := o.conn.ChildrenW(o.e.cfg.LeaderPath)
		if errors.Is(err, zk.ErrNoNode) {
			// No master has created the path yet: wait for it.
			var exists bool
			exists, _, watch, err = o.conn.ExistsW(o.e.cfg.LeaderPath)
			if err == nil && exists {
				continue
			}
		}
		if err != nil {
			select {
			case <-o.e.stop:
				return
			case <-time.After(500 * time.Millisecond):
			}
			continue
		}
		if children != nil {
			newest, err := newestLeader(o.conn, o.e.cfg.LeaderPath, children)
			o.current.Store(&newest)
			if err == nil {
				o.e.noteLeader(newest)
			}
		}
		select {
		case <-watch:
		case <-time.After(observerRefresh):
		case <-o.e.stop:
			return
		}
	}
}

func (o *observer) close() {
	if o.conn != nil {
		o.conn.Close()
	}
	<-o.done
}

// newestLeader returns the child of leaderPath with the newest ctime, as
// Alluxio's clients choose: an old leader's znode can outlive it until its
// session expires. The zxid breaks ties in ctime.
func newestLeader(conn *zk.Conn, leaderPath string, children []string) (string, error) {
	var (
		best     string
		bestStat *zk.Stat
		lastErr  error
	)
	for _, c := range children {
		exists, st, err := conn.Exists(leaderPath + "/" + c)
		if err != nil {
			lastErr = err
			continue
		}
		if !exists {
			continue
		}
		if bestStat == nil || st.Ctime > bestStat.Ctime || st.Ctime == bestStat.Ctime && st.Czxid > bestStat.Czxid {
			best, bestStat = c, st
		}
	}
	if best == "" && lastErr != nil {
		return "", lastErr
	}
	return best, nil
}
