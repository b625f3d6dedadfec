// Package compose runs the docker-compose clusters of deploy/docker in
// tests, as a user would: the engine and the images come from the
// project's scripts (deploy/docker/engine.sh, images.sh), each cluster is
// its own compose project whose containers, network and volumes carry a
// name of its own, and the faults are the ones the README shows — docker
// kill, docker-compose restart, docker network disconnect and connect.
// Containers talk only on the bridge network their project creates; the
// masters' web ports are published on loopback only.
package compose

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/halo-fs/halo/internal/poll"
	"github.com/halo-fs/halo/internal/testinfra/masters"
)

// Masters is how many masters each compose file runs.
const Masters = 3

var (
	prepareOnce sync.Once
	prepareErr  error
	clusters    atomic.Int32
)

// Cluster is one compose project brought up from a file of deploy/docker.
type Cluster struct {
	t    testing.TB
	file string
	// Name prefixes every container, the network and the project.
	Name    string
	env     []string
	workers bool // the image runs workers, so their profile is up
}

func repo() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// prepare starts the engine when none runs and builds the images from this
// checkout, once per test process; a warm build takes seconds.
func prepare(t testing.TB) {
	t.Helper()
	prepareOnce.Do(func() {
		for _, script := range []string{"engine.sh start", "images.sh"} {
			args := strings.Fields(script)
			cmd := exec.Command(filepath.Join(repo(), "deploy", "docker", args[0]), args[1:]...)
			cmd.Dir = repo()
			if out, err := cmd.CombinedOutput(); err != nil {
				prepareErr = fmt.Errorf("deploy/docker/%s: %v\n%s", script, err, out)
				return
			}
		}
	})
	if prepareErr != nil {
		t.Fatal(prepareErr)
	}
	sweepDeadProjects()
}

// projectName holds the test process id, so that a later run can remove
// what a killed one left.
var projectName = regexp.MustCompile(`^(halotest(\d+)-\d+)-`)

// sweepDeadProjects removes the containers, networks and volumes of
// clusters whose test process is gone.
func sweepDeadProjects() {
	out, _ := docker("ps", "-a", "--filter", "name=halotest", "--format", "{{.Names}}")
	dead := map[string]bool{}
	for _, name := range strings.Fields(out) {
		m := projectName.FindStringSubmatch(name)
		if m == nil {
			continue
		}
		if pid, err := strconv.Atoi(m[2]); err == nil && syscall.Kill(pid, 0) == syscall.ESRCH {
			dead[m[1]] = true
			docker("rm", "-f", "-v", name)
		}
	}
	for project := range dead {
		docker("network", "rm", project+"-net")
		volumes, _ := docker("volume", "ls", "-q", "--filter", "name="+project+"_")
		for _, v := range strings.Fields(volumes) {
			docker("volume", "rm", v)
		}
	}
}

// Up brings deploy/docker/<file> up and waits until its masters are
// healthy, and its workers too when the image's halo has the worker
// command (the workers' profile is left out otherwise). The cluster is
// taken down with its volumes when the test ends, and the test fails if
// anything of it is left behind.
func Up(t testing.TB, file string) *Cluster {
	t.Helper()
	prepare(t)
	c := &Cluster{
		t:    t,
		file: filepath.Join(repo(), "deploy", "docker", file),
		Name: fmt.Sprintf("halotest%d-%d", os.Getpid(), clusters.Add(1)),
	}
	c.env = append(os.Environ(), "HALO_NAME="+c.Name, "HALO_BIND=127.0.0.1")
	for i := 1; i <= Masters; i++ {
		c.env = append(c.env, fmt.Sprintf("HALO_WEB_PORT%d=%d", i, masters.FreePort(t, "127.0.0.1")))
	}
	t.Cleanup(c.down)
	c.workers = hasWorkerCommand(c.env)
	up := []string{"up", "-d"}
	if c.workers {
		up = append([]string{"--profile", "workers"}, up...)
	}
	if out, err := c.compose(up...); err != nil {
		t.Fatalf("docker-compose up %s: %v\n%s", file, err, out)
	}
	c.AwaitHealthy(c.Masters()...)
	c.AwaitHealthy(c.Workers()...)
	return c
}

// hasWorkerCommand tells whether the image's halo lists the worker command.
func hasWorkerCommand(env []string) bool {
	image := "halo:latest"
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "HALO_IMAGE="); ok && v != "" {
			image = v
		}
	}
	out, err := docker("run", "--rm", "--network", "none", "--entrypoint", "/opt/halo/bin/halo", image, "--help")
	return err == nil && regexp.MustCompile(`(?m)^  worker +`).MatchString(out)
}

// Workers names the workers' containers: none when the image has no
// worker command.
func (c *Cluster) Workers() []string {
	if !c.workers {
		return nil
	}
	return []string{c.Name + "-worker1", c.Name + "-worker2"}
}

// Masters names the masters' containers, which are also their host names.
func (c *Cluster) Masters() []string {
	names := make([]string, Masters)
	for i := range names {
		names[i] = fmt.Sprintf("%s-master%d", c.Name, i+1)
	}
	return names
}

// Network is the bridge network the project created.
func (c *Cluster) Network() string { return c.Name + "-net" }

func (c *Cluster) compose(args ...string) (string, error) {
	cmd := exec.Command("docker-compose", append([]string{"-f", c.file, "-p", c.Name}, args...)...)
	cmd.Env = c.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func docker(args ...string) (string, error) {
	out, err := exec.Command("docker", args...).CombinedOutput()
	return string(out), err
}

// Halo runs a halo command inside a container, with its configuration.
func (c *Cluster) Halo(container string, args ...string) (string, error) {
	return docker(append([]string{"exec", container, "halo"}, args...)...)
}

// Shell runs a shell script inside a container and fails the test on an
// error.
func (c *Cluster) Shell(container, script string) string {
	c.t.Helper()
	out, err := docker("exec", container, "sh", "-c", script)
	if err != nil {
		c.t.Fatalf("docker exec %s sh -c %q: %v\n%s", container, script, err, out)
	}
	return out
}

// MustHalo is Halo that fails the test on an error.
func (c *Cluster) MustHalo(container string, args ...string) string {
	c.t.Helper()
	out, err := c.Halo(container, args...)
	if err != nil {
		c.t.Fatalf("docker exec %s halo %s: %v\n%s", container, strings.Join(args, " "), err, out)
	}
	return out
}

// leaderFrom is the master that `halo fs leader` in container names, when it
// names a master that serves ("" otherwise).
func (c *Cluster) leaderFrom(container string) string {
	out, err := c.Halo(container, "fs", "leader")
	name := strings.TrimSpace(out)
	if err != nil || strings.Contains(name, "\n") || !strings.HasPrefix(name, c.Name+"-master") {
		return ""
	}
	return name
}

// AwaitLeader waits up to within until `halo fs leader`, run in container,
// names a serving master other than not, and returns it.
func (c *Cluster) AwaitLeader(container, not string, within time.Duration) string {
	c.t.Helper()
	var leader string
	poll.Until(c.t, within, fmt.Sprintf("a serving leader other than %q, seen from %s", not, container), func() bool {
		leader = c.leaderFrom(container)
		return leader != "" && leader != not
	})
	return leader
}

// Health is a container's health as Docker reports it: starting, healthy
// or unhealthy ("" when it is not running).
func (c *Cluster) Health(container string) string {
	out, _ := docker("inspect", "--format", "{{if .State.Running}}{{.State.Health.Status}}{{end}}", container)
	return strings.TrimSpace(out)
}

// AwaitHealthy waits until every container's health check passes.
func (c *Cluster) AwaitHealthy(containers ...string) {
	c.t.Helper()
	for _, name := range containers {
		poll.Until(c.t, 3*time.Minute, name+" to be healthy", func() bool { return c.Health(name) == "healthy" })
	}
}

// Kill is docker kill: SIGKILL to the container's processes.
func (c *Cluster) Kill(container string) { c.must("kill", container) }

// Restart is docker-compose restart of the service that runs container.
func (c *Cluster) Restart(container string) {
	c.t.Helper()
	service := c.service(container)
	if out, err := c.compose("restart", service); err != nil {
		c.t.Fatalf("docker-compose restart %s: %v\n%s", service, err, out)
	}
}

func (c *Cluster) service(container string) string {
	return strings.TrimPrefix(container, c.Name+"-")
}

// Disconnect cuts container off the project's network.
func (c *Cluster) Disconnect(container string) {
	c.must("network", "disconnect", c.Network(), container)
}

// Connect puts container back on the project's network.
func (c *Cluster) Connect(container string) { c.must("network", "connect", c.Network(), container) }

func (c *Cluster) must(args ...string) {
	c.t.Helper()
	if out, err := docker(args...); err != nil {
		c.t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// down removes the project with its volumes, keeping the containers' logs
// in the test's output when it failed, and checks that nothing is left.
func (c *Cluster) down() {
	if c.t.Failed() {
		out, _ := c.compose("logs", "--no-color", "--tail", "200")
		c.t.Logf("docker-compose logs of %s:\n%s", c.Name, out)
	}
	if out, err := c.compose("--profile", "workers", "down", "-v", "--remove-orphans"); err != nil {
		c.t.Errorf("docker-compose down: %v\n%s", err, out)
	}
	for _, list := range [][]string{
		{"ps", "-a", "-q", "--filter", "name=" + c.Name + "-"},
		{"network", "ls", "-q", "--filter", "name=" + c.Network()},
		{"volume", "ls", "-q", "--filter", "name=" + c.Name + "_"},
	} {
		if out, err := docker(list...); err != nil || strings.TrimSpace(out) != "" {
			c.t.Errorf("docker %s after down: %q %v", strings.Join(list, " "), out, err)
		}
	}
}
