package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/halo-fs/halo/internal/ports"
	"github.com/halo-fs/halo/internal/testinfra/masters"
	"github.com/halo-fs/halo/internal/testinfra/proc"
	"github.com/halo-fs/halo/internal/testinfra/zookeeper"
)

// guideHosts are the guide's three machines, as one machine's addresses:
// the scripts start them without ssh.
var guideHosts = []string{"127.0.0.1", "127.0.0.2", "127.0.0.3"}

// release is `make dist`'s tarball extracted in a test's folder.
type release struct {
	t    *testing.T
	home string
	env  []string // added to the scripts' environment
}

// extractRelease assembles the release with scripts/dist.sh (around the
// tests' bin/halo) and extracts its tarball, as an operator would.
func extractRelease(t *testing.T) *release {
	t.Helper()
	build := t.TempDir()
	out, err := exec.Command(filepath.Join(repoRoot(), "scripts", "dist.sh"), build, masters.Binary(t)).CombinedOutput()
	if err != nil {
		t.Fatalf("scripts/dist.sh: %v\n%s", err, out)
	}
	tree := strings.TrimSpace(string(out))
	dir := proc.Dir(t)
	if out, err := exec.Command("tar", "-C", dir, "-xzf", tree+".tar.gz").CombinedOutput(); err != nil {
		t.Fatalf("extract %s.tar.gz: %v\n%s", tree, err, out)
	}
	r := &release{t: t, home: filepath.Join(dir, filepath.Base(tree))}
	t.Cleanup(r.killLeftovers)
	return r
}

// repoRoot is the checkout these tests belong to.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

// command runs a script of the release from its folder, with none of the
// test's own ALLUXIO_* variables, and returns stdout and stderr apart.
func (r *release) command(args ...string) (stdout, stderr string, err error) {
	cmd := exec.Command(filepath.Join(r.home, args[0]), args[1:]...)
	cmd.Dir = r.home
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ALLUXIO_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, r.env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}

// must runs a script that must succeed and returns its stdout.
func (r *release) must(args ...string) string {
	r.t.Helper()
	out, errOut, err := r.command(args...)
	if err != nil {
		r.t.Fatalf("%s: %v\n%s%s%s", strings.Join(args, " "), err, out, errOut, r.logTails())
	}
	return out
}

// configure does the guide's first steps: the template copied to
// alluxio-site.properties with site appended, conf/masters and
// conf/workers edited.
func (r *release) configure(site string, masterHosts, workerHosts []string) {
	r.t.Helper()
	conf := filepath.Join(r.home, "conf")
	template, err := os.ReadFile(filepath.Join(conf, "alluxio-site.properties.template"))
	if err != nil {
		r.t.Fatalf("the release has no site template: %v", err)
	}
	files := map[string]string{
		"alluxio-site.properties": string(template) + site,
		"masters":                 strings.Join(masterHosts, "\n") + "\n",
		"workers":                 strings.Join(workerHosts, "\n") + "\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(conf, name), []byte(content), 0o644); err != nil {
			r.t.Fatal(err)
		}
	}
}

// pid reads the pid file alluxio-start.sh wrote for host's master.
func (r *release) pid(host string) int { return r.pidOf("master", host) }

// pidOf reads the pid file alluxio-start.sh wrote for host's role
// (master, worker).
func (r *release) pidOf(role, host string) int {
	r.t.Helper()
	data, err := os.ReadFile(filepath.Join(r.home, "pids", role+"-"+host+".pid"))
	if err != nil {
		r.t.Fatalf("no pid file for the %s on %s: %v", role, host, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		r.t.Fatalf("pid file of %s's %s: %v", host, role, err)
	}
	return pid
}

// waitOutput polls a script until its stdout satisfies done, which
// describes what it waits for, and returns that stdout.
func (r *release) waitOutput(done func(stdout string) bool, what string, args ...string) string {
	r.t.Helper()
	// Each try starts a process: poll a few times a second, not more.
	var out string
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		var err error
		if out, _, err = r.command(args...); err == nil && done(out) {
			return out
		}
	}
	r.t.Fatalf("%s did not show %s within a minute; last:\n%s%s", strings.Join(args, " "), what, out, r.logTails())
	return out
}

// waitLeader polls `bin/alluxio fs leader` until it names a host other
// than not.
func (r *release) waitLeader(not string) string {
	r.t.Helper()
	out := r.waitOutput(func(out string) bool {
		leader := strings.TrimSpace(out)
		return leader != "" && leader != not
	}, "a leader other than "+strconv.Quote(not), "bin/alluxio", "fs", "leader")
	return strings.TrimSpace(out)
}

// waitLiveWorkers polls `bin/alluxio fsadmin report` until the leader on
// host reports n live workers.
func (r *release) waitLiveWorkers(host string, n int) {
	r.t.Helper()
	r.waitOutput(func(out string) bool {
		return strings.Contains(out, "Master Address: "+host+":") &&
			strings.Contains(out, fmt.Sprintf("Live Workers: %d\n", n))
	}, fmt.Sprintf("the leader on %s with %d live workers", host, n), "bin/alluxio", "fsadmin", "report")
}

// masterProcesses lists the pids of the processes named AlluxioMaster
// that run this release, as `pgrep -f AlluxioMaster` shows them.
func (r *release) masterProcesses() []int { return r.processes("AlluxioMaster") }

func (r *release) workerProcesses() []int { return r.processes("AlluxioWorker") }

func (r *release) processes(name string) []int {
	out, err := exec.Command("pgrep", "-f", "^"+name+" --conf "+r.home+"/").Output()
	if err != nil && len(out) > 0 {
		r.t.Fatalf("pgrep: %v", err)
	}
	var pids []int
	for _, field := range strings.Fields(string(out)) {
		pid, _ := strconv.Atoi(field)
		pids = append(pids, pid)
	}
	return pids
}

// killLeftovers ends masters and workers a failed test left running.
func (r *release) killLeftovers() {
	for _, pid := range append(r.masterProcesses(), r.workerProcesses()...) {
		syscall.Kill(pid, syscall.SIGKILL)
	}
}

func (r *release) logTails() string {
	var b strings.Builder
	logs, _ := filepath.Glob(filepath.Join(r.home, "logs", "*", "*.log"))
	for _, path := range logs {
		data, _ := os.ReadFile(path)
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		fmt.Fprintf(&b, "\n--- %s ---\n%s", path, strings.Join(lines[max(0, len(lines)-15):], "\n"))
	}
	return b.String()
}

// guideSite is what every walkthrough adds to the template: ports free for
// this test on all three hosts, a small MEM tier in the release's folder
// (alluxio-start.sh's Mount makes a tmpfs there for each worker; 128 MB,
// since a client reserves a whole 64 MB block before it writes one, and a
// tmpfs takes memory only as it fills), and,
// since the three "machines" share one folder, a journal per master for
// Raft. The scripts give each host's process its own logs folder and each
// worker its own tier folder.
func guideSite(t *testing.T, journalPerMaster bool) (site string, raftPort int) {
	t.Helper()
	free, err := ports.FreeOnHosts(guideHosts, 5)
	if err != nil {
		t.Fatal(err)
	}
	site = fmt.Sprintf(`
alluxio.master.rpc.port=%d
alluxio.master.web.port=%d
alluxio.master.embedded.journal.port=%d
alluxio.worker.rpc.port=%d
alluxio.worker.web.port=%d
alluxio.worker.tieredstore.level0.dirs.path=${alluxio.work.dir}/ramdisk
alluxio.worker.ramdisk.size=128MB
`, free[0], free[1], free[2], free[3], free[4])
	if journalPerMaster {
		site += "alluxio.master.journal.folder=${alluxio.work.dir}/journal/${alluxio.master.hostname}\n"
	}
	return site, free[2]
}

// walkThrough is the guide from `bin/alluxio copyDir conf/` to
// `bin/alluxio-stop.sh all` on a configured release with three masters and
// three workers: format, start with Mount, the workers live at the leader,
// the web UI, runTests, a namespace, kill -9 of the leader found through
// `fs leader` and its pid file, another leader with the namespace, the
// workers and a cached file, a clean stop, and a format that clears the
// workers' stores.
func walkThrough(t *testing.T, r *release) {
	unmountRamdisksAtEnd(t, r)
	r.must("bin/alluxio", "copyDir", "conf/")
	r.must("bin/alluxio", "validateConf")
	if version := r.must("bin/alluxio", "version"); !strings.HasPrefix(version, "Halo ") {
		t.Errorf("bin/alluxio version printed %q", version)
	}
	r.must("bin/alluxio", "format")
	if again := r.must("bin/alluxio", "format", "-s"); !strings.Contains(again, "already formatted") || strings.Contains(again, "Formatted journal") {
		t.Errorf("format -s on formatted journals printed\n%s\nwant them left alone", again)
	}
	r.must("bin/alluxio-start.sh", "all", "Mount")
	leader := r.waitLeader("")
	r.waitLiveWorkers(leader, len(guideHosts))
	checkStarted(t, r)
	checkWebUI(t, r, leader)
	if out := r.must("bin/alluxio", "runTests"); strings.Count(out, "Passed the test!") != 24 {
		t.Errorf("runTests printed\n%s\nwant 24 passed", out)
	}
	// A file whose only copy is in a worker's memory, read again after
	// the failover.
	const cached = "/default_tests_files/BASIC_CACHE_PROMOTE_MUST_CACHE"
	before := r.must("bin/alluxio", "fs", "cat", cached)

	r.must("bin/alluxio", "fs", "mkdir", "/guide")
	r.must("bin/alluxio", "fs", "touch", "/guide/hello")
	if err := syscall.Kill(r.pid(leader), syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 the leader on %s: %v", leader, err)
	}
	successor := r.waitLeader(leader)
	t.Logf("leader %s killed, %s leads", leader, successor)
	if listing := r.must("bin/alluxio", "fs", "ls", "-R", "/"); !strings.Contains(listing, "/guide/hello") {
		t.Errorf("after the failover fs ls -R / shows\n%s\nwant /guide/hello", listing)
	}
	r.waitLiveWorkers(successor, len(guideHosts))
	if after := r.must("bin/alluxio", "fs", "cat", cached); after != before || before == "" {
		t.Errorf("fs cat %s gave %d bytes before the failover and %d different ones after", cached, len(before), len(after))
	}

	r.must("bin/alluxio-stop.sh", "all")
	if left := append(r.masterProcesses(), r.workerProcesses()...); len(left) > 0 {
		t.Errorf("alluxio-stop.sh all left masters and workers %v running", left)
	}
	if pidFiles, _ := filepath.Glob(filepath.Join(r.home, "pids", "*.pid")); len(pidFiles) > 0 {
		t.Errorf("alluxio-stop.sh all left pid files %v", pidFiles)
	}
	checkFormatClearsWorkers(t, r)
}

// workerStore is the folder the worker on host keeps its blocks in: its
// own tmpfs under the configured tier folder.
func (r *release) workerStore(host string) string {
	return filepath.Join(r.home, "ramdisk", host)
}

// unmountRamdisksAtEnd unmounts the workers' tmpfs when the test ends,
// lazily, since a failed test may leave a worker in one until
// killLeftovers runs.
func unmountRamdisksAtEnd(t *testing.T, r *release) {
	t.Cleanup(func() {
		for _, host := range guideHosts {
			exec.Command("umount", "-l", r.workerStore(host)).Run()
		}
	})
}

// checkStarted checks each host's master and worker: a pid file naming a
// process pgrep finds by its Alluxio name, a log saying it serves, and for
// the worker a tmpfs of its own.
func checkStarted(t *testing.T, r *release) {
	t.Helper()
	masters, workers := r.masterProcesses(), r.workerProcesses()
	for _, host := range guideHosts {
		for _, p := range []struct {
			role, name, serving string
			running             []int
		}{
			{"master", "AlluxioMaster", "master serving", masters},
			{"worker", "AlluxioWorker", "worker serving", workers},
		} {
			if pid := r.pidOf(p.role, host); !containsInt(p.running, pid) {
				t.Errorf("pid file of %s's %s names %d; pgrep -f %s finds %v", host, p.role, pid, p.name, p.running)
			}
			log, err := os.ReadFile(filepath.Join(r.home, "logs", host, p.role+".log"))
			if err != nil || !strings.Contains(string(log), p.serving) {
				t.Errorf("logs/%s/%s.log does not say %q (%v):\n%s", host, p.role, p.serving, err, log)
			}
		}
		if fs, err := exec.Command("findmnt", "-n", "-o", "FSTYPE", "--mountpoint", r.workerStore(host)).Output(); strings.TrimSpace(string(fs)) != "tmpfs" {
			t.Errorf("the worker on %s has no tmpfs at %s (findmnt: %q, %v)", host, r.workerStore(host), fs, err)
		}
	}
}

// checkWebUI asks the leader's web UI, at the port getConf names, for its
// home page and for /api/v1/master/info.
func checkWebUI(t *testing.T, r *release, leader string) {
	t.Helper()
	port := strings.TrimSpace(r.must("bin/alluxio", "getConf", "alluxio.master.web.port"))
	for _, path := range []string{"/", "/api/v1/master/info"} {
		url := "http://" + net.JoinHostPort(leader, port) + path
		resp, err := http.Get(url)
		if err != nil {
			t.Errorf("GET %s: %v", url, err)
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || len(body) == 0 {
			t.Errorf("GET %s: %s with %d bytes, want 200 and a page", url, resp.Status, len(body))
		}
	}
}

// checkFormatClearsWorkers puts a stand-in for a cached block in each
// stopped worker's store and checks that `bin/alluxio format -s` leaves
// these stores, which hold blocks of a journal it keeps, and that
// `bin/alluxio format` deletes them and the workers' identities.
func checkFormatClearsWorkers(t *testing.T, r *release) {
	t.Helper()
	cached := func(host string) string { return filepath.Join(r.workerStore(host), "halo-blocks", "cached") }
	for _, host := range guideHosts {
		if err := os.WriteFile(cached(host), []byte("block"), 0o644); err != nil {
			t.Fatalf("the worker on %s left no store: %v", host, err)
		}
	}
	if out := r.must("bin/alluxio", "format", "-s"); strings.Contains(out, "Formatted") {
		t.Errorf("format -s on a formatted cluster printed\n%s\nwant journals and workers left alone", out)
	}
	for _, host := range guideHosts {
		if _, err := os.Stat(cached(host)); err != nil {
			t.Errorf("format -s deleted the store of the worker on %s: %v", host, err)
		}
	}
	r.must("bin/alluxio", "format")
	for _, host := range guideHosts {
		if _, err := os.Stat(filepath.Dir(cached(host))); !os.IsNotExist(err) {
			t.Errorf("after format the worker on %s still has its store (%v)", host, err)
		}
		if identities, _ := filepath.Glob(filepath.Join(r.home, "worker", host, "*")); len(identities) > 0 {
			t.Errorf("after format the worker on %s still has %v", host, identities)
		}
	}
}

func containsInt(list []int, x int) bool {
	for _, y := range list {
		if y == x {
			return true
		}
	}
	return false
}

func TestGuideWalkThroughEmbeddedJournal(t *testing.T) {
	r := extractRelease(t)
	site, raftPort := guideSite(t, true)
	addresses := make([]string, len(guideHosts))
	for i, host := range guideHosts {
		addresses[i] = fmt.Sprintf("%s:%d", host, raftPort)
	}
	site += "alluxio.master.embedded.journal.addresses=" + strings.Join(addresses, ",") + "\n"
	r.configure(site, guideHosts, guideHosts)
	if home := strings.TrimSpace(r.must("bin/alluxio", "getConf", "alluxio.home")); home != r.home {
		t.Errorf("alluxio.home = %q, want the extracted release %q", home, r.home)
	}
	walkThrough(t, r)
}

// The guide's ZooKeeper section as written (no journal type), with a
// journal folder all masters share on local disk, and a 3 s session
// timeout instead of 60 s so that the failover takes seconds.
func TestGuideWalkThroughZooKeeper(t *testing.T) {
	zk := zookeeper.Start(t, 1)
	r := extractRelease(t)
	site, _ := guideSite(t, false)
	site += fmt.Sprintf(`alluxio.zookeeper.enabled=true
alluxio.zookeeper.address=%s
alluxio.master.journal.folder=%s
alluxio.zookeeper.session.timeout=%s
`, zk.Address(), filepath.Join(r.home, "shared", "journal"), masters.ZooKeeperSessionTimeout)
	r.configure(site, guideHosts, guideHosts)
	walkThrough(t, r)
}

// The MEM tier's ramdisk as alluxio-start.sh's Mount and NoMount handle
// it (through bin/alluxio-mount.sh): NoMount refuses a folder that is no
// tmpfs, Mount makes one of alluxio.worker.ramdisk.size, and NoMount then
// accepts it.
func TestGuideRamdiskMountModes(t *testing.T) {
	r := extractRelease(t)
	ramdisk := filepath.Join(proc.Dir(t), "ramdisk")
	if fs, _ := exec.Command("findmnt", "-n", "-o", "FSTYPE", "-T", filepath.Dir(ramdisk)).Output(); strings.Contains(string(fs), "tmpfs") {
		t.Fatalf("the test's folder %s is in a tmpfs, where NoMount cannot be refused: set TMPDIR to a folder on disk", filepath.Dir(ramdisk))
	}
	r.configure(fmt.Sprintf("alluxio.worker.tieredstore.level0.alias=MEM\nalluxio.worker.tieredstore.level0.dirs.path=%s\nalluxio.worker.ramdisk.size=16MB\n", ramdisk), nil, nil)
	t.Cleanup(func() { exec.Command("umount", ramdisk).Run() })

	if out, errOut, err := r.command("bin/alluxio-mount.sh", "NoMount"); err == nil || !strings.Contains(errOut, "No tmpfs or ramfs at "+ramdisk) {
		t.Errorf("NoMount without a ramdisk: %v\n%s%s\nwant a failure naming %s", err, out, errOut, ramdisk)
	}
	r.must("bin/alluxio-mount.sh", "Mount")
	mounted, err := exec.Command("findmnt", "-n", "-o", "FSTYPE,SIZE", "--mountpoint", ramdisk).Output()
	if fields := strings.Fields(string(mounted)); err != nil || len(fields) != 2 || fields[0] != "tmpfs" || fields[1] != "16M" {
		t.Fatalf("after Mount, findmnt %s says %q (%v); want a tmpfs of 16M", ramdisk, mounted, err)
	}
	r.must("bin/alluxio-mount.sh", "NoMount")
	r.must("bin/alluxio-mount.sh", "Umount")
}

// Several workers on one machine get a folder each in the MEM tier's
// path; an operator who mounted one tmpfs there and starts with NoMount
// (the default) has them in memory, and alluxio-mount.sh accepts that
// for each worker.
func TestGuideNoMountAcceptsWorkerFoldersInOneTmpfs(t *testing.T) {
	r := extractRelease(t)
	ramdisk := filepath.Join(proc.Dir(t), "ramdisk")
	r.configure(fmt.Sprintf("alluxio.worker.tieredstore.level0.dirs.path=%s\n", ramdisk), nil, guideHosts)
	if err := os.Mkdir(ramdisk, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", ramdisk).CombinedOutput(); err != nil {
		t.Fatalf("mount a tmpfs at %s: %v\n%s", ramdisk, err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", ramdisk).Run() })

	r.must("bin/alluxio-mount.sh", "NoMount", "workers")
}
