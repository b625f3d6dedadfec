// Package hdfs runs a one-datanode MiniDFSCluster on 127.0.0.1 for tests,
// through the project's scripts/hdfs.sh, which builds the launcher in
// deploy/minicluster once into a cache.
package hdfs

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/halo-fs/halo/internal/testinfra/proc"
)

// Server is a running MiniDFSCluster.
type Server struct {
	// URI is "hdfs://127.0.0.1:<port>", the name node.
	URI string
	*proc.Service
}

// Start builds the launcher if the cache lacks it, and starts a cluster
// with its data under dir.
func Start(dir string) (*Server, error) {
	svc, err := proc.StartService(proc.ServiceSpec{
		Name:   "the MiniDFSCluster",
		Script: proc.Script("hdfs.sh"),
		// Port 0: the name node picks a free port and the READY line
		// names it.
		Args: []string{"--dir", filepath.Join(dir, "data"), "--port", "0"},
		Log:  filepath.Join(dir, "hdfs.log"),
		// A cold build downloads hadoop-client-minicluster with Maven; a
		// start from a built launcher takes several seconds (a JVM, a
		// name node and a data node).
		BuildTimeout: 25 * time.Minute, StartTimeout: 3 * time.Minute, StopTimeout: 30 * time.Second,
	})
	if err != nil {
		return nil, err
	}
	return &Server{URI: svc.URL, Service: svc}, nil
}

// StartT starts a cluster for one test, stops it when the test ends, and
// fails the test if it cannot start.
func StartT(t testing.TB) *Server { return proc.ForTest(t, "HDFS (scripts/hdfs.sh)", Start) }
