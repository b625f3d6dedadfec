package netns

import (
	"bufio"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/halo-fs/halo/internal/ports"
)

// A machine where Docker runs has the FORWARD policy at DROP and bridged
// packets crossing iptables (br_netfilter): the harness's hosts must still
// reach each other through its bridge, or every failover test would see a
// partition it did not make.
func TestHostsReachEachOtherWhenForwardDrops(t *testing.T) {
	if !bridgeFiltered() {
		t.Fatal("bridged packets do not cross iptables here (net.bridge.bridge-nf-call-iptables is not 1), so Docker's FORWARD policy cannot be reproduced")
	}
	setForwardPolicy(t, "DROP")
	nw := Start(t, 2, 0)
	m1, m2 := nw.Masters()[0], nw.Masters()[1]
	port, err := ports.Free("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	listener := m2.Command("python3", "-c", fmt.Sprintf(`import socket
s = socket.create_server((%q, %d))
print("ready", flush=True)
c, _ = s.accept()
c.sendall(b"reached")`, m2.IP, port))
	stdout, err := listener.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := listener.Start(); err != nil {
		t.Fatalf("listen in %s: %v", m2.NS, err)
	}
	t.Cleanup(func() { listener.Process.Kill(); listener.Wait() })
	if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || line != "ready\n" {
		t.Fatalf("listener in %s: %q %v", m2.NS, line, err)
	}
	dial := fmt.Sprintf("exec 3<>/dev/tcp/%s/%d && cat <&3", m2.IP, port)
	out, err := m1.Command("timeout", "10", "bash", "-c", dial).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "reached" {
		t.Fatalf("%s cannot reach %s through the bridge with the FORWARD policy at DROP: %q %v", m1.Name, m2.Name, out, err)
	}
}

// setForwardPolicy sets the root namespace's FORWARD policy, as Docker
// does when it starts, and puts the old one back when the test ends.
func setForwardPolicy(t *testing.T, policy string) {
	t.Helper()
	rules, err := exec.Command("iptables", "-w", "-S", "FORWARD").Output()
	if err != nil {
		t.Fatalf("iptables -S FORWARD: %v", err)
	}
	old := ""
	for _, line := range strings.Split(string(rules), "\n") {
		if p, ok := strings.CutPrefix(line, "-P FORWARD "); ok {
			old = strings.TrimSpace(p)
		}
	}
	if old == "" {
		t.Fatalf("no FORWARD policy in %q", rules)
	}
	if err := run("iptables", "-w", "-P", "FORWARD", policy); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { run("iptables", "-w", "-P", "FORWARD", old) })
}
