package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/halo-fs/halo/internal/testinfra/netns"
	"github.com/halo-fs/halo/internal/testinfra/proc"
)

// sshHosts are machines reached only over ssh: network-namespace hosts of
// the failover harness, each running Debian's OpenSSH server, whose
// sessions see a folder of their own where the operator's machine has the
// release's parent folder — another machine's disk at the same path.
type sshHosts struct {
	hosts   []*netns.Host
	disks   []string // what each host sees at the release's parent folder
	sshOpts string   // ALLUXIO_SSH_OPTS for the scripts
}

// startSSHHosts makes n hosts with an sshd each that accepts a key made
// for this test, and a disk each holding a copy of r (the release as
// unpacked there, without the configuration copyDir brings).
func startSSHHosts(t *testing.T, r *release, n int) *sshHosts {
	t.Helper()
	if out, err := exec.Command(filepath.Join(repoRoot(), "scripts", "openssh.sh"), "install").CombinedOutput(); err != nil {
		t.Fatalf("scripts/openssh.sh install: %v\n%s", err, out)
	}
	nw := netns.Start(t, n, 0)
	keys := proc.Dir(t)
	clientKey := filepath.Join(keys, "id_ed25519")
	hostKey := filepath.Join(keys, "host_ed25519")
	for _, key := range []string{clientKey, hostKey} {
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v\n%s", err, out)
		}
	}
	authorized, err := os.ReadFile(clientKey + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(keys, "authorized_keys"), authorized, 0o600); err != nil {
		t.Fatal(err)
	}
	// sshd's privilege separation folder, which the package's service
	// would make.
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		t.Fatal(err)
	}
	s := &sshHosts{hosts: nw.Masters(), sshOpts: fmt.Sprintf(
		"-i %s -o IdentitiesOnly=yes -o BatchMode=yes -o ConnectTimeout=5 -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR",
		clientKey)}
	parent := filepath.Dir(r.home)
	disks := proc.Dir(t)
	for _, h := range s.hosts {
		disk := filepath.Join(disks, h.Name)
		if out, err := exec.Command("cp", "-a", parent, disk).CombinedOutput(); err != nil {
			t.Fatalf("copy the release to %s's disk: %v\n%s", h.Name, err, out)
		}
		os.Remove(filepath.Join(disk, filepath.Base(r.home), "conf", "alluxio-site.properties"))
		s.disks = append(s.disks, disk)
		config := filepath.Join(keys, "sshd_config_"+h.Name)
		if err := os.WriteFile(config, []byte(sshdConfig(h.IP, hostKey, keys)), 0o600); err != nil {
			t.Fatal(err)
		}
		// `ip netns exec` gives the command a mount namespace of its own,
		// so the bind mount is this host's alone.
		sshd := proc.New("sshd-"+h.Name, h, filepath.Join(keys, "sshd-"+h.Name+".log"), "sh", "-c",
			fmt.Sprintf("mount --bind %q %q && exec /usr/sbin/sshd -D -e -f %q", disk, parent, config))
		if err := sshd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(sshd.Kill)
	}
	r.env = append(r.env, "ALLUXIO_SSH_OPTS="+s.sshOpts)
	s.waitServing(t)
	return s
}

func sshdConfig(ip, hostKey, keys string) string {
	return fmt.Sprintf(`ListenAddress %s:22
HostKey %s
AuthorizedKeysFile %s/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile none
`, ip, hostKey, keys)
}

// waitServing polls each host with `ssh host true` until it answers.
func (s *sshHosts) waitServing(t *testing.T) {
	t.Helper()
	for _, h := range s.hosts {
		var out []byte
		var err error
		for try := 0; try < 100; try++ {
			cmd := exec.Command("sh", "-c", fmt.Sprintf("ssh %s %s true", s.sshOpts, h.IP))
			if out, err = cmd.CombinedOutput(); err == nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err != nil {
			t.Fatalf("sshd on %s (%s) does not answer: %v\n%s", h.Name, h.IP, err, out)
		}
	}
}

func (s *sshHosts) ips() []string {
	ips := make([]string, len(s.hosts))
	for i, h := range s.hosts {
		ips[i] = h.IP
	}
	return ips
}

// The guide's multi-machine path: conf/ copied to every host with
// `bin/alluxio copyDir conf/` (rsync over ssh), then format, start, a
// leader, a namespace and a stop, all driven over ssh from the operator's
// machine, which runs no master itself.
func TestGuideCopyDirAndStartOverSSH(t *testing.T) {
	r := extractRelease(t)
	s := startSSHHosts(t, r, 3)
	addresses := make([]string, len(s.hosts))
	for i, ip := range s.ips() {
		addresses[i] = ip + ":19200"
	}
	r.configure("alluxio.master.embedded.journal.addresses="+strings.Join(addresses, ",")+"\n", s.ips(), nil)

	r.must("bin/alluxio", "copyDir", "conf/")
	want, err := os.ReadFile(filepath.Join(r.home, "conf", "alluxio-site.properties"))
	if err != nil {
		t.Fatal(err)
	}
	for i, h := range s.hosts {
		got, err := os.ReadFile(filepath.Join(s.disks[i], filepath.Base(r.home), "conf", "alluxio-site.properties"))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("copyDir conf/ did not bring alluxio-site.properties to %s (%v)", h.Name, err)
		}
	}

	r.must("bin/alluxio", "format")
	r.must("bin/alluxio-start.sh", "all")
	leader := r.waitLeader("")
	r.must("bin/alluxio", "fs", "mkdir", "/over-ssh")
	if listing := r.must("bin/alluxio", "fs", "ls", "/"); !strings.Contains(listing, "/over-ssh") {
		t.Errorf("fs ls / shows\n%s\nwant /over-ssh", listing)
	}
	for i, h := range s.hosts {
		if _, err := os.Stat(filepath.Join(s.disks[i], filepath.Base(r.home), "pids", "master-"+h.IP+".pid")); err != nil {
			t.Errorf("no pid file on %s's disk: %v", h.Name, err)
		}
	}
	t.Logf("masters started over ssh; %s leads", leader)
	r.must("bin/alluxio-stop.sh", "all")
	if left := r.masterProcesses(); len(left) > 0 {
		t.Errorf("alluxio-stop.sh all left masters %v running", left)
	}
}
