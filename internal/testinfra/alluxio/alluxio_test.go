package alluxio

import (
	"fmt"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/halo-fs/halo/internal/ports"
	"github.com/halo-fs/halo/internal/testinfra/proc"
	"github.com/halo-fs/halo/proto/alluxiopb"
)

// master is the real Alluxio master the package's tests share (each works
// under a folder of its own); TestBackup starts its own.
var master *Master

func TestMain(m *testing.M) {
	proc.ForPackage(m, "a real Alluxio "+Version+" master (make alluxio-deps)",
		func(dir string) (*Master, error) {
			start := time.Now()
			mm, err := StartMasterIn(dir, nil)
			if err == nil {
				fmt.Printf("the Alluxio master served %v after its start\n", time.Since(start).Round(time.Millisecond))
			}
			return mm, err
		},
		func(mm *Master) error { master = mm; return nil })
}

// ok runs the real shell and fails the test unless it exits 0.
func ok(t *testing.T, main MainClass, args ...string) string {
	t.Helper()
	r := RunT(t, Command{Main: main, Conf: master.ClientConf(), Args: args})
	if r.ExitCode != 0 {
		t.Fatalf("%s %s: %v", main, strings.Join(args, " "), r)
	}
	return r.Stdout
}

// wantLines fails the test unless every pattern matches a line of out.
func wantLines(t *testing.T, what, out string, patterns ...string) {
	t.Helper()
	lines := strings.Split(out, "\n")
	for _, p := range patterns {
		re := regexp.MustCompile(p)
		found := false
		for _, l := range lines {
			found = found || re.MatchString(l)
		}
		if !found {
			t.Errorf("%s: no line matches %q in:\n%s", what, p, out)
		}
	}
}

func TestShellMetadataCommands(t *testing.T) {
	out := ok(t, FileSystemShell, "mkdir", "/shell/a/b")
	wantLines(t, "mkdir", out, `^Successfully created directory /shell/a/b$`)
	out = ok(t, FileSystemShell, "touch", "/shell/a/f")
	wantLines(t, "touch", out, `^/shell/a/f has been created$`)

	out = ok(t, FileSystemShell, "ls", "-R", "/shell")
	wantLines(t, "ls -R", out,
		`^drwxr-xr-x\s+\S+\s+\S+\s+2\s+NOT_PERSISTED .* DIR /shell/a\s*$`,
		`^drwxr-xr-x\s+\S+\s+\S+\s+0\s+NOT_PERSISTED .* DIR /shell/a/b\s*$`,
		`^-rw-r--r--\s+\S+\s+\S+\s+0\s+TO_BE_PERSISTED .* 100% /shell/a/f\s*$`)

	out = ok(t, FileSystemShell, "stat", "/shell/a/f")
	wantLines(t, "stat", out, `^/shell/a/f is a file path\.$`, `path=/shell/a/f,`, `^This file does not contain any blocks\.$`)
	out = ok(t, FileSystemShell, "stat", "/shell/a")
	wantLines(t, "stat of a folder", out, `^/shell/a is a directory path\.$`, `folder=true`)

	out = ok(t, FileSystemShell, "mv", "/shell/a/f", "/shell/a/g")
	wantLines(t, "mv", out, `^Renamed /shell/a/f to /shell/a/g$`)
	out = ok(t, FileSystemShell, "ls", "/shell/a")
	if strings.Contains(out, "/shell/a/f") || !strings.Contains(out, "/shell/a/g") {
		t.Errorf("ls after mv shows f, or not g:\n%s", out)
	}

	out = ok(t, FileSystemShell, "rm", "-R", "/shell/a")
	wantLines(t, "rm -R", out, `^/shell/a has been removed$`)
	// The shell prints its errors on standard output.
	stdout, _, code := Shell(t, master.ClientConf(), "ls", "/shell/a")
	if code == 0 || strings.TrimSpace(stdout) != `Path "/shell/a" does not exist.` {
		t.Errorf("ls of a removed folder: exit %d, stdout %q; want a failure saying it does not exist", code, stdout)
	}
}

func TestClientConf(t *testing.T) {
	one := ClientConf("127.0.0.1:19998")
	if len(one) != 2 || one["alluxio.master.hostname"] != "127.0.0.1" || one["alluxio.master.rpc.port"] != "19998" {
		t.Errorf("ClientConf of one address = %v; want its host name and RPC port", one)
	}
	three := ClientConf("127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3")
	if len(three) != 1 || three["alluxio.master.rpc.addresses"] != "127.0.0.1:1,127.0.0.1:2,127.0.0.1:3" {
		t.Errorf("ClientConf of three addresses = %v; want them in alluxio.master.rpc.addresses", three)
	}
}

func TestMasterListensOnLoopbackOnly(t *testing.T) {
	wantLoopbackOnly(t, map[string]int{"RPC": master.RPCPort, "web": master.WebPort})
}

func TestShellFindsTheLeader(t *testing.T) {
	// 2.9.3 prints a deprecation notice on standard output before the
	// host name.
	out := ok(t, FileSystemShell, "leader")
	if want := "This command will be deprecated as of v3.0, please use masterInfo command\n127.0.0.1\n"; out != want {
		t.Errorf("leader printed %q; want %q", out, want)
	}
	out = ok(t, FileSystemShell, "masterInfo")
	port := strconv.Itoa(master.RPCPort)
	wantLines(t, "masterInfo", out,
		`^Current leader master: 127\.0\.0\.1/<unresolved>:`+port+`$`,
		`^All masters: \[127\.0\.0\.1/<unresolved>:`+port+`\]$`)
}

// TestShellFindsThePrimaryInAList gives the shell two addresses, the
// first with no master: it polls the list, as against Halo's masters.
func TestShellFindsThePrimaryInAList(t *testing.T) {
	nobody, err := ports.Free(loopback)
	if err != nil {
		t.Fatal(err)
	}
	absent := net.JoinHostPort(loopback, strconv.Itoa(nobody))
	conf := ClientConf(absent, master.Address())
	stdout, stderr, code := Shell(t, conf, "masterInfo")
	if code != 0 {
		t.Fatalf("masterInfo: exit %d\n%s%s", code, stdout, stderr)
	}
	wantLines(t, "masterInfo", stdout,
		`^Current leader master: 127\.0\.0\.1/<unresolved>:`+strconv.Itoa(master.RPCPort)+`$`,
		`^All masters: \[127\.0\.0\.1/<unresolved>:`+strconv.Itoa(nobody)+`, 127\.0\.0\.1/<unresolved>:`+strconv.Itoa(master.RPCPort)+`\]$`)
}

// TestShellWithoutAMaster records what the shell says when no master
// answers, with its retries cut from two minutes to two seconds.
func TestShellWithoutAMaster(t *testing.T) {
	nobody, err := ports.Free(loopback)
	if err != nil {
		t.Fatal(err)
	}
	conf := ClientConf(net.JoinHostPort(loopback, strconv.Itoa(nobody)))
	conf["alluxio.user.rpc.retry.max.duration"] = "2s"
	stdout, stderr, code := Shell(t, conf, "ls", "/")
	t.Logf("ls without a master: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	if code == 0 || !strings.Contains(stdout, "Failed to connect to master") {
		t.Errorf("ls without a master: exit %d, stdout %q; want a failure to connect", code, stdout)
	}
}

func TestAdminReport(t *testing.T) {
	out := ok(t, FileSystemAdminShell, "report")
	wantLines(t, "fsadmin report", out,
		`^Alluxio cluster summary: $`,
		`^\s+Rpc Port: `+strconv.Itoa(master.RPCPort)+`$`,
		`^\s+Web Port: `+strconv.Itoa(master.WebPort)+`$`,
		`^\s+Version: `+regexp.QuoteMeta(Version)+`$`,
		`^\s+Safe Mode: false$`,
		`^\s+Zookeeper Enabled: false$`,
		`^\s+Raft-based Journal: false$`,
		`^\s+Live Workers: 0$`)
}

func TestEmbeddedJournalMaster(t *testing.T) {
	m := StartMaster(t, map[string]string{"alluxio.master.journal.type": "EMBEDDED"})
	wantLoopbackOnly(t, map[string]int{"RPC": m.RPCPort, "web": m.WebPort, "embedded journal": m.JournalPort})
	conf := m.ClientConf()
	stdout, stderr, code := AdminShell(t, conf, "journal", "quorum", "info", "-domain", "MASTER")
	if code != 0 {
		t.Fatalf("fsadmin journal quorum info: exit %d\n%s%s", code, stdout, stderr)
	}
	journal := regexp.QuoteMeta(m.JournalAddress())
	wantLines(t, "quorum info", stdout,
		`^Journal domain\s+: MASTER$`,
		`^Quorum size\s+: 1$`,
		`^Quorum leader\s+: `+journal+`$`,
		`^STATE\s+\| PRIORITY \| SERVER ADDRESS$`,
		`^AVAILABLE\s+\| 0\s+\| `+journal+`$`)
	stdout, stderr, code = AdminShell(t, conf, "report")
	if code != 0 {
		t.Fatalf("fsadmin report: exit %d\n%s%s", code, stdout, stderr)
	}
	wantLines(t, "report", stdout, `^\s+Raft-based Journal: true$`, `^\s+Raft Journal Addresses: $`, `^\s+`+journal+`$`)
}

func TestHadoopFS(t *testing.T) {
	conf := master.ClientConf()
	hadoop := func(args ...string) string {
		t.Helper()
		r := RunT(t, Command{Main: HadoopFsShell, Conf: conf, Args: args})
		if r.ExitCode != 0 {
			t.Fatalf("hadoop fs %s: %v", strings.Join(args, " "), r)
		}
		return r.Stdout
	}
	hadoop("-mkdir", "-p", "alluxio:///hadoop/x/y")
	hadoop("-touchz", "alluxio:///hadoop/x/f")
	hadoop("-mv", "alluxio:///hadoop/x/f", "alluxio:///hadoop/x/g")
	out := hadoop("-ls", "-R", "alluxio:///hadoop")
	wantLines(t, "hadoop fs -ls -R", out,
		`^drwxr-xr-x\s+-\s+\S+\s+\S+\s+\d+ \d{4}-\d\d-\d\d \d\d:\d\d alluxio:///hadoop/x$`,
		`^d\S+\s+-\s+\S+\s+\S+\s+\d+ \d{4}-\d\d-\d\d \d\d:\d\d alluxio:///hadoop/x/y$`,
		`^-rw-r--r--\s+\d+\s+\S+\s+\S+\s+0 \d{4}-\d\d-\d\d \d\d:\d\d alluxio:///hadoop/x/g$`)
	if strings.Contains(out, "alluxio:///hadoop/x/f") {
		t.Errorf("-ls -R after -mv still shows the old name:\n%s", out)
	}
	hadoop("-rm", "-r", "alluxio:///hadoop/x")
	// The real shell sees what the Hadoop client did.
	stdout, _, code := Shell(t, conf, "ls", "/hadoop/x")
	if code == 0 || !strings.Contains(stdout, "does not exist") {
		t.Errorf("ls of a folder removed with hadoop fs -rm -r: exit %d, stdout %q", code, stdout)
	}
}

// TestBackup takes a backup of a tree with an owner, a group, a mode and
// a mount point changed from their defaults, the inputs of an import.
func TestBackup(t *testing.T) {
	start := time.Now()
	m := StartMaster(t, nil)
	t.Logf("a second master served %v after its start", time.Since(start).Round(time.Millisecond))
	mounted := t.TempDir()
	conf := m.ClientConf()
	for _, args := range [][]string{
		{"mkdir", "/backup/d"},
		{"touch", "/backup/d/f"},
		{"chmod", "700", "/backup/d"},
		// chown alice:staff would need alice in staff on this machine.
		{"chown", "alice", "/backup/d/f"},
		{"chgrp", "staff", "/backup/d/f"},
		{"mount", "/backup/mnt", mounted},
	} {
		if stdout, stderr, code := Shell(t, conf, args...); code != 0 {
			t.Fatalf("%v: exit %d\n%s%s", args, code, stdout, stderr)
		}
	}
	b := m.Backup(t)
	if b.Entries == 0 || !strings.HasPrefix(b.Path, m.Backups+"/alluxio-backup-") || !strings.HasSuffix(b.Path, ".gz") {
		t.Errorf("backup %+v: want entries, in %s/alluxio-backup-*.gz", b, m.Backups)
	}
	entries, err := ReadBackup(b.Path)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != b.Entries {
		t.Errorf("the backup holds %d entries; fsadmin backup said %d", len(entries), b.Entries)
	}
	found := map[string]bool{}
	for _, e := range entries {
		if d := e.GetInodeDirectory(); d != nil {
			found["dir "+d.GetName()+" "+ownerAndMode(d.GetAcl())] = true
		}
		if f := e.GetInodeFile(); f != nil {
			found["file "+f.GetName()+" "+ownerAndMode(f.GetAcl())] = true
		}
		if mp := e.GetAddMountPoint(); mp != nil {
			found["mount "+mp.GetAlluxioPath()+" "+mp.GetUfsPath()] = true
		}
	}
	for _, want := range []string{
		"dir backup root:root 755",
		"dir d root:root 700",
		"file f alice:staff 644",
		"mount /backup/mnt " + mounted,
	} {
		if !found[want] {
			t.Errorf("the backup lacks %q; it holds %v", want, found)
		}
	}
}

// ownerAndMode reads "owner:group mode" from an inode's ACL, where a
// backup keeps them (its owner, group and mode fields stay empty): the
// unnamed user and group entries are the owner's and the group's bits.
func ownerAndMode(acl *alluxiopb.AccessControlList) string {
	bits := func(a *alluxiopb.AclActions) int {
		n := 0
		for _, action := range a.GetActions() {
			switch action {
			case alluxiopb.AclAction_READ:
				n |= 4
			case alluxiopb.AclAction_WRITE:
				n |= 2
			case alluxiopb.AclAction_EXECUTE:
				n |= 1
			}
		}
		return n
	}
	unnamed := func(entries []*alluxiopb.NamedAclActions) *alluxiopb.AclActions {
		for _, e := range entries {
			if e.GetName() == "" {
				return e.GetActions()
			}
		}
		return nil
	}
	mode := bits(unnamed(acl.GetUserActions()))<<6 | bits(unnamed(acl.GetGroupActions()))<<3 | bits(acl.GetOtherActions())
	return fmt.Sprintf("%s:%s %o", acl.GetOwningUser(), acl.GetOwningGroup(), mode)
}

func TestParseBackup(t *testing.T) {
	out := "Backup state: Initiating\r          \rBackup state: Running\r\n" +
		"Backup Host        : node-1\n" +
		"Backup URI         : file:///var/backups/alluxio-backup-2026-12-04-1796414298954.gz\n" +
		"Backup Entry Count : 6\n"
	b, err := ParseBackup(out)
	want := Backup{Path: "/var/backups/alluxio-backup-2026-12-04-1796414298954.gz", Host: "node-1", Entries: 6}
	if err != nil || b != want {
		t.Errorf("ParseBackup = %+v, %v; want %+v", b, err, want)
	}
	for _, bad := range []string{
		"Backup state: Failed\n",
		"Backup URI         : hdfs://nn/b.gz\nBackup Entry Count : 6\n",
		"Backup URI         : file:///b.gz\nBackup Entry Count : many\n",
	} {
		if b, err := ParseBackup(bad); err == nil {
			t.Errorf("ParseBackup(%q) = %+v; want an error", bad, b)
		}
	}
}

func TestReadBackupRefusesAFileThatIsNotGzip(t *testing.T) {
	path := t.TempDir() + "/not-a-backup.gz"
	if err := os.WriteFile(path, []byte("plain text"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadBackup(path); err == nil {
		t.Error("ReadBackup of a plain text file: no error")
	}
}
