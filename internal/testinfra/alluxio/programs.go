// Package alluxio runs the real Alluxio 2.9.3 programs, from the jars on
// Maven Central, for Halo's compatibility tests: the shell
// (alluxio.cli.fs.FileSystemShell), the admin shell
// (alluxio.cli.fsadmin.FileSystemAdminShell), Hadoop's FsShell with
// Alluxio's Hadoop client (alluxio.hadoop.FileSystem, from
// alluxio-shaded-client), a single Alluxio master, whose output is the
// reference Halo's is compared with, and a worker (StartWorker), which
// registers with Halo's masters.
//
// scripts/alluxio.sh resolves the jars (pom.xml and hadoop-pom.xml beside
// this file) once into ~/.m2 and a class path in ~/.cache/halo; `make
// alluxio-deps` runs it. Every program runs with JDK 17 on a configuration
// given as Java system properties, in a folder of its own (alluxio.home,
// logs), never reading a machine-wide alluxio-site.properties. The shells
// run in the test's namespace and touch only the addresses they are
// given; the master runs in a network namespace of its own (it needs
// root), since it pings the addresses it sees to name itself.
package alluxio

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/halo-fs/halo/internal/testinfra/proc"
)

// Version is the Alluxio release whose programs the package runs.
const Version = "2.9.3"

// MainClass is the Java class a program starts from.
type MainClass string

// The programs a test runs.
const (
	FileSystemShell      MainClass = "alluxio.cli.fs.FileSystemShell"
	FileSystemAdminShell MainClass = "alluxio.cli.fsadmin.FileSystemAdminShell"
	// HadoopFsShell is `hadoop fs`; fs.alluxio.impl is
	// alluxio.hadoop.FileSystem, so it reaches alluxio:// paths through
	// Alluxio's own client, as a Spark or Hive job does.
	HadoopFsShell MainClass = "org.apache.hadoop.fs.FsShell"
	// TestRunner is `alluxio runTests`.
	TestRunner MainClass = "alluxio.cli.TestRunner"

	formatJournal MainClass = "alluxio.cli.Format"
	masterMain    MainClass = "alluxio.master.AlluxioMaster"
)

// DefaultTimeout bounds a command run without a timeout of its own. The
// client retries an unreachable master for two minutes
// (alluxio.user.rpc.retry.max.duration) before it gives up.
const DefaultTimeout = 3 * time.Minute

// jvmFlags are given to every program. Alluxio 2.9 was built for Java 8
// and 11; on 17 it runs without flags, but Netty (shaded or not) then
// finds neither Unsafe nor DirectByteBuffer's constructor and falls back
// to slower buffers. These two packages are all it reaches for: with
// -Dsun.reflect.debugModuleAccessChecks=access, the master, both shells
// and FsShell report no other refused access. A client command is mostly
// a JVM start, which the first compiler alone and the serial collector
// make quicker: `fs ls` took 2.3 s with them, 3.9 s without.
var jvmFlags = []string{
	"--add-opens=java.base/java.nio=ALL-UNNAMED",
	"--add-opens=java.base/jdk.internal.misc=ALL-UNNAMED",
	"-Dio.netty.tryReflectionSetAccessible=true",
	"-XX:+UseSerialGC",
	"-XX:TieredStopAtLevel=1",
}

// Programs are the resolved jars and the Java that runs them.
type Programs struct {
	java string
	// alluxio is the class path of the shells and the master; hadoop
	// that of FsShell. They are kept apart because the shaded client
	// repeats every alluxio.* class of the other.
	alluxio, hadoop string
	// contract is that of Hadoop's contract tests (contract.go), set only
	// on the copy RunContractTests runs them with.
	contract string
}

var (
	found    *Programs
	findErr  error
	findOnce sync.Once
)

// Find resolves the programs, fetching the jars with Maven the first time
// on a machine (scripts/alluxio.sh build); later calls reuse the answer.
func Find() (*Programs, error) {
	findOnce.Do(func() { found, findErr = find() })
	return found, findErr
}

func find() (*Programs, error) {
	java, err := exec.LookPath("java")
	if err != nil {
		return nil, errors.New("java not found: the Alluxio programs need JDK 17 (apt-get install openjdk-17-jdk-headless)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	build := exec.CommandContext(ctx, "bash", proc.Script("alluxio.sh"), "build")
	build.Stdout, build.Stderr = &stdout, &stderr
	if err := build.Run(); err != nil {
		return nil, fmt.Errorf("scripts/alluxio.sh build (make alluxio-deps): %v\n%s", err, stderr.String())
	}
	dir := strings.TrimSpace(stdout.String())
	p := &Programs{java: java}
	for _, cp := range []struct {
		file string
		into *string
	}{{"alluxio.classpath", &p.alluxio}, {"hadoop.classpath", &p.hadoop}} {
		b, err := os.ReadFile(filepath.Join(dir, cp.file))
		if err != nil {
			return nil, fmt.Errorf("the Alluxio jars were not resolved: %w", err)
		}
		*cp.into = strings.TrimSpace(string(b))
	}
	site, err := writeHadoopSite(dir)
	if err != nil {
		return nil, err
	}
	p.hadoop += string(os.PathListSeparator) + site
	return p, nil
}

// Command is one run of a program.
type Command struct {
	Main MainClass
	// Conf is the configuration: Java system properties (alluxio.* keys)
	// for the Alluxio programs, Hadoop's generic options (-D key=value)
	// for HadoopFsShell, whose alluxio.hadoop.FileSystem reads alluxio.*
	// keys from Hadoop's configuration.
	Conf map[string]string
	Args []string
	// Dir holds the program's home, configuration and logs; it must exist.
	Dir string
	// Timeout bounds the run (DefaultTimeout when zero).
	Timeout time.Duration
}

// Result is what a finished command printed and how it exited.
type Result struct {
	Stdout, Stderr string
	ExitCode       int
	// Elapsed is the wall time from start to exit, JVM start included.
	Elapsed time.Duration
	// Log is the program's log file (Alluxio's log4j output).
	Log string
}

// String shows a result in a test's failure message.
func (r Result) String() string {
	return fmt.Sprintf("exit %d after %v\nstdout:\n%s\nstderr:\n%s\nlog: %s", r.ExitCode, r.Elapsed.Round(time.Millisecond), r.Stdout, r.Stderr, r.Log)
}

// Run runs c to its end. The error says why it could not run or did not
// end in time; a program that ran and failed is a Result with a non-zero
// ExitCode.
func (p *Programs) Run(c Command) (Result, error) {
	timeout := c.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	cmd, log, err := p.command(c.Main, c.Conf, c.Dir, loopback, c.Args...)
	if err != nil {
		return Result{}, err
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// Its own process group, so that a timeout kills the JVM whole.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return Result{}, fmt.Errorf("start %s: %w", c.Main, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var waitErr error
	select {
	case waitErr = <-done:
	case <-time.After(timeout):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		return Result{}, fmt.Errorf("%s %s did not finish within %v:\nstdout:\n%s\nstderr:\n%s\nlog: %s",
			c.Main, strings.Join(c.Args, " "), timeout, stdout.String(), stderr.String(), log)
	}
	r := Result{Stdout: stdout.String(), Stderr: stderr.String(), Elapsed: time.Since(start), Log: log}
	var exit *exec.ExitError
	switch {
	case errors.As(waitErr, &exit):
		r.ExitCode = exit.ExitCode()
	case waitErr != nil:
		return Result{}, fmt.Errorf("%s: %w", c.Main, waitErr)
	}
	return r, nil
}

// command prepares main to run in dir with conf, its host name resolving
// to self, and returns it with the path of its log. Nothing outside dir
// configures it: alluxio.conf.dir and alluxio.site.conf.dir point into
// dir, so an alluxio-site.properties in /etc/alluxio or ~/.alluxio is not
// read.
func (p *Programs) command(main MainClass, conf map[string]string, dir, self string, args ...string) (*exec.Cmd, string, error) {
	home := filepath.Join(dir, "home")
	confDir := filepath.Join(home, "conf")
	logs := filepath.Join(dir, "logs")
	for _, d := range []string{confDir, logs} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, "", err
		}
	}
	log4j := filepath.Join(confDir, "log4j.properties")
	if err := os.WriteFile(log4j, []byte(log4jConfig), 0o644); err != nil {
		return nil, "", err
	}
	hosts, err := writeHosts(confDir, self)
	if err != nil {
		return nil, "", err
	}
	props := map[string]string{
		"alluxio.home":          home,
		"alluxio.conf.dir":      confDir,
		"alluxio.site.conf.dir": confDir,
		"alluxio.logs.dir":      logs,
		"alluxio.user.logs.dir": logs,
		"log4j.configuration":   "file:" + log4j,
		"jdk.net.hosts.file":    hosts,
		// Without these three, a client finds its own host name by
		// pinging each of the machine's addresses and asking DNS for
		// their names (for its metrics source and locality); with them it
		// touches nothing but loopback.
		"alluxio.user.app.id":   "halo-test",
		"alluxio.user.hostname": loopback,
		"alluxio.locality.node": loopback,
	}
	classPath := p.alluxio
	var options []string
	if main == HadoopFsShell {
		classPath = p.hadoop
		// Hadoop's generic options, which FsShell reads before its
		// command: they go into the Configuration that
		// alluxio.hadoop.FileSystem reads its alluxio.* keys from.
		for _, k := range slices.Sorted(maps.Keys(conf)) {
			options = append(options, "-D", k+"="+conf[k])
		}
	} else {
		maps.Copy(props, conf)
	}
	if main == contractRunner {
		classPath = p.contract
	}
	argv := append(slices.Clone(jvmFlags), "-cp", classPath)
	for _, k := range slices.Sorted(maps.Keys(props)) {
		argv = append(argv, "-D"+k+"="+props[k])
	}
	argv = append(argv, string(main))
	argv = append(argv, options...)
	argv = append(argv, args...)
	cmd := exec.Command(p.java, argv...)
	cmd.Dir = dir
	return cmd, filepath.Join(logs, "alluxio.log"), nil
}

// writeHosts writes the only names a program may look up: localhost, on
// loopback, and this machine's, on self. The JVM then resolves from that
// file alone (jdk.net.hosts.file) and never asks DNS: a master names
// itself in a backup by the reverse lookup of the address it found
// reachable, which Alluxio offers no setting to avoid.
func writeHosts(dir, self string) (string, error) {
	hosts := loopback + " localhost\n"
	if h, err := os.Hostname(); err == nil && h != "localhost" {
		hosts += self + " " + h + "\n"
	}
	path := filepath.Join(dir, "hosts")
	return path, os.WriteFile(path, []byte(hosts), 0o644)
}

// log4jConfig sends every message to a file, so that standard output is
// the command's own output and standard error its own errors, as with
// Alluxio's scripts (which log the shell to logs/user/).
const log4jConfig = `log4j.rootLogger=INFO, FILE
log4j.appender.FILE=org.apache.log4j.FileAppender
log4j.appender.FILE.File=${alluxio.logs.dir}/alluxio.log
log4j.appender.FILE.layout=org.apache.log4j.PatternLayout
log4j.appender.FILE.layout.ConversionPattern=%d{ISO8601} %-5p [%t] %c{1}: %m%n
`

// writeHadoopSite writes, once, a jar holding core-site.xml with
// alluxio:// served by Alluxio's Hadoop client. Without a core-site.xml on
// the class path, FsShell given a generic option fails at start with
// "core-site.xml not found"; the rest of the configuration comes as such
// options.
func writeHadoopSite(dir string) (string, error) {
	path := filepath.Join(dir, "hadoop-site.jar")
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	var b bytes.Buffer
	jar := zip.NewWriter(&b)
	w, err := jar.Create("core-site.xml")
	if err != nil {
		return "", err
	}
	io.WriteString(w, coreSite)
	if err := jar.Close(); err != nil {
		return "", err
	}
	tmp := fmt.Sprintf("%s.%d.tmp", path, os.Getpid())
	if err := os.WriteFile(tmp, b.Bytes(), 0o644); err != nil {
		return "", err
	}
	return path, os.Rename(tmp, path)
}

const coreSite = `<?xml version="1.0"?>
<configuration>
  <property><name>fs.alluxio.impl</name><value>alluxio.hadoop.FileSystem</value></property>
</configuration>
`
