package netns

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
)

// A private namespace lives in one of maxPrivate slots; slot s owns the
// subnet 10.78.s.0/24, the namespace and veth named halop-s, and the lock
// file that says which run holds it. Its own prefix keeps the bridge
// network's Sweep (which removes every haloj* name) away from it.
const (
	privatePrefix = "halop"
	privateSubnet = "10.78"
	maxPrivate    = 64
)

// Private is a network namespace for one server, apart from the bridge
// network: its loopback, and one end of a veth pair whose other end is in
// the test's namespace. It has no route beyond that pair, so whatever the
// server sends to any other address fails inside it instead of leaving
// the machine, and the interfaces it sees carry only its own addresses.
// Runs may hold many at once, each in a slot of its own.
type Private struct {
	NS string
	// IP is the server's address in the namespace; PeerIP the test's end
	// of the pair, in the test's namespace.
	IP, PeerIP string
	veth       string
	guard      []string
	lock       *os.File
}

// NewPrivate takes a free slot (removing what a crashed run left in it)
// and creates its namespace and veth pair. It needs root.
func NewPrivate() (*Private, error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("a private network namespace needs root (ip netns); run as root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return nil, fmt.Errorf("ip is not installed (apt-get install iproute2): %w", err)
	}
	for slot := 1; slot <= maxPrivate; slot++ {
		lock, err := os.OpenFile(fmt.Sprintf("/run/%s-%d.lock", privatePrefix, slot), os.O_CREATE|os.O_RDWR, 0o644)
		if err != nil {
			return nil, err
		}
		if syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
			lock.Close()
			continue
		}
		p := newPrivate(slot, lock)
		p.remove()
		if err := p.create(); err != nil {
			p.Close()
			return nil, err
		}
		return p, nil
	}
	return nil, fmt.Errorf("all %d private network namespaces are in use", maxPrivate)
}

func newPrivate(slot int, lock *os.File) *Private {
	name := fmt.Sprintf("%s-%d", privatePrefix, slot)
	subnet := fmt.Sprintf("%s.%d", privateSubnet, slot)
	return &Private{
		NS:     name,
		IP:     subnet + ".2",
		PeerIP: subnet + ".1",
		veth:   name,
		// As for the bridge network: once the pair is gone, traffic for
		// the server's address fails here rather than follow the default
		// route off the machine.
		guard: []string{"unreachable", subnet + ".0/24", "metric", guardMetric},
		lock:  lock,
	}
}

func (p *Private) create() error {
	return runAll(append([][]string{append([]string{"ip", "route", "replace"}, p.guard...)},
		namespaceSteps(p.NS, p.veth, p.IP, []string{"ip", "addr", "add", p.PeerIP + "/24", "dev", p.veth})...))
}

// remove deletes the slot's namespace (killing what runs in it), veth and
// guard route, whoever made them.
func (p *Private) remove() {
	killNamespaceProcesses(p.NS)
	run("ip", "netns", "del", p.NS)
	run("ip", "link", "del", p.veth)
	run(append([]string{"ip", "route", "del"}, p.guard...)...)
}

// Command returns a command that runs argv inside the namespace.
func (p *Private) Command(argv ...string) *exec.Cmd { return nsCommand(p.NS, argv...) }

// Close kills what still runs in the namespace, deletes it and its pair,
// and frees the slot. Calling it again does nothing.
func (p *Private) Close() {
	if p.lock == nil {
		return
	}
	p.remove()
	syscall.Flock(int(p.lock.Fd()), syscall.LOCK_UN)
	p.lock.Close()
	p.lock = nil
}
