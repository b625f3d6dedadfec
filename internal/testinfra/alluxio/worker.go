package alluxio

import (
	"fmt"
	"maps"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/halo-fs/halo/internal/ports"
	"github.com/halo-fs/halo/internal/testinfra/proc"
)

const (
	workerMain MainClass = "alluxio.worker.AlluxioWorker"
	// workerStartTimeout bounds the wait for a new worker to serve. It
	// serves only once it has registered with the primary.
	workerStartTimeout = 2 * time.Minute
	workerStopGrace    = 20 * time.Second
)

// Worker is a real Alluxio 2.9.3 worker: one process with a single MEM
// tier in an ordinary folder (no ramdisk is mounted: the worker itself
// does not check what file system its tier is on).
type Worker struct {
	// RPCPort (also its data port) and WebPort are its ports on
	// 127.0.0.1.
	RPCPort, WebPort int
	// Dir holds its home, logs and Tier, the MEM tier's folder.
	Dir, Tier string
	// Capacity is the MEM tier's quota in bytes.
	Capacity int64
	process  *proc.Process
}

// Address is the worker's RPC address, host:port.
func (w *Worker) Address() string { return net.JoinHostPort(loopback, strconv.Itoa(w.RPCPort)) }

// Log is the worker's log4j log.
func (w *Worker) Log() string { return filepath.Join(w.Dir, "logs", "alluxio.log") }

// Process is the worker's process, for a test that kills or pauses it.
func (w *Worker) Process() *proc.Process { return w.process }

// Stop stops the worker (SIGTERM, then SIGKILL after a grace period).
func (w *Worker) Stop() { w.process.Stop(workerStopGrace) }

// workerConf is the worker's configuration before the caller's: loopback
// only, one MEM tier of w.Capacity bytes in w.Tier.
func workerConf(w *Worker) map[string]string {
	return map[string]string{
		"alluxio.worker.hostname":                           loopback,
		"alluxio.worker.bind.host":                          loopback,
		"alluxio.worker.web.hostname":                       loopback,
		"alluxio.worker.web.bind.host":                      loopback,
		"alluxio.worker.rpc.port":                           strconv.Itoa(w.RPCPort),
		"alluxio.worker.web.port":                           strconv.Itoa(w.WebPort),
		"alluxio.worker.tieredstore.levels":                 "1",
		"alluxio.worker.tieredstore.level0.alias":           "MEM",
		"alluxio.worker.tieredstore.level0.dirs.path":       w.Tier,
		"alluxio.worker.tieredstore.level0.dirs.mediumtype": "MEM",
		"alluxio.worker.tieredstore.level0.dirs.quota":      strconv.FormatInt(w.Capacity, 10),
		"alluxio.work.dir":                                  w.Dir,
	}
}

// StartWorkerIn starts a worker with its files under dir, capacity bytes
// of MEM tier, finding its masters through conf (ClientConf of the
// masters, plus their authentication type); conf adds to or overrides its
// configuration. It returns once the worker has registered and serves.
func StartWorkerIn(dir string, capacity int64, conf map[string]string) (*Worker, error) {
	p, err := Find()
	if err != nil {
		return nil, err
	}
	w := &Worker{Dir: dir, Tier: filepath.Join(dir, "mem"), Capacity: capacity}
	for _, port := range []*int{&w.RPCPort, &w.WebPort} {
		if *port, err = ports.Free(loopback); err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
	}
	if err := os.MkdirAll(w.Tier, 0o755); err != nil {
		return nil, err
	}
	all := workerConf(w)
	maps.Copy(all, conf)
	cmd, _, err := p.command(workerMain, all, dir, loopback)
	if err != nil {
		return nil, err
	}
	w.process = proc.New("alluxio-worker", proc.Local{}, filepath.Join(dir, "worker.out"), cmd.Args...)
	if err := w.process.Start(); err != nil {
		return nil, err
	}
	if err := w.waitServing(workerStartTimeout); err != nil {
		w.Stop()
		return nil, fmt.Errorf("the Alluxio worker did not serve: %w\n%s\nlog %s", err, proc.Tail(w.process.Log(), 30), w.Log())
	}
	return w, nil
}

// StartWorker starts a worker for one test, in a folder kept if the test
// fails, and stops it when the test ends. The test fails if the worker
// cannot be had.
func StartWorker(t testing.TB, capacity int64, conf map[string]string) *Worker {
	t.Helper()
	return proc.ForTest(t, "a real Alluxio "+Version+" worker", func(dir string) (*Worker, error) {
		return StartWorkerIn(dir, capacity, conf)
	})
}

// waitServing waits until the worker's RPC port takes connections, which
// it opens after registering with the primary.
func (w *Worker) waitServing(timeout time.Duration) error {
	return waitFor(w.process, timeout, "the worker exited", "no connection", func() error {
		conn, err := net.DialTimeout("tcp", w.Address(), time.Second)
		if err == nil {
			conn.Close()
		}
		return err
	})
}
