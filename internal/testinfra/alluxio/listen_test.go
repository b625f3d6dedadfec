package alluxio

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/halo-fs/halo/internal/poll"
)

// procAddress decodes an address as /proc/net/tcp and tcp6 spell it: the
// bytes of each 32-bit word in the machine's order (little-endian here).
func procAddress(spelled string) (net.IP, error) {
	b, err := hex.DecodeString(spelled)
	if err != nil {
		return nil, err
	}
	for i := 0; i+4 <= len(b); i += 4 {
		binary.BigEndian.PutUint32(b[i:], binary.LittleEndian.Uint32(b[i:]))
	}
	return net.IP(b), nil
}

// listeners returns the local addresses of the sockets listening on port
// in the network namespace of process pid.
func listeners(t *testing.T, pid, port int) []net.IP {
	t.Helper()
	var found []net.IP
	for _, table := range []string{"tcp", "tcp6"} {
		f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/net/" + table)
		if err != nil {
			t.Fatal(err)
		}
		lines := bufio.NewScanner(f)
		lines.Scan() // the header
		for lines.Scan() {
			fields := strings.Fields(lines.Text())
			if len(fields) < 4 || fields[3] != "0A" { // 0A: LISTEN
				continue
			}
			spelled, hexPort, ok := strings.Cut(fields[1], ":")
			if p, err := strconv.ParseUint(hexPort, 16, 16); !ok || err != nil || int(p) != port {
				continue
			}
			addr, err := procAddress(spelled)
			if err != nil {
				t.Fatalf("%s: address %q: %v", table, spelled, err)
			}
			found = append(found, addr)
		}
		f.Close()
	}
	return found
}

// wantListensOnlyOn fails the test unless, in the master's namespace,
// something listens on each port, and only on the master's address.
func wantListensOnlyOn(t *testing.T, m *Master, ports map[string]int) {
	t.Helper()
	host := net.ParseIP(m.Host)
	for name, port := range ports {
		// Alluxio's master opens its web port after it serves RPCs, a
		// while later on a loaded machine.
		var addrs []net.IP
		poll.Until(t, time.Minute, "the "+name+" port "+strconv.Itoa(port)+" to listen", func() bool {
			addrs = listeners(t, m.Process().Pid(), port)
			return len(addrs) > 0
		})
		for _, a := range addrs {
			if !a.Equal(host) {
				t.Errorf("the %s port %d is bound on %s, not on %s alone", name, port, a, host)
			}
		}
	}
}

func TestProcAddress(t *testing.T) {
	for spelled, want := range map[string]string{
		"0100007F":                         "127.0.0.1",
		"024E010A":                         "10.1.78.2",
		"0000000000000000FFFF00000100007F": "127.0.0.1",
		"00000000000000000000000001000000": "::1",
		"00000000000000000000000000000000": "::",
	} {
		got, err := procAddress(spelled)
		if err != nil || !got.Equal(net.ParseIP(want)) {
			t.Errorf("procAddress(%q) = %v, %v; want %s", spelled, got, err, want)
		}
	}
}
