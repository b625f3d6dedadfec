// Package netns places test servers in network namespaces of their own:
// a bridge in the root namespace with one namespace per host, so that
// faults can cut, drop and slow traffic between hosts with iptables and tc
// while the test's clients, in the root namespace, reach every host
// through the bridge. It needs root; one network exists on a machine at a
// time (a lock file says whose it is). A Private namespace, for one server
// kept off the machine's own network, stands apart from that network, and
// many exist at once.
package netns

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Names and addresses of everything the harness creates. They share one
// prefix so that a sweep can find what a crashed run left behind.
const (
	namePrefix = "haloj"
	bridgeName = "haloj0"
	subnet     = "10.77.0"
	bridgeIP   = subnet + ".1"
	// firstMasterOctet and firstZooKeeperOctet are the last octets of
	// the first master's and the first ZooKeeper server's addresses.
	firstMasterOctet    = 11
	firstZooKeeperOctet = 21
	// inputChain and outputChain hold every fault rule inside a
	// namespace; healing flushes them.
	inputChain  = "HALOJ-IN"
	outputChain = "HALOJ-OUT"
	// forwardComment marks the rule that lets bridged traffic through the
	// root namespace's FORWARD chain when br_netfilter is loaded.
	forwardComment = "halo-jepsen"
	lockPath       = "/run/halo-jepsen.lock"
	// guardMetric is the metric of an unreachable route for the whole
	// subnet in the root namespace. The bridge's own route wins while the
	// bridge exists; once it is gone (a crash, a sweep), traffic for the
	// masters' addresses fails here instead of following the default
	// route off the machine.
	guardMetric = "4242"
)

var guardRoute = []string{"unreachable", subnet + ".0/24", "metric", guardMetric}

// Network is a bridge in the root namespace with one network namespace per
// host attached to it by a veth pair. Clients run in the root namespace and
// reach every host through the bridge address.
type Network struct {
	Hosts []*Host // masters first, then ZooKeeper servers
	lock  *os.File
	fwd   bool // added the FORWARD accept rule
}

// Masters are the hosts meant for masters, m1, m2, ...
func (nw *Network) Masters() []*Host { return nw.byPrefix("m") }

// ZooKeepers are the hosts meant for ZooKeeper servers, z1, z2, ...
func (nw *Network) ZooKeepers() []*Host { return nw.byPrefix("z") }

func (nw *Network) byPrefix(p string) []*Host {
	var out []*Host
	for _, h := range nw.Hosts {
		if strings.HasPrefix(h.Name, p) {
			out = append(out, h)
		}
	}
	return out
}

// Host is one network namespace with one address on the bridge.
type Host struct {
	Name string // m1, m2, ... for masters; z1, z2, ... for ZooKeeper servers
	NS   string // the namespace
	IP   string
	veth string // the root-namespace end of the veth pair
}

// Start is New for a test: it fails the test when the network cannot be
// made and removes it when the test ends, after the processes in it.
func Start(t testing.TB, masters, zookeepers int) *Network {
	t.Helper()
	nw, err := New(masters, zookeepers)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nw.Close)
	return nw
}

// New takes the machine-wide harness lock (so two runs never share
// the bridge), removes whatever a crashed run left behind, and creates the
// bridge, a namespace for each of the masters (m1 at 10.77.0.11, m2 at .12,
// ...) and one for each of the zookeepers (z1 at 10.77.0.21, ...). Close
// undoes all of it.
func New(masters, zookeepers int) (*Network, error) {
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("the failover harness needs root (network namespaces, iptables); run as root")
	}
	for _, tool := range []string{"ip", "iptables", "tc"} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, fmt.Errorf("%s is not installed (jepsen/scripts/install-deps.sh installs it): %w", tool, err)
		}
	}
	lock, err := os.OpenFile(lockPath, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", lockPath, err)
	}
	if err := flockWithin(lock, 15*time.Minute); err != nil {
		lock.Close()
		return nil, err
	}
	nw := &Network{lock: lock}
	Sweep()
	if err := nw.create(masters, zookeepers); err != nil {
		nw.Close()
		return nil, err
	}
	return nw, nil
}

// flockWithin waits for an exclusive lock on f, polling, up to d.
func flockWithin(f *os.File, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("another failover run holds %s: %w", lockPath, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func (nw *Network) create(masters, zookeepers int) error {
	if masters < 1 || masters > 9 {
		return fmt.Errorf("network of %d masters: want 1-9", masters)
	}
	if zookeepers < 0 || zookeepers > 9 {
		return fmt.Errorf("network of %d ZooKeeper servers: want 0-9", zookeepers)
	}
	steps := [][]string{
		append([]string{"ip", "route", "replace"}, guardRoute...),
		{"ip", "link", "add", bridgeName, "type", "bridge"},
		{"ip", "addr", "add", bridgeIP + "/24", "dev", bridgeName},
		{"ip", "link", "set", bridgeName, "up"},
	}
	if err := runAll(steps); err != nil {
		return err
	}
	if bridgeFiltered() {
		// With br_netfilter, bridged packets cross FORWARD, whose policy
		// a container runtime may have set to DROP.
		if err := run("iptables", "-w", "-I", "FORWARD", "-i", bridgeName, "-o", bridgeName,
			"-m", "comment", "--comment", forwardComment, "-j", "ACCEPT"); err != nil {
			return err
		}
		nw.fwd = true
	}
	var hosts []*Host
	for i := 0; i < masters; i++ {
		hosts = append(hosts, newHost(fmt.Sprintf("m%d", i+1), firstMasterOctet+i))
	}
	for i := 0; i < zookeepers; i++ {
		hosts = append(hosts, newHost(fmt.Sprintf("z%d", i+1), firstZooKeeperOctet+i))
	}
	for _, h := range hosts {
		nw.Hosts = append(nw.Hosts, h)
		if err := runAll(namespaceSteps(h.NS, h.veth, h.IP, []string{"ip", "link", "set", h.veth, "master", bridgeName})); err != nil {
			return err
		}
		if out, err := output("ip", "route", "get", h.IP); err != nil || !strings.Contains(out, "dev "+bridgeName) {
			return fmt.Errorf("%s is not routed through %s: %s %v", h.IP, bridgeName, out, err)
		}
		for _, chain := range [][2]string{{inputChain, "INPUT"}, {outputChain, "OUTPUT"}} {
			if err := h.iptables("-N", chain[0]); err != nil {
				return err
			}
			if err := h.iptables("-I", chain[1], "-j", chain[0]); err != nil {
				return err
			}
		}
	}
	return nil
}

// namespaceSteps create namespace ns joined to the test's namespace by a
// veth pair: veth stays in the test's, configured by hostEnd and brought
// up; its peer becomes ns's eth0, with address ip/24, up with ns's
// loopback.
func namespaceSteps(ns, veth, ip string, hostEnd []string) [][]string {
	peer := veth + "p"
	return [][]string{
		{"ip", "netns", "add", ns},
		{"ip", "link", "add", veth, "type", "veth", "peer", "name", peer},
		{"ip", "link", "set", peer, "netns", ns},
		{"ip", "-n", ns, "link", "set", peer, "name", "eth0"},
		hostEnd,
		{"ip", "link", "set", veth, "up"},
		{"ip", "-n", ns, "addr", "add", ip + "/24", "dev", "eth0"},
		{"ip", "-n", ns, "link", "set", "eth0", "up"},
		{"ip", "-n", ns, "link", "set", "lo", "up"},
	}
}

// nsCommand returns a command that runs argv inside namespace ns; `ip
// netns exec` execs it, so the process id is the program's own.
func nsCommand(ns string, argv ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", ns}, argv...)...)
}

func newHost(name string, octet int) *Host {
	return &Host{
		Name: name,
		NS:   namePrefix + "-" + name,
		IP:   fmt.Sprintf("%s.%d", subnet, octet),
		veth: namePrefix + "-" + name,
	}
}

func bridgeFiltered() bool {
	b, err := os.ReadFile("/proc/sys/net/bridge/bridge-nf-call-iptables")
	return err == nil && strings.TrimSpace(string(b)) == "1"
}

// Close deletes the namespaces, the bridge and the FORWARD rule, and
// releases the lock.
func (nw *Network) Close() {
	for _, h := range nw.Hosts {
		run("ip", "netns", "del", h.NS)
		run("ip", "link", "del", h.veth)
	}
	nw.Hosts = nil
	if nw.fwd {
		run("iptables", "-w", "-D", "FORWARD", "-i", bridgeName, "-o", bridgeName,
			"-m", "comment", "--comment", forwardComment, "-j", "ACCEPT")
		nw.fwd = false
	}
	run("ip", "link", "del", bridgeName)
	run(append([]string{"ip", "route", "del"}, guardRoute...)...)
	if nw.lock != nil {
		syscall.Flock(int(nw.lock.Fd()), syscall.LOCK_UN)
		nw.lock.Close()
		nw.lock = nil
	}
}

// CheckLeftovers reports harness state that no run owns: it takes the
// harness lock without waiting (when another run holds it, everything there
// is that run's, and it reports nothing), describes what it finds, and
// sweeps it away.
func CheckLeftovers() string {
	lock, err := os.OpenFile(lockPath, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return ""
	}
	defer lock.Close()
	if syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
		return ""
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	left := leftovers()
	if left != "" {
		Sweep()
	}
	return left
}

// Sweep removes namespaces, links, routes and FORWARD rules of the
// harness: what a run killed before its cleanup left behind. Call it only
// while holding the harness lock.
func Sweep() {
	if out, err := output("ip", "netns", "list"); err == nil {
		for _, line := range strings.Split(out, "\n") {
			name, _, _ := strings.Cut(strings.TrimSpace(line), " ")
			if strings.HasPrefix(name, namePrefix+"-") {
				killNamespaceProcesses(name)
				run("ip", "netns", "del", name)
			}
		}
	}
	if out, err := output("ip", "-o", "link", "show"); err == nil {
		for _, line := range strings.Split(out, "\n") {
			f := strings.Fields(line)
			if len(f) < 2 {
				continue
			}
			name, _, _ := strings.Cut(strings.TrimSuffix(f[1], ":"), "@")
			if strings.HasPrefix(name, namePrefix) {
				run("ip", "link", "del", name)
			}
		}
	}
	run(append([]string{"ip", "route", "del"}, guardRoute...)...)
	for i := 0; i < 10; i++ {
		if run("iptables", "-w", "-D", "FORWARD", "-i", bridgeName, "-o", bridgeName,
			"-m", "comment", "--comment", forwardComment, "-j", "ACCEPT") != nil {
			break
		}
	}
}

// leftovers describes harness state that exists now (namespaces, links,
// the guard route, FORWARD rules); empty when there is none.
func leftovers() string {
	var b strings.Builder
	if out, err := output("ip", "netns", "list"); err == nil {
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), namePrefix+"-") {
				fmt.Fprintf(&b, "namespace %s\n", strings.TrimSpace(line))
			}
		}
	}
	if out, err := output("ip", "-o", "link", "show"); err == nil {
		for _, line := range strings.Split(out, "\n") {
			if f := strings.Fields(line); len(f) > 1 && strings.HasPrefix(f[1], namePrefix) {
				fmt.Fprintf(&b, "link %s\n", strings.TrimSuffix(f[1], ":"))
			}
		}
	}
	if out, err := output("ip", "route", "show", subnet+".0/24"); err == nil && strings.TrimSpace(out) != "" {
		fmt.Fprintf(&b, "route %s\n", strings.TrimSpace(out))
	}
	if out, err := output("iptables", "-w", "-S", "FORWARD"); err == nil && strings.Contains(out, forwardComment) {
		b.WriteString("FORWARD rule " + forwardComment + "\n")
	}
	return b.String()
}

// killNamespaceProcesses kills what still runs inside a stale namespace
// (masters of a run that was itself killed): they would hold its ports.
func killNamespaceProcesses(ns string) {
	out, err := output("ip", "netns", "pids", ns)
	if err != nil {
		return
	}
	for _, f := range strings.Fields(out) {
		var pid int
		if _, err := fmt.Sscan(f, &pid); err == nil && pid > 1 {
			syscall.Kill(pid, syscall.SIGCONT)
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// Command returns a command that runs argv inside the host's namespace.
func (h *Host) Command(argv ...string) *exec.Cmd { return nsCommand(h.NS, argv...) }

func (h *Host) iptables(args ...string) error {
	return run(append([]string{"ip", "netns", "exec", h.NS, "iptables", "-w"}, args...)...)
}

// DropFrom makes the host drop every packet that arrives from the given
// hosts (a Jepsen "grudge"). probability < 1 drops that share of them at
// random (iptables' statistic match): a lossy link.
func (h *Host) DropFrom(from []*Host, probability float64) error {
	for _, o := range from {
		args := []string{"-A", inputChain, "-s", o.IP}
		if probability < 1 {
			args = append(args, "-m", "statistic", "--mode", "random", "--probability", fmt.Sprintf("%.3f", probability))
		}
		if err := h.iptables(append(args, "-j", "DROP")...); err != nil {
			return err
		}
	}
	return nil
}

// RateLimit shapes everything the host sends with a token bucket (tc tbf):
// rate like "512kbit", latency the longest a packet may queue.
func (h *Host) RateLimit(rate, burst, latency string) error {
	return run("ip", "netns", "exec", h.NS, "tc", "qdisc", "replace", "dev", "eth0", "root",
		"tbf", "rate", rate, "burst", burst, "latency", latency)
}

// Heal removes every drop rule and rate limit from the host.
func (h *Host) Heal() error {
	var first error
	for _, chain := range []string{inputChain, outputChain} {
		if err := h.iptables("-F", chain); err != nil && first == nil {
			first = err
		}
	}
	// Deleting a root qdisc that is not there fails; that is fine.
	run("ip", "netns", "exec", h.NS, "tc", "qdisc", "del", "dev", "eth0", "root")
	return first
}

func runAll(steps [][]string) error {
	for _, s := range steps {
		if err := run(s...); err != nil {
			return err
		}
	}
	return nil
}

func run(argv ...string) error {
	_, err := output(argv...)
	return err
}

func output(argv ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s: %v: %s", strings.Join(argv, " "), err, strings.TrimSpace(out.String()))
	}
	return out.String(), nil
}
