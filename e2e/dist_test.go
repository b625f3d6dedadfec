package e2e

import (
	"bytes"
	"fmt"
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
func (r *release) pid(host string) int {
	r.t.Helper()
	data, err := os.ReadFile(filepath.Join(r.home, "pids", "master-"+host+".pid"))
	if err != nil {
		r.t.Fatalf("no pid file for the master on %s: %v", host, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		r.t.Fatalf("pid file of %s: %v", host, err)
	}
	return pid
}

// waitLeader polls `bin/alluxio fs leader` until it names a host other
// than not.
func (r *release) waitLeader(not string) string {
	r.t.Helper()
	// Each try starts a process: poll a few times a second, not more.
	var leader string
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		out, _, err := r.command("bin/alluxio", "fs", "leader")
		if leader = strings.TrimSpace(out); err == nil && leader != "" && leader != not {
			return leader
		}
	}
	r.t.Fatalf("fs leader named no leader other than %q within a minute (last %q)%s", not, leader, r.logTails())
	return leader
}

// masterProcesses lists the pids of the processes named AlluxioMaster
// that run this release, as `pgrep -f AlluxioMaster` shows them.
func (r *release) masterProcesses() []int {
	out, err := exec.Command("pgrep", "-f", "^AlluxioMaster --conf "+r.home+"/").Output()
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

// killLeftovers ends masters a failed test left running.
func (r *release) killLeftovers() {
	for _, pid := range r.masterProcesses() {
		syscall.Kill(pid, syscall.SIGKILL)
	}
}

func (r *release) logTails() string {
	var b strings.Builder
	logs, _ := filepath.Glob(filepath.Join(r.home, "logs", "*", "master.*"))
	for _, path := range logs {
		data, _ := os.ReadFile(path)
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		fmt.Fprintf(&b, "\n--- %s ---\n%s", path, strings.Join(lines[max(0, len(lines)-15):], "\n"))
	}
	return b.String()
}

// guideSite is what every walkthrough adds to the template: ports free for
// this test, and, since the three "machines" share one folder, a journal
// and a logs folder per master.
func guideSite(t *testing.T, journalPerMaster bool) (site string, raftPort int) {
	t.Helper()
	free, err := ports.FreeOnHosts(guideHosts, 3)
	if err != nil {
		t.Fatal(err)
	}
	site = fmt.Sprintf(`
alluxio.master.rpc.port=%d
alluxio.master.web.port=%d
alluxio.master.embedded.journal.port=%d
alluxio.logs.dir=${alluxio.work.dir}/logs/${alluxio.master.hostname}
`, free[0], free[1], free[2])
	if journalPerMaster {
		site += "alluxio.master.journal.folder=${alluxio.work.dir}/journal/${alluxio.master.hostname}\n"
	}
	return site, free[2]
}

// walkThrough is the guide from `bin/alluxio copyDir conf/` to
// `bin/alluxio-stop.sh all` on a configured release: format, start, a
// namespace, kill -9 of the leader found through `fs leader` and its pid
// file, another leader with the namespace intact, and a clean stop.
// conf/workers stays empty: this build has no `halo worker` yet.
func walkThrough(t *testing.T, r *release) {
	r.must("bin/alluxio", "copyDir", "conf/")
	r.must("bin/alluxio", "validateConf")
	if version := r.must("bin/alluxio", "version"); !strings.HasPrefix(version, "Halo ") {
		t.Errorf("bin/alluxio version printed %q", version)
	}
	r.must("bin/alluxio", "format")
	if again := r.must("bin/alluxio", "format", "-s"); !strings.Contains(again, "already formatted") || strings.Contains(again, "Formatted") {
		t.Errorf("format -s on formatted journals printed\n%s\nwant them left alone", again)
	}
	r.must("bin/alluxio-start.sh", "all")
	leader := r.waitLeader("")

	running := r.masterProcesses()
	for _, host := range guideHosts {
		pid := r.pid(host)
		if !containsInt(running, pid) {
			t.Errorf("pid file of %s names %d; pgrep -f AlluxioMaster finds %v", host, pid, running)
		}
		log, err := os.ReadFile(filepath.Join(r.home, "logs", host, "master.log"))
		if err != nil || !strings.Contains(string(log), "master serving") {
			t.Errorf("logs/%s/master.log does not say the master serves (%v):\n%s", host, err, log)
		}
	}

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

	r.must("bin/alluxio-stop.sh", "all")
	if left := r.masterProcesses(); len(left) > 0 {
		t.Errorf("alluxio-stop.sh all left masters %v running", left)
	}
	if pidFiles, _ := filepath.Glob(filepath.Join(r.home, "pids", "*.pid")); len(pidFiles) > 0 {
		t.Errorf("alluxio-stop.sh all left pid files %v", pidFiles)
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
	r.configure(site, guideHosts, nil)
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
	r.configure(site, guideHosts, nil)
	walkThrough(t, r)
}

// The MEM tier's ramdisk as alluxio-start.sh's Mount and NoMount handle
// it (through bin/alluxio-mount.sh): NoMount refuses a folder that is no
// tmpfs, Mount makes one of alluxio.worker.ramdisk.size, and NoMount then
// accepts it.
func TestGuideRamdiskMountModes(t *testing.T) {
	r := extractRelease(t)
	ramdisk := filepath.Join(proc.Dir(t), "ramdisk")
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
