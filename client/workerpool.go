package client

import (
	"context"
	"net"
	"os"
	"slices"
	"strconv"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/proto/alluxiopb"
)

// workerPool holds one connection per worker a client talks to.
type workerPool struct {
	mu    sync.Mutex
	conns map[string]*grpc.ClientConn
}

// workerConn is the block worker service at addr.
func (c *Client) workerConn(addr string) (alluxiopb.BlockWorkerClient, error) {
	c.workers.mu.Lock()
	defer c.workers.mu.Unlock()
	if conn, ok := c.workers.conns[addr]; ok {
		return alluxiopb.NewBlockWorkerClient(conn), nil
	}
	conn, err := grpc.NewClient(addr, c.dialOptions()...)
	if err != nil {
		return nil, fserr.New(fserr.InvalidArgument, "bad worker address %q: %v", addr, err)
	}
	if c.workers.conns == nil {
		c.workers.conns = map[string]*grpc.ClientConn{}
	}
	c.workers.conns[addr] = conn
	return alluxiopb.NewBlockWorkerClient(conn), nil
}

func (c *Client) closeWorkers() {
	c.workers.mu.Lock()
	defer c.workers.mu.Unlock()
	for _, conn := range c.workers.conns {
		conn.Close()
	}
	c.workers.conns = nil
}

func workerAddr(a *alluxiopb.WorkerNetAddress) string {
	port := a.GetRpcPort()
	if a.GetDataPort() != 0 {
		port = a.GetDataPort()
	}
	return net.JoinHostPort(a.GetHost(), strconv.Itoa(int(port)))
}

// Workers lists the live workers, as the leader knows them.
func (c *Client) Workers(ctx context.Context) ([]*alluxiopb.WorkerInfo, error) {
	var infos []*alluxiopb.WorkerInfo
	err := c.invoke(ctx, read, "list workers", func(ctx context.Context, mc *masterConn) error {
		resp, err := mc.blocks.GetWorkerInfoList(ctx, &alluxiopb.GetWorkerInfoListPOptions{})
		infos = resp.GetWorkerInfos()
		return err
	})
	return infos, err
}

// localHosts are the names a worker on this machine goes by, read once:
// every block a client reads or writes asks.
var localHosts = sync.OnceValue(func() []string {
	hosts := []string{"localhost"}
	if h, err := os.Hostname(); err == nil {
		hosts = append(hosts, h)
	}
	return hosts
})

// byPreference orders workers as Alluxio's default write policy
// (LocalFirstPolicy) does: one on this host first, then the one with the
// most free space. Workers in skip come last.
func byPreference(workers []*alluxiopb.WorkerInfo, skip map[string]bool) []*alluxiopb.WorkerInfo {
	local := localHosts()
	out := slices.Clone(workers)
	rank := func(w *alluxiopb.WorkerInfo) int {
		switch {
		case skip[workerAddr(w.GetAddress())]:
			return 2
		case slices.Contains(local, w.GetAddress().GetHost()):
			return 0
		}
		return 1
	}
	slices.SortStableFunc(out, func(a, b *alluxiopb.WorkerInfo) int {
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra - rb
		}
		fa, fb := a.GetCapacityBytes()-a.GetUsedBytes(), b.GetCapacityBytes()-b.GetUsedBytes()
		switch {
		case fa > fb:
			return -1
		case fa < fb:
			return 1
		}
		return 0
	})
	return out
}

// pickWorker chooses a worker for a new block or a UFS read.
func (c *Client) pickWorker(ctx context.Context, skip map[string]bool) (string, error) {
	workers, err := c.Workers(ctx)
	if err != nil {
		return "", err
	}
	ordered := byPreference(workers, skip)
	if len(ordered) == 0 || skip[workerAddr(ordered[0].GetAddress())] {
		return "", fserr.New(fserr.Unavailable, "no live worker to use (%d known, %d failed): start workers with `halo worker`", len(workers), len(skip))
	}
	return workerAddr(ordered[0].GetAddress()), nil
}

// FreeBlocks drops the workers' copies of the blocks of the persisted
// files at or under path; forced also frees pinned files.
func (c *Client) FreeBlocks(ctx context.Context, path string, forced bool) error {
	return c.invoke(ctx, read, "free "+path, func(ctx context.Context, mc *masterConn) error {
		_, err := mc.fs.Free(ctx, &alluxiopb.FreePRequest{Path: proto.String(path), Options: &alluxiopb.FreePOptions{Recursive: proto.Bool(true), Forced: proto.Bool(forced)}})
		return err
	})
}
