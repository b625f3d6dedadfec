package alluxio

import (
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// TestMasterCannotReachTheMachinesAddresses keeps the real master's
// probes on the test's own network. A master names itself (for a backup)
// by pinging the non-loopback addresses of the interfaces it sees, and no
// Alluxio setting avoids it; so it must run in a network namespace whose
// only addresses are loopback and its own, with no route to any of the
// machine's addresses.
func TestMasterCannotReachTheMachinesAddresses(t *testing.T) {
	pid := master.Process().Pid()
	if pid == 0 {
		t.Fatal("the master is not running")
	}
	ours, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	its, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	if its == ours {
		t.Fatalf("the master shares the test's network namespace (%s): a backup pings the machine's addresses", ours)
	}
	for _, a := range inNamespace(t, pid, "ip", "-o", "addr", "show") {
		f := strings.Fields(a)
		if len(f) < 4 || (f[2] != "inet" && f[2] != "inet6") {
			continue
		}
		ip, _, err := net.ParseCIDR(f[3])
		if err != nil {
			t.Fatalf("address %q: %v", a, err)
		}
		if !ip.IsLoopback() && !ip.IsLinkLocalUnicast() && !ip.Equal(net.ParseIP(master.Host)) {
			t.Errorf("the master's namespace has the address %s besides loopback and its own %s", ip, master.Host)
		}
	}
	machine, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	// The test's end of the pair is the one address of this namespace
	// the master may reach: the test made it.
	for _, a := range machine {
		ip, _, err := net.ParseCIDR(a.String())
		if err != nil || ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.Equal(net.ParseIP(master.PeerHost())) {
			continue
		}
		route := exec.Command("nsenter", "-t", strconv.Itoa(pid), "-n", "ip", "route", "get", ip.String())
		if out, err := route.CombinedOutput(); err == nil {
			t.Errorf("the master's namespace routes to the machine's address %s: %s", ip, strings.TrimSpace(string(out)))
		}
	}
}

// inNamespace runs argv in the network namespace of process pid and
// returns its output's lines.
func inNamespace(t *testing.T, pid int, argv ...string) []string {
	t.Helper()
	out, err := exec.Command("nsenter", append([]string{"-t", strconv.Itoa(pid), "-n"}, argv...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s in the master's namespace: %v: %s", strings.Join(argv, " "), err, out)
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}
