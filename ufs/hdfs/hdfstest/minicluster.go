// Package s3test runs a real MinIO server for tests, through the project's
// scripts/minio.sh, which builds MinIO once into a cache and serves a
// temporary folder on a free loopback port.
package hdfstest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Time limits: a cold build downloads hadoop-client-minicluster with Maven;
// a start from a built launcher takes several seconds (a JVM, a name node
// and a data node).
const (
	buildTimeout = 25 * time.Minute
	startTimeout = 3 * time.Minute
	stopTimeout  = 30 * time.Second
)

// Server is a running MiniDFSCluster.
type Server struct {
	// URI is "hdfs://127.0.0.1:<port>", the name node.
	URI    string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	exited chan struct{}
	log    string
}

// Script returns the path of scripts/hdfs.sh in this checkout.
func Script() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "scripts", "hdfs.sh")
}

// Start builds the launcher if the cache lacks it, and starts a cluster with
// its data under dir. The cluster also stops if this process dies, since it
// stops when its standard input closes.
func Start(dir string) (*Server, error) {
	script := Script()
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	build := exec.CommandContext(ctx, "bash", script, "build")
	build.Stdout = io.Discard
	var buildErr strings.Builder
	build.Stderr = io.MultiWriter(os.Stderr, &buildErr)
	if err := build.Run(); err != nil {
		return nil, fmt.Errorf("%s build: %v\n%s", script, err, buildErr.String())
	}

	s := &Server{log: filepath.Join(dir, "hdfs.log"), exited: make(chan struct{})}
	logFile, err := os.Create(s.log)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	// Port 0: the name node picks a free port and the READY line names it.
	s.cmd = exec.Command("bash", script, "run", "--dir", filepath.Join(dir, "data"), "--port", "0")
	s.cmd.Stderr = logFile
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if s.stdin, err = s.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", script, err)
	}
	go func() { s.cmd.Wait(); close(s.exited) }()

	ready := make(chan string, 1)
	go func() {
		lines := bufio.NewScanner(stdout)
		for lines.Scan() {
			if url, ok := strings.CutPrefix(lines.Text(), "READY "); ok {
				ready <- url
			}
		}
	}()
	select {
	case s.URI = <-ready:
		return s, nil
	case <-s.exited:
		return nil, fmt.Errorf("the MiniDFSCluster exited before it was ready:\n%s", s.logTail())
	case <-time.After(startTimeout):
		s.Stop()
		return nil, fmt.Errorf("the MiniDFSCluster was not ready within %v:\n%s", startTimeout, s.logTail())
	}
}

// StartT starts a server for one test, stops it when the test ends, and
// fails the test if it cannot start.
func StartT(t testing.TB) *Server {
	t.Helper()
	s, err := Start(t.TempDir())
	if err != nil {
		t.Fatalf("cannot start HDFS (scripts/hdfs.sh): %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

// Stop stops the server: end of input asks the script to stop it, and the
// process group is killed if that takes too long.
func (s *Server) Stop() {
	s.stdin.Close()
	select {
	case <-s.exited:
	case <-time.After(stopTimeout):
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.exited
	}
}

func (s *Server) logTail() string {
	data, err := os.ReadFile(s.log)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-30):], "\n")
}
