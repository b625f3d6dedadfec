package e2e

import (
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/halo-fs/halo/internal/testinfra/alluxio"
	"github.com/halo-fs/halo/internal/testinfra/masters"
	zkinfra "github.com/halo-fs/halo/internal/testinfra/zookeeper"
	"github.com/halo-fs/halo/master/identity"
)

// These tests run the real Alluxio 2.9.3 shell and admin shell (Maven
// Central's jars, on JDK 17) against three Halo masters, and compare what
// they print with what Halo's own CLI prints for the same namespace.

func TestRealAlluxioShellAgainstRaftMasters(t *testing.T) {
	c, client := startAlluxioCompatibleRaft(t, nil)
	s := compatSuite{t: t, c: c, conf: client, admin: true}
	s.run()
	s.quorumInfo()
	s.hadoopFS()
	s.survivesLeaderKill()
}

func TestRealAlluxioShellAgainstZooKeeperMasters(t *testing.T) {
	zk := zkinfra.Start(t, 1)
	c := masters.New(t, masters.Config{Mode: masters.ModeZooKeeper, Masters: 3, ZooKeeper: zk, Authentication: identity.Simple})
	c.StartAll()
	c.Leader(60 * time.Second)
	// The guide's client configuration: the leader is found in ZooKeeper.
	client := map[string]string{
		"alluxio.zookeeper.enabled": "true",
		"alluxio.zookeeper.address": zk.Address(),
	}
	s := compatSuite{t: t, c: c, conf: client}
	s.run()
	s.hadoopFS()
	s.survivesLeaderKill()
}

// startAlluxioCompatibleRaft starts three Raft masters as Alluxio's own
// programs can use them: NOSASL, trusting asserted superusers, with extra
// properties; it returns them and the Alluxio client configuration that
// finds them.
func startAlluxioCompatibleRaft(t *testing.T, extra map[string]string) (*masters.Cluster, map[string]string) {
	t.Helper()
	props := map[string]string{
		"alluxio.security.authentication.type":                 string(identity.NoSASL),
		"halo.security.authorization.trust.asserted.superuser": "true",
		"halo.master.embedded.journal.timeout.multiplier":      masters.TestRaftTimeoutMultiplier,
	}
	maps.Copy(props, extra)
	c := masters.New(t, masters.Config{Mode: masters.ModeRaft, Masters: 3, Authentication: identity.NoSASL, Props: props})
	c.StartAll()
	c.Leader(60 * time.Second)
	return c, map[string]string{
		"alluxio.master.rpc.addresses":         strings.Join(c.RPCAddresses(), ","),
		"alluxio.security.authentication.type": string(identity.NoSASL),
	}
}

// compatSuite runs the shell's metadata commands through the real shell and
// checks them against Halo's CLI. admin: the masters run NOSASL and trust
// asserted superusers, as Alluxio does, so the shell may chown and mount;
// under plain SIMPLE those are refused.
type compatSuite struct {
	t     *testing.T
	c     *masters.Cluster
	conf  map[string]string
	admin bool
}

// shell runs the real `alluxio fs`; the command must succeed.
func (s compatSuite) shell(args ...string) string {
	s.t.Helper()
	out, errOut, code := alluxio.Shell(s.t, s.conf, args...)
	if code != 0 {
		s.t.Fatalf("alluxio fs %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// halo runs Halo's CLI against the current leader's configuration.
func (s compatSuite) halo(args ...string) string {
	s.t.Helper()
	out, err := s.c.Leader(60 * time.Second).Halo(args...)
	if err != nil {
		s.t.Fatalf("halo %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func (s compatSuite) same(what, real, halo string) {
	s.t.Helper()
	if real != halo {
		s.t.Errorf("%s: the real shell printed\n%s\nHalo's CLI printed\n%s", what, real, halo)
	}
}

func (s compatSuite) run() {
	t := s.t
	t.Helper()
	want := map[string]string{
		"mkdir /compat/a/b":            "Successfully created directory /compat/a/b\n",
		"touch /compat/a/f1":           "/compat/a/f1 has been created\n",
		"mv /compat/a/f1 /compat/a/f2": "Renamed /compat/a/f1 to /compat/a/f2\n",
		"chmod 640 /compat/a/f2":       "Changed permission of /compat/a/f2 to 640\n",
	}
	for _, cmd := range []string{"mkdir /compat/a/b", "touch /compat/a/f1", "mv /compat/a/f1 /compat/a/f2", "chmod 640 /compat/a/f2"} {
		if got := s.shell(strings.Fields(cmd)...); got != want[cmd] {
			t.Errorf("alluxio fs %s printed %q, want %q", cmd, got, want[cmd])
		}
	}
	ufsDir := filepath.Join(t.TempDir(), "mounted")
	if err := os.MkdirAll(filepath.Join(ufsDir, "existing"), 0o755); err != nil {
		t.Fatal(err)
	}
	if s.admin {
		s.shell("chown", "alice:staff", "/compat/a/f2")
		if got := s.shell("mount", "/compat/mnt", ufsDir); got != "Mounted "+ufsDir+" at /compat/mnt\n" {
			t.Errorf("mount printed %q", got)
		}
		// Alluxio's shell prints the mount table in hash order.
		s.same("mount table", sortedLines(s.shell("mount")), sortedLines(s.halo("fs", "mount")))
	} else {
		out, errOut, code := alluxio.Shell(t, s.conf, "mount", "/compat/mnt", ufsDir)
		if code == 0 || !strings.Contains(out+errOut, "permission denied") {
			t.Errorf("mount under SIMPLE: exit %d, output %q; want a permission refusal", code, out+errOut)
		}
	}

	s.same("ls -R /compat", s.shell("ls", "-R", "/compat"), s.halo("fs", "ls", "-R", "/compat"))
	s.same("stat /compat/a/f2", s.shell("stat", "/compat/a/f2"), s.halo("fs", "stat", "/compat/a/f2"))
	s.same("stat /compat/a", s.shell("stat", "/compat/a"), s.halo("fs", "stat", "/compat/a"))
	s.same("leader", lastLine(s.shell("leader")), lastLine(s.halo("fs", "leader")))
	s.same("masterInfo", sortedMasters(firstLines(javaAddresses(s.shell("masterInfo")), 2)), sortedMasters(firstLines(s.halo("fs", "masterInfo"), 2)))

	report, _, code := alluxio.AdminShell(t, s.conf, "report")
	if code != 0 {
		t.Fatalf("alluxio fsadmin report: exit %d\n%s", code, report)
	}
	if missing := notASubsequence(withoutUptime(report), withoutUptime(s.halo("fsadmin", "report"))); missing != "" {
		t.Errorf("Halo's report lacks the real report's line %q\nreal:\n%s", missing, report)
	}

	if s.admin {
		s.shell("unmount", "/compat/mnt")
	}
	s.shell("rm", "-R", "/compat")
	if got := s.halo("fs", "ls", "/"); strings.Contains(got, "/compat") {
		t.Errorf("after rm -R /compat, Halo still lists it:\n%s", got)
	}
	out, errOut, code := alluxio.Shell(t, s.conf, "stat", "/compat")
	if code == 0 || !strings.Contains(out+errOut, "/compat") {
		t.Errorf("stat of a removed path: exit %d, output %q; want a failure naming the path", code, out+errOut)
	}
}

// hadoopFS runs Hadoop's FsShell with Alluxio's Hadoop client
// (alluxio.hadoop.FileSystem from alluxio-shaded-client) on alluxio:///
// paths, as Spark, Hive and MapReduce jobs reach the file system.
func (s compatSuite) hadoopFS() {
	t := s.t
	t.Helper()
	hadoop := func(args ...string) string {
		t.Helper()
		out, errOut, code := alluxio.HadoopFS(t, s.conf, args...)
		if code != 0 {
			t.Fatalf("hadoop fs %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
		}
		return out
	}
	hadoop("-mkdir", "-p", "alluxio:///hadoop/x/y")
	hadoop("-touchz", "alluxio:///hadoop/x/f")
	hadoop("-mv", "alluxio:///hadoop/x/f", "alluxio:///hadoop/x/g")
	listing := hadoop("-ls", "-R", "alluxio:///hadoop")
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^d\S+\s+-\s+\S*\s+\S*\s+\d+ \d{4}-\d\d-\d\d \d\d:\d\d alluxio:///hadoop/x$`),
		regexp.MustCompile(`(?m)^d\S+\s+-\s+\S*\s+\S*\s+\d+ \d{4}-\d\d-\d\d \d\d:\d\d alluxio:///hadoop/x/y$`),
		regexp.MustCompile(`(?m)^-\S+\s+\d+\s+\S*\s+\S*\s+0 \d{4}-\d\d-\d\d \d\d:\d\d alluxio:///hadoop/x/g$`),
	} {
		if !want.MatchString(listing) {
			t.Errorf("hadoop fs -ls -R lacks a line matching %s:\n%s", want, listing)
		}
	}
	if strings.Contains(listing, "alluxio:///hadoop/x/f") {
		t.Errorf("hadoop fs -ls -R after -mv still shows the old name:\n%s", listing)
	}
	if got := s.halo("fs", "ls", "/hadoop/x"); !strings.Contains(got, "/hadoop/x/g") || !strings.Contains(got, "/hadoop/x/y") {
		t.Errorf("Halo's CLI does not see what the Hadoop client made:\n%s", got)
	}
	hadoop("-rm", "-r", "alluxio:///hadoop")
	if got := s.halo("fs", "ls", "/"); strings.Contains(got, "/hadoop") {
		t.Errorf("after hadoop fs -rm -r, Halo still lists /hadoop:\n%s", got)
	}
}

// quorumInfo compares `fsadmin journal quorum info` (Raft mode only).
func (s compatSuite) quorumInfo() {
	s.t.Helper()
	real, errOut, code := alluxio.AdminShell(s.t, s.conf, "journal", "quorum", "info", "-domain", "MASTER")
	if code != 0 {
		s.t.Fatalf("alluxio fsadmin journal quorum info: exit %d\n%s%s", code, real, errOut)
	}
	// Halo prints Alluxio's lines verbatim, then its own Raft figures.
	halo := s.halo("fsadmin", "journal", "quorum", "info", "-domain", "MASTER")
	s.same("journal quorum info", real, halo[:min(len(real), len(halo))])
}

// survivesLeaderKill kills the leader with SIGKILL; the real shell finds
// the new one and nothing acknowledged is lost.
func (s compatSuite) survivesLeaderKill() {
	t := s.t
	t.Helper()
	s.shell("mkdir", "/before")
	old := s.c.Leader(60 * time.Second)
	old.Kill()
	if got := s.shell("mkdir", "/after"); got != "Successfully created directory /after\n" {
		t.Errorf("mkdir after the leader's kill printed %q", got)
	}
	listing := s.shell("ls", "/")
	for _, p := range []string{"/before", "/after"} {
		if !strings.Contains(listing, p) {
			t.Errorf("after the failover ls / lacks %s:\n%s", p, listing)
		}
	}
	if leader := s.c.Leader(60 * time.Second); leader == old {
		t.Errorf("the killed master %s still leads", old.Name)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

func firstLines(s string, n int) string {
	lines := strings.SplitAfter(s, "\n")
	return strings.Join(lines[:min(n, len(lines))], "")
}

// javaAddresses drops the "/<unresolved>" Java prints in an unresolved
// socket address (host/<unresolved>:port).
func javaAddresses(s string) string { return strings.ReplaceAll(s, "/<unresolved>", "") }

func sortedLines(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// allMasters is masterInfo's list of masters, which Alluxio's shell prints
// in ZooKeeper's order in ZooKeeper mode.
var allMasters = regexp.MustCompile(`All masters: \[(.*)\]`)

func sortedMasters(s string) string {
	return allMasters.ReplaceAllStringFunc(s, func(line string) string {
		list := strings.Split(allMasters.FindStringSubmatch(line)[1], ", ")
		slices.Sort(list)
		return "All masters: [" + strings.Join(list, ", ") + "]"
	})
}

var uptimeLine = regexp.MustCompile(`(?m)^\s*Uptime: .*\n`)

func withoutUptime(s string) string { return uptimeLine.ReplaceAllString(s, "") }

// notASubsequence returns the first line of want that does not appear in
// got in order, or "" when all do: Halo's report adds its own lines
// (masters, journal) to Alluxio's.
func notASubsequence(want, got string) string {
	gotLines := strings.Split(got, "\n")
	i := 0
	for _, line := range strings.Split(want, "\n") {
		for i < len(gotLines) && gotLines[i] != line {
			i++
		}
		if i == len(gotLines) {
			return line
		}
		i++
	}
	return ""
}
