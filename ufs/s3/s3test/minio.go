// Package s3test runs a real MinIO server for tests, through the project's
// scripts/minio.sh, which builds MinIO once into a cache and serves a
// temporary folder on a free loopback port.
package s3test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/halo-fs/halo/internal/ports"
)

// Root credentials of every test server; the servers listen on loopback.
const (
	AccessKey = "halo-test"
	SecretKey = "halo-test-secret"
)

// Time limits: a cold build compiles MinIO (minutes on two cores); a start
// from a built binary takes seconds.
const (
	buildTimeout = 25 * time.Minute
	startTimeout = 90 * time.Second
	stopTimeout  = 15 * time.Second
)

// Server is a running MinIO.
type Server struct {
	// Endpoint is "http://127.0.0.1:<port>".
	Endpoint string
	cmd      *exec.Cmd
	stdin    io.WriteCloser
	exited   chan struct{}
	log      string
}

// Script returns the path of scripts/minio.sh in this checkout.
func Script() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "scripts", "minio.sh")
}

// Start builds MinIO if the cache lacks it, and starts a server with its
// data under dir. The server also stops if this process dies, since it
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

	port, err := ports.Free("127.0.0.1")
	if err != nil {
		return nil, errors.Join(errors.New("find a free port"), err)
	}
	s := &Server{log: filepath.Join(dir, "minio.log"), exited: make(chan struct{})}
	logFile, err := os.Create(s.log)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	s.cmd = exec.Command("bash", script, "run", "--dir", filepath.Join(dir, "data"), "--port", strconv.Itoa(port))
	s.cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+AccessKey, "MINIO_ROOT_PASSWORD="+SecretKey)
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
	case s.Endpoint = <-ready:
		return s, nil
	case <-s.exited:
		return nil, fmt.Errorf("MinIO exited before it was ready:\n%s", s.logTail())
	case <-time.After(startTimeout):
		s.Stop()
		return nil, fmt.Errorf("MinIO was not ready within %v:\n%s", startTimeout, s.logTail())
	}
}

// StartT starts a server for one test, stops it when the test ends, and
// fails the test if it cannot start.
func StartT(t testing.TB) *Server {
	t.Helper()
	s, err := Start(t.TempDir())
	if err != nil {
		t.Fatalf("cannot start MinIO (scripts/minio.sh): %v", err)
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

// Options returns the UFS options that reach this server with the root
// credentials.
func (s *Server) Options() map[string]string {
	return map[string]string{
		"alluxio.underfs.s3.endpoint":            s.Endpoint,
		"alluxio.underfs.s3.disable.dns.buckets": "true",
		"alluxio.underfs.s3.secure.http.enabled": "false",
		"aws.accessKeyId":                        AccessKey,
		"aws.secretKey":                          SecretKey,
	}
}

// MakeBucket creates a bucket.
func (s *Server) MakeBucket(ctx context.Context, name string) error {
	client, err := minio.New(strings.TrimPrefix(s.Endpoint, "http://"), &minio.Options{
		Creds: credentials.NewStaticV4(AccessKey, SecretKey, ""),
	})
	if err != nil {
		return err
	}
	return client.MakeBucket(ctx, name, minio.MakeBucketOptions{})
}

func (s *Server) logTail() string {
	data, err := os.ReadFile(s.log)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-30):], "\n")
}
