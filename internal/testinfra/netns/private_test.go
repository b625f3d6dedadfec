package netns

import (
	"net"
	"strings"
	"testing"
)

func TestPrivateReachesOnlyItsPeer(t *testing.T) {
	a, err := NewPrivate()
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := NewPrivate()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if a.NS == b.NS || a.IP == b.IP {
		t.Fatalf("two private namespaces share %s, %s", a.NS, a.IP)
	}
	if out, err := a.Command("ip", "route", "get", a.PeerIP).CombinedOutput(); err != nil {
		t.Errorf("no route from %s to its peer %s: %v: %s", a.NS, a.PeerIP, err, out)
	}
	if out, err := output("ip", "route", "get", a.IP); err != nil || !strings.Contains(out, "dev "+a.veth) {
		t.Errorf("%s is not routed through %s: %s %v", a.IP, a.veth, out, err)
	}
	// Neither the machine's own addresses nor another private
	// namespace's are reachable from it.
	others := []net.IP{net.ParseIP(b.IP)}
	machine, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, addr := range machine {
		if ip, _, err := net.ParseCIDR(addr.String()); err == nil && !ip.IsLoopback() && !ip.IsLinkLocalUnicast() && ip.String() != a.PeerIP {
			others = append(others, ip)
		}
	}
	for _, ip := range others {
		if out, err := a.Command("ip", "route", "get", ip.String()).CombinedOutput(); err == nil {
			t.Errorf("%s routes to %s: %s", a.NS, ip, out)
		}
	}

	a.Close()
	a.Close()
	if run("ip", "netns", "exec", a.NS, "true") == nil {
		t.Errorf("the namespace %s survives Close", a.NS)
	}
	if run("ip", "link", "show", a.veth) == nil {
		t.Errorf("the veth %s survives Close", a.veth)
	}
}
