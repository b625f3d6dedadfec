package worker_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/halo-fs/halo/conf"
	"github.com/halo-fs/halo/internal/ports"
	"github.com/halo-fs/halo/internal/testinfra/workers"
	"github.com/halo-fs/halo/proto/alluxiopb"
	"github.com/halo-fs/halo/worker"
	"github.com/halo-fs/halo/worker/blockstore"
	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// testConfig is a worker on host with a 64 MiB MEM tier in dir and no
// masters.
func testConfig(t testing.TB, host, dir string) worker.Config {
	t.Helper()
	rpc, err := ports.Free(host)
	if err != nil {
		t.Fatal(err)
	}
	web, err := ports.Free(host)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "mem"), 0o755); err != nil {
		t.Fatal(err)
	}
	return worker.Config{
		Host: host, RPCPort: rpc, WebPort: web,
		HeartbeatInterval: 100 * time.Millisecond,
		User:              "worker",
		IdentityFile:      filepath.Join(dir, "identity"),
		Store: blockstore.Config{Tiers: []blockstore.TierConfig{{
			Alias: "MEM", Dirs: []blockstore.DirConfig{{Path: filepath.Join(dir, "mem"), Quota: 64 << 20}},
		}}},
	}
}

func openWorker(t testing.TB, cfg worker.Config) *worker.Worker {
	t.Helper()
	w, err := worker.Open(cfg, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func dialWorker(t testing.TB, cfg worker.Config) alluxiopb.BlockWorkerClient {
	t.Helper()
	conn, err := grpc.NewClient(net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.RPCPort)), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return alluxiopb.NewBlockWorkerClient(conn)
}

// A block written through WriteBlock reads back byte-equal through
// ReadBlock, whole and in part, with chunks far smaller than the read
// window so that flow control paces it; bad reads get clear errors.
func TestWrittenBlockReadsBackByteEqual(t *testing.T) {
	cfg := testConfig(t, "127.0.0.1", t.TempDir())
	openWorker(t, cfg)
	c := dialWorker(t, cfg)
	data := make([]byte, 5<<20+12345)
	rand.NewChaCha8([32]byte{1}).Read(data)
	const id = 7 << 24
	workers.WriteBlock(t, c, id, data)
	for _, r := range []struct{ off, length, chunk int64 }{
		{0, int64(len(data)), 1 << 20},
		{0, int64(len(data)), 64 << 10},
		{1<<20 + 7, 3 << 20, 1000},
	} {
		got, err := workers.ReadBlock(t, c, id, r.off, r.length, r.chunk)
		if err != nil {
			t.Fatalf("read %+v: %v", r, err)
		}
		if !bytes.Equal(got, data[r.off:r.off+r.length]) {
			t.Fatalf("read %+v: %d bytes differ from those written", r, len(got))
		}
	}
	if _, err := workers.ReadBlock(t, c, id, int64(len(data))-10, 20, 1<<20); status.Code(err) != codes.InvalidArgument {
		t.Errorf("a read past the end: %v, want InvalidArgument", err)
	}
	if _, err := workers.ReadBlock(t, c, id+1, 0, 1, 1<<20); status.Code(err) != codes.NotFound {
		t.Errorf("a read of an unknown block: %v, want NotFound", err)
	}
	if _, err := c.RemoveBlock(context.Background(), &alluxiopb.RemoveBlockRequest{BlockId: proto.Int64(id)}); err != nil {
		t.Fatal(err)
	}
	if _, err := workers.ReadBlock(t, c, id, 0, 1, 1<<20); status.Code(err) != codes.NotFound {
		t.Errorf("a read of a removed block: %v, want NotFound", err)
	}
}

// A second process cannot take a running worker's identity: the second
// Open fails naming the identity file, and the first keeps serving.
func TestSecondWorkerWithTheSameIdentityIsRefused(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, "127.0.0.1", dir)
	openWorker(t, cfg)
	second := testConfig(t, "127.0.0.1", t.TempDir())
	second.IdentityFile = cfg.IdentityFile
	w, err := worker.Open(second, hclog.NewNullLogger())
	if err == nil {
		w.Close()
		t.Fatal("a second worker opened with the identity of a running one")
	}
	if !errors.Is(err, worker.ErrIdentityInUse) {
		t.Fatalf("second worker: %v, want ErrIdentityInUse", err)
	}
}

// A client on the worker's host writes a block into the file
// CreateLocalBlock names, reserving more room as it goes; its half-close
// commits the block, which then reads back byte-equal, and its file is
// the one OpenLocalBlock hands out.
func TestLocalWriteCommitsTheBlock(t *testing.T) {
	cfg := testConfig(t, "127.0.0.1", t.TempDir())
	openWorker(t, cfg)
	c := dialWorker(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const id = 9 << 24
	data := make([]byte, 3<<20)
	rand.NewChaCha8([32]byte{3}).Read(data)
	stream, err := c.CreateLocalBlock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&alluxiopb.CreateLocalBlockRequest{BlockId: proto.Int64(id), Tier: proto.Int32(0), SpaceToReserve: proto.Int64(1 << 20)}); err != nil {
		t.Fatal(err)
	}
	created, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	err = stream.Send(&alluxiopb.CreateLocalBlockRequest{BlockId: proto.Int64(id), SpaceToReserve: proto.Int64(2 << 20), OnlyReserveSpace: proto.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatalf("reserve more room: %v", err)
	}
	if err := os.WriteFile(created.GetPath(), data, 0o644); err != nil {
		t.Fatal(err)
	}
	stream.CloseSend()
	if _, err := stream.Recv(); !errors.Is(err, io.EOF) {
		t.Fatalf("the local write did not end OK: %v", err)
	}
	if got, err := workers.ReadBlock(t, c, id, 0, int64(len(data)), 1<<20); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("the block written locally reads back %d bytes, %v", len(got), err)
	}
	open, err := c.OpenLocalBlock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := open.Send(&alluxiopb.OpenLocalBlockRequest{BlockId: proto.Int64(id)}); err != nil {
		t.Fatal(err)
	}
	opened, err := open.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if onDisk, err := os.ReadFile(opened.GetPath()); err != nil || !bytes.Equal(onDisk, data) {
		t.Errorf("OpenLocalBlock's file %s: %d bytes, %v; want the block", opened.GetPath(), len(onDisk), err)
	}
	open.CloseSend()
}

// The web port says the worker runs, that it is not ready while no
// master has it registered, and exports its figures.
func TestWebPort(t *testing.T) {
	cfg := testConfig(t, "127.0.0.1", t.TempDir())
	w := openWorker(t, cfg)
	writeSomething := dialWorker(t, cfg)
	workers.WriteBlock(t, writeSomething, 1<<24, []byte("hello"))
	for _, c := range []struct {
		path, want string
		code       int
	}{
		{"/health", `"status":"ok"`, http.StatusOK},
		{"/health/ready", `"masters":null`, http.StatusServiceUnavailable},
		{"/metrics", "halo_worker_bytes_written_total 5", http.StatusOK},
	} {
		resp, err := http.Get("http://" + w.WebAddr().String() + c.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.code || !strings.Contains(string(body), c.want) {
			t.Errorf("%s: %d %s; want %d with %q", c.path, resp.StatusCode, body, c.code, c.want)
		}
	}
}

// A worker no master answers for alluxio.worker.block.heartbeat.timeout
// stops on its own and says why.
func TestWorkerStopsWhenNoMasterAnswers(t *testing.T) {
	cfg := testConfig(t, "127.0.0.1", t.TempDir())
	silent, err := ports.Free("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Masters = []string{net.JoinHostPort("127.0.0.1", strconv.Itoa(silent))}
	cfg.HeartbeatTimeout = 500 * time.Millisecond
	cfg.DialOptions = []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	w := openWorker(t, cfg)
	select {
	case <-w.Done():
	case <-time.After(time.Minute):
		t.Fatal("the worker kept running for a minute with no master answering")
	}
	if err := w.Err(); err == nil || !strings.Contains(err.Error(), "alluxio.worker.block.heartbeat.timeout") {
		t.Errorf("the worker stopped with %v; want an error naming alluxio.worker.block.heartbeat.timeout", err)
	}
}

// halo formatWorker deletes the worker's blocks and identity, and is
// refused while the worker runs.
func TestFormatClearsTheStoreAndIdentity(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, "127.0.0.1", dir)
	c, err := conf.Load(conf.LoadOptions{ConfDir: t.TempDir(), Overrides: map[string]string{
		"alluxio.worker.tieredstore.level0.dirs.path":  cfg.Store.Tiers[0].Dirs[0].Path,
		"alluxio.worker.tieredstore.level0.dirs.quota": "64MB",
		"halo.worker.identity.file":                    cfg.IdentityFile,
	}})
	if err != nil {
		t.Fatal(err)
	}
	w, err := worker.Open(cfg, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	workers.WriteBlock(t, dialWorker(t, cfg), 1<<24, []byte("cached"))
	if _, err := worker.Format(c); !errors.Is(err, worker.ErrIdentityInUse) {
		t.Errorf("format of a running worker: %v, want ErrIdentityInUse", err)
	}
	w.Close()
	if _, err := worker.Format(c); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(cfg.IdentityFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the identity file after format: %v, want it gone", err)
	}
	openWorker(t, cfg)
	if _, err := workers.ReadBlock(t, dialWorker(t, cfg), 1<<24, 0, 6, 1<<20); status.Code(err) != codes.NotFound {
		t.Errorf("a block cached before the format: %v, want NotFound", err)
	}
}
