package proc

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

// Service is a server run by one of the project's launcher scripts
// (scripts/minio.sh, scripts/hdfs.sh): `SCRIPT build` prepares it once,
// `SCRIPT run ARGS` serves in the foreground, prints "READY <url>" once it
// answers, and stops when its standard input ends, so that it also stops
// if the test process dies.
type Service struct {
	// URL is what the READY line named.
	URL    string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	exited chan struct{}
	log    string
	stop   time.Duration
}

// ServiceSpec says how to build and run a Service.
type ServiceSpec struct {
	Name   string // in errors: "MinIO"
	Script string
	Args   []string // after "run"
	Env    []string // added to the environment of run
	Log    string   // the run's standard error
	// BuildTimeout bounds a cold build, StartTimeout the wait for READY,
	// StopTimeout the wait after standard input closes.
	BuildTimeout, StartTimeout, StopTimeout time.Duration
}

// StartService builds the service if its cache lacks it and runs it until
// it is ready.
func StartService(spec ServiceSpec) (*Service, error) {
	ctx, cancel := context.WithTimeout(context.Background(), spec.BuildTimeout)
	defer cancel()
	build := exec.CommandContext(ctx, "bash", spec.Script, "build")
	build.Stdout = io.Discard
	var buildErr strings.Builder
	build.Stderr = io.MultiWriter(os.Stderr, &buildErr)
	if err := build.Run(); err != nil {
		return nil, fmt.Errorf("%s build: %v\n%s", spec.Script, err, buildErr.String())
	}

	s := &Service{log: spec.Log, exited: make(chan struct{}), stop: spec.StopTimeout}
	logFile, err := os.Create(s.log)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	s.cmd = exec.Command("bash", append([]string{spec.Script, "run"}, spec.Args...)...)
	s.cmd.Env = append(os.Environ(), spec.Env...)
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
		return nil, fmt.Errorf("start %s: %w", spec.Script, err)
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
	case s.URL = <-ready:
		return s, nil
	case <-s.exited:
		return nil, fmt.Errorf("%s exited before it was ready:\n%s", spec.Name, s.logTail())
	case <-time.After(spec.StartTimeout):
		s.Stop()
		return nil, fmt.Errorf("%s was not ready within %v:\n%s", spec.Name, spec.StartTimeout, s.logTail())
	}
}

// Stop stops the service: end of input asks the script to stop it, and
// the process group is killed if that takes too long.
func (s *Service) Stop() {
	s.stdin.Close()
	select {
	case <-s.exited:
	case <-time.After(s.stop):
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.exited
	}
}

func (s *Service) logTail() string {
	data, err := os.ReadFile(s.log)
	if err != nil {
		return err.Error()
	}
	return Tail(string(data), 30)
}

// Script is the path of scripts/<name> in the checkout that holds
// internal/testinfra.
func Script(name string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "scripts", name)
}

// Stopper is a started service.
type Stopper interface{ Stop() }

// ForTest starts a service for one test in a folder of its own (kept if
// the test fails), stops it when the test ends, and fails the test,
// saying what, if it cannot start.
func ForTest[S Stopper](t testing.TB, what string, start func(dir string) (S, error)) S {
	t.Helper()
	s, err := start(Dir(t))
	if err != nil {
		t.Fatalf("cannot start %s: %v", what, err)
	}
	t.Cleanup(s.Stop)
	return s
}

// ForPackage is TestMain for a package whose tests share one service: it
// starts it, hands it to use (which keeps it, and may prepare it), runs
// the tests, stops it and exits, keeping its folder when a test failed.
// When the service cannot be had, the package fails, saying what.
func ForPackage[S Stopper](m *testing.M, what string, start func(dir string) (S, error), use func(S) error) {
	dir, err := os.MkdirTemp("", "halo-service-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	s, err := start(dir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: the tests need %s: %v\n", what, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	if err := use(s); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: the tests need %s: %v\n", what, err)
		s.Stop()
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	s.Stop()
	if code == 0 {
		os.RemoveAll(dir)
	} else {
		fmt.Fprintf(os.Stderr, "kept the log and data of %s in %s\n", what, dir)
	}
	os.Exit(code)
}
