// Package ports hands out TCP ports to test servers that bind them later:
// a master started as a separate process, or restarted on its old port
// after a kill. A port the kernel picks for ":0" comes from its ephemeral
// range, which it also draws on for the local end of every outgoing
// connection, so a port a test has released can be taken by some
// connection before the server binds it. These ports come from below (or
// above) that range, and each is locked with flock(2) on a file in the
// temporary folder for the life of the test process, so test binaries
// running side by side never hand out the same one.
package ports

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

const (
	// lowest is the first port considered below the ephemeral range.
	lowest = 10000
	// minSpan is the fewest ports a range outside the ephemeral one must
	// hold to be used; with fewer, the kernel's choice is taken.
	minSpan = 2000
)

var (
	mu   sync.Mutex
	span [2]int // [first, last] to hand out; first == 0: use the kernel's
	next int
	dir  string
	held []*os.File // locks kept open for the life of the process
	// setupErr is the outcome of setup, which runs once.
	setupErr  error
	setupOnce sync.Once
)

// setup reads the kernel's ephemeral range and makes the lock folder,
// which every user's test processes share.
func setup() error {
	span = usable("/proc/sys/net/ipv4/ip_local_port_range")
	if span[0] != 0 {
		next = span[0] + rand.IntN(span[1]-span[0]+1)
	}
	dir = filepath.Join(os.TempDir(), "halo-test-ports")
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return err
	}
	_ = os.Chmod(dir, 0o777|os.ModeSticky)
	return nil
}

// Free returns a port on host that no other test process holds (nor this
// one: each is handed out once) and that could be bound a moment ago.
func Free(host string) (int, error) {
	mu.Lock()
	defer mu.Unlock()
	setupOnce.Do(func() { setupErr = setup() })
	if setupErr != nil {
		return 0, setupErr
	}
	if span[0] == 0 {
		return kernelPort(host)
	}
	p, err := freeIn(host, span[0], span[1], next)
	if err == nil {
		next = p + 1
	}
	return p, err
}

// FreeOnHosts returns count distinct ports, each free on every one of
// hosts, for servers that use one port number on several addresses
// (127.0.0.1, .2, ... of one machine).
func FreeOnHosts(hosts []string, count int) ([]int, error) {
	var found []int
	for attempt := 0; len(found) < count && attempt < 100; attempt++ {
		p, err := Free(hosts[0])
		if err != nil {
			return nil, err
		}
		if !slices.Contains(found, p) && bindableOn(hosts[1:], p) {
			found = append(found, p)
		}
	}
	if len(found) < count {
		return nil, fmt.Errorf("no %d ports free on all of %s", count, strings.Join(hosts, ", "))
	}
	return found, nil
}

func bindableOn(hosts []string, port int) bool {
	for _, host := range hosts {
		l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			return false
		}
		l.Close()
	}
	return true
}

// usable reads the kernel's ephemeral range from path and returns the
// larger stretch outside it, or zeros if neither is large enough.
func usable(path string) [2]int {
	b, err := os.ReadFile(path)
	if err != nil {
		return [2]int{}
	}
	lo, hi, err := parseRange(string(b))
	if err != nil {
		return [2]int{}
	}
	below, above := [2]int{lowest, lo - 1}, [2]int{hi + 1, 65535}
	best := below
	if above[1]-above[0] > below[1]-below[0] {
		best = above
	}
	if best[1]-best[0]+1 < minSpan {
		return [2]int{}
	}
	return best
}

// parseRange parses ip_local_port_range: two port numbers.
func parseRange(s string) (lo, hi int, err error) {
	f := strings.Fields(s)
	if len(f) != 2 {
		return 0, 0, fmt.Errorf("ephemeral port range %q: want two numbers", s)
	}
	lo, err1 := strconv.Atoi(f[0])
	hi, err2 := strconv.Atoi(f[1])
	if err := errors.Join(err1, err2); err != nil {
		return 0, 0, fmt.Errorf("ephemeral port range %q: %w", s, err)
	}
	if lo < 1 || hi > 65535 || lo > hi {
		return 0, 0, fmt.Errorf("ephemeral port range %q out of bounds", s)
	}
	return lo, hi, nil
}

// freeIn tries first, first+1, ... (wrapping within [lo, hi]) and returns
// the first port it can lock and bind. Locks of ports it could not bind
// are kept too: whatever holds them may hold them for a while.
func freeIn(host string, lo, hi, first int) (int, error) {
	n := hi - lo + 1
	for i := 0; i < n; i++ {
		p := lo + (first-lo+i)%n
		ok, err := claim(host, p)
		if err != nil {
			return 0, err
		}
		if ok {
			return p, nil
		}
	}
	return 0, fmt.Errorf("no free port on %s in %d-%d", host, lo, hi)
}

// kernelPort is Free where no range outside the ephemeral one is large
// enough: the kernel picks, and the port is locked all the same.
func kernelPort(host string) (int, error) {
	for range 100 {
		l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return 0, err
		}
		p := l.Addr().(*net.TCPAddr).Port
		l.Close()
		ok, err := claim(host, p)
		if err != nil {
			return 0, err
		}
		if ok {
			return p, nil
		}
	}
	return 0, fmt.Errorf("no free port on %s: every one the kernel offered was locked", host)
}

// claim locks port p and checks that it can be bound on host. It reports
// false, with no error, if another test process holds the lock or
// something listens on the port (whose lock it keeps: whatever holds the
// port may hold it a while); an error is any other failure to bind, such
// as a host that is not configured.
func claim(host string, p int) (bool, error) {
	f, err := os.OpenFile(filepath.Join(dir, strconv.Itoa(p)), os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return false, err
	}
	_ = f.Chmod(0o666)
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return false, nil
		}
		return false, fmt.Errorf("lock port %d: %w", p, err)
	}
	l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(p)))
	if err != nil && !errors.Is(err, syscall.EADDRINUSE) {
		f.Close()
		return false, err
	}
	held = append(held, f)
	if err != nil {
		return false, nil
	}
	l.Close()
	return true, nil
}
