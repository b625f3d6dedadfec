package peers

import (
	"context"
	"fmt"
	"path"
	"time"

	"github.com/go-zookeeper/zk"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/halo-fs/halo/client"
)

// System is one system's two workloads, ready to measure.
type System struct {
	Name   string
	Client string
	Peer   bool
	// CreateOp and ReadOp name the calls in the table.
	CreateOp, ReadOp string
	Create, Read     Op
	// SecondCreate, when set, is measured too, as a row of its own
	// named SecondCreateOp.
	SecondCreateOp string
	SecondCreate   Op
	Close          func()
}

// ZooKeeper drives an ensemble through one shared go-zookeeper
// connection: create of a new znode; sync then get of an existing one
// (a plain get may be served stale by a follower).
func ZooKeeper(servers []string, root string) (*System, error) {
	conn, _, err := zk.Connect(servers, 10*time.Second, zk.WithLogInfo(false))
	if err != nil {
		return nil, fmt.Errorf("connect to ZooKeeper %v: %w", servers, err)
	}
	acl := zk.WorldACL(zk.PermAll)
	readPath := root + "/read"
	for _, p := range []string{root, readPath} {
		if _, err := conn.Create(p, []byte("x"), 0, acl); err != nil && err != zk.ErrNodeExists {
			conn.Close()
			return nil, fmt.Errorf("create %s in ZooKeeper: %w", p, err)
		}
	}
	return &System{
		Name: "ZooKeeper 3.8", Client: "go-zookeeper/zk", Peer: true,
		CreateOp: "create", ReadOp: "sync+get",
		Create: func(_ context.Context, thread int, seq int64) error {
			_, err := conn.Create(fmt.Sprintf("%s/c%d-%d", root, thread, seq), nil, 0, acl)
			return err
		},
		Read: func(context.Context, int, int64) error {
			if _, err := conn.Sync(readPath); err != nil {
				return err
			}
			_, _, err := conn.Get(readPath)
			return err
		},
		Close: conn.Close,
	}, nil
}

// Etcd drives a cluster through one clientv3 client: a transaction that
// puts a new key only if it has never been created; a get, which
// clientv3 makes linearizable unless told otherwise.
func Etcd(endpoints []string, prefix string) (*System, error) {
	cli, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 10 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("connect to etcd %v: %w", endpoints, err)
	}
	readKey := prefix + "/read"
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := cli.Put(ctx, readKey, "x"); err != nil {
		cli.Close()
		return nil, fmt.Errorf("put %s in etcd: %w", readKey, err)
	}
	return &System{
		Name: "etcd 3.4", Client: "etcd clientv3", Peer: true,
		CreateOp: "txn put-if-absent", ReadOp: "linearizable get",
		Create: func(ctx context.Context, thread int, seq int64) error {
			key := fmt.Sprintf("%s/c%d-%d", prefix, thread, seq)
			resp, err := cli.Txn(ctx).If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
				Then(clientv3.OpPut(key, "")).Commit()
			if err == nil && !resp.Succeeded {
				err = fmt.Errorf("etcd key %s already exists", key)
			}
			return err
		},
		Read: func(ctx context.Context, _ int, _ int64) error {
			_, err := cli.Get(ctx, readKey)
			return err
		},
		Close: func() { cli.Close() },
	}, nil
}

// Halo drives masters through Halo's Go client: CreateFile, one request
// and one journal entry as a ZooKeeper create or an etcd put is; then, as
// a second row, CreateFile with Completed, which is Alluxio's create then
// complete (two requests, as the Alluxio shell's touch); GetStatus, which
// the leader answers after its read barrier.
func Halo(name string, c *client.Client, root string) (*System, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	readPath := path.Join(root, "read")
	if _, err := c.CreateFile(ctx, readPath, client.CreateFileOptions{Recursive: true, Completed: true}); err != nil {
		return nil, fmt.Errorf("create %s in %s: %w", readPath, name, err)
	}
	return &System{
		Name: name, Client: "Halo Go client",
		CreateOp: "CreateFile", ReadOp: "GetStatus", SecondCreateOp: "CreateFile+CompleteFile",
		Create: func(ctx context.Context, thread int, seq int64) error {
			_, err := c.CreateFile(ctx, fmt.Sprintf("%s/c%d-%d", root, thread, seq), client.CreateFileOptions{})
			return err
		},
		SecondCreate: func(ctx context.Context, thread int, seq int64) error {
			_, err := c.CreateFile(ctx, fmt.Sprintf("%s/cc%d-%d", root, thread, seq), client.CreateFileOptions{Completed: true})
			return err
		},
		Read: func(ctx context.Context, _ int, _ int64) error {
			_, err := c.GetStatus(ctx, readPath)
			return err
		},
		Close: func() {},
	}, nil
}

// Run measures s's create and read at each thread count.
func (s *System) Run(ctx context.Context, threads []int, warmup, duration time.Duration, progress func(Point)) []Point {
	var out []Point
	// Each point's threads get numbers of their own, so that a point's
	// new paths are new to every earlier point too.
	base := 0
	type workload struct {
		workload, operation string
		op                  Op
	}
	workloads := []workload{{Create, s.CreateOp, s.Create}}
	if s.SecondCreate != nil {
		workloads = append(workloads, workload{Create, s.SecondCreateOp, s.SecondCreate})
	}
	workloads = append(workloads, workload{Read, s.ReadOp, s.Read})
	for _, w := range workloads {
		for _, n := range threads {
			first, op := base, w.op
			base += n
			p := Measure(ctx, func(ctx context.Context, thread int, seq int64) error {
				return op(ctx, first+thread, seq)
			}, n, warmup, duration)
			p.System, p.Workload, p.Client, p.Operation, p.Peer = s.Name, w.workload, s.Client, w.operation, s.Peer
			progress(p)
			out = append(out, p)
		}
	}
	return out
}
