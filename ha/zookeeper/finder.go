package zookeeper

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/fserr"
)

// ZNodeFinder finds the leading master the way Alluxio clients do with
// alluxio.zookeeper.enabled: it lists the leader path and takes the child
// with the newest ctime. It implements client.LeaderFinder (set it as
// client.Options.Finder); the client's retry loop supplies the backoff
// between lookups (Alluxio: alluxio.zookeeper.leader.inquiry.retry tries,
// one second apart).
type ZNodeFinder struct {
	servers        []string
	leaderPath     string
	sessionTimeout time.Duration

	client.LeaderCache

	mu   sync.Mutex // guards conn
	conn *zk.Conn
}

// NewZNodeFinder returns a finder over the ensemble servers; leaderPath is
// alluxio.zookeeper.leader.path. It connects on first use.
func NewZNodeFinder(servers []string, leaderPath string, sessionTimeout time.Duration) *ZNodeFinder {
	if leaderPath == "" {
		leaderPath = "/alluxio/leader"
	}
	if sessionTimeout <= 0 {
		sessionTimeout = 60 * time.Second
	}
	return &ZNodeFinder{servers: append([]string(nil), servers...), leaderPath: leaderPath, sessionTimeout: sessionTimeout}
}

// Leader returns the cached leader, or reads the leader znode.
func (f *ZNodeFinder) Leader(ctx context.Context) (string, error) {
	if leader := f.Get(); leader != "" {
		return leader, nil
	}
	f.mu.Lock()
	if f.conn == nil {
		conn, _, err := zk.Connect(f.servers, f.sessionTimeout, zk.WithLogInfo(false), zk.WithLogger(silentLogger{}))
		if err != nil {
			f.mu.Unlock()
			return "", fserr.New(fserr.Unavailable, "connect to ZooKeeper %v: %v", f.servers, err)
		}
		f.conn = conn
	}
	conn := f.conn
	f.mu.Unlock()

	type answer struct {
		leader string
		err    error
	}
	done := make(chan answer, 1)
	go func() {
		children, _, err := conn.Children(f.leaderPath)
		if err != nil {
			done <- answer{err: err}
			return
		}
		leader, err := newestLeader(conn, f.leaderPath, children)
		done <- answer{leader, err}
	}()
	select {
	case a := <-done:
		if a.err != nil {
			return "", fserr.New(fserr.Unavailable, "read the leader znode under %s: %v", f.leaderPath, a.err)
		}
		if a.leader == "" {
			return "", fserr.New(fserr.Unavailable, "no master leads: %s has no children", f.leaderPath)
		}
		f.Set(a.leader)
		return a.leader, nil
	case <-ctx.Done():
		return "", fserr.New(fserr.Unavailable, "ZooKeeper %v did not answer: %v", f.servers, ctx.Err())
	}
}

// Close closes the ZooKeeper session.
func (f *ZNodeFinder) Close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.conn != nil {
		f.conn.Close()
		f.conn = nil
	}
}

// String describes the finder for logs.
func (f *ZNodeFinder) String() string {
	return fmt.Sprintf("zk@%v%s", f.servers, f.leaderPath)
}

type silentLogger struct{}

func (silentLogger) Printf(string, ...any) {}
