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

// Writer runs PeerBench's writer under root until Stop: one thread
// creating files, each success's time readable with Successes meanwhile.
func (d *JavaDriver) Writer(root string) (*JavaWriter, error) {
	dir, err := os.MkdirTemp(d.Dir, "writer-")
	if err != nil {
		return nil, err
	}
	w := &JavaWriter{ok: filepath.Join(dir, "ok"), stop: filepath.Join(dir, "stop"), done: make(chan error, 1)}
	go func() {
		r, err := d.Programs.Run(alluxio.Command{Main: alluxio.MainClass(d.Source), Conf: d.Conf, Dir: dir,
			Args: []string{"writer", root, w.ok, w.stop}, Timeout: 24 * time.Hour})
		if err == nil && r.ExitCode != 0 {
			err = fmt.Errorf("PeerBench writer: %s", r)
		}
		w.done <- err
	}()
	return w, nil
}

// JavaWriter is a running PeerBench writer.
type JavaWriter struct {
	ok, stop string
	done     chan error
}

// FirstSuccessAfter polls the writer's successes until one ended after t
// and returns its time, or fails once timeout has passed or the writer
// has exited.
func (w *JavaWriter) FirstSuccessAfter(t time.Time, timeout time.Duration) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if at, ok := w.successAfter(t); ok {
			return at, nil
		}
		select {
		case err := <-w.done:
			w.done <- err
			return time.Time{}, fmt.Errorf("the writer exited: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	return time.Time{}, fmt.Errorf("no create succeeded within %v after %s", timeout, t.Format(time.RFC3339Nano))
}

func (w *JavaWriter) successAfter(t time.Time) (time.Time, bool) {
	for _, at := range w.successes() {
		if at.After(t) {
			return at, true
		}
	}
	return time.Time{}, false
}

// SuccessesBetween implements SuccessTimes (to the millisecond the writer
// records).
func (w *JavaWriter) SuccessesBetween(from, to time.Time) []time.Time {
	var out []time.Time
	for _, at := range w.successes() {
		if !at.Before(from) && !at.After(to) {
			out = append(out, at)
		}
	}
	return out
}

// successes are the times the writer has recorded so far, in order.
func (w *JavaWriter) successes() []time.Time {
	b, _ := os.ReadFile(w.ok)
	var out []time.Time
	for _, line := range strings.Split(string(b), "\n") {
		if ms, err := strconv.ParseInt(strings.TrimSpace(line), 10, 64); err == nil {
			out = append(out, time.UnixMilli(ms))
		}
	}
	return out
}

// Stop asks the writer to stop and waits for it.
func (w *JavaWriter) Stop() error {
	if err := os.WriteFile(w.stop, nil, 0o644); err != nil {
		return err
	}
	return <-w.done
}
