package peers

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/halo-fs/halo/internal/testinfra/alluxio"
)

// JavaDriver runs testdata/PeerBench.java, one JVM per point, through
// Alluxio 2.9.3's client with conf (the masters' addresses and, for Halo,
// its authentication).
type JavaDriver struct {
	Programs *alluxio.Programs
	Source   string // PeerBench.java's absolute path
	Conf     map[string]string
	// Dir is where each JVM gets a folder of its own.
	Dir string
}

// driverResult is the JSON line PeerBench prints.
type driverResult struct {
	Ops        int64   `json:"ops"`
	Errors     int64   `json:"errors"`
	OpsPerSec  float64 `json:"ops_per_sec"`
	P50        int64   `json:"p50_ns"`
	P99        int64   `json:"p99_ns"`
	FirstError string  `json:"first_error"`
}

// Run measures one workload at one thread count under root (a folder
// new to every point, since PeerBench names its paths by thread and call).
func (d *JavaDriver) Run(workload string, threads int, warmup, duration time.Duration, root string) (Point, error) {
	dir, err := os.MkdirTemp(d.Dir, "java-")
	if err != nil {
		return Point{}, err
	}
	args := []string{workload, strconv.Itoa(threads), strconv.FormatInt(warmup.Milliseconds(), 10),
		strconv.FormatInt(duration.Milliseconds(), 10), root}
	r, err := d.Programs.Run(alluxio.Command{Main: alluxio.MainClass(d.Source), Conf: d.Conf, Args: args, Dir: dir,
		Timeout: warmup + duration + 3*time.Minute})
	if err != nil {
		return Point{}, err
	}
	line := lastLine(r.Stdout)
	var out driverResult
	if r.ExitCode != 0 || json.Unmarshal([]byte(line), &out) != nil {
		return Point{}, fmt.Errorf("PeerBench %s: %s", strings.Join(args, " "), r)
	}
	return Point{Threads: threads, Ops: out.Ops, Errors: out.Errors, OpsPerSec: out.OpsPerSec,
		P50: time.Duration(out.P50), P99: time.Duration(out.P99), FirstError: out.FirstError}, nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// SourcePath is PeerBench.java's path from the package's folder, where go
// test runs.
func SourcePath() (string, error) { return filepath.Abs(filepath.Join("testdata", "PeerBench.java")) }
