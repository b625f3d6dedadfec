package alluxio

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

// loopbackHex are the kernel's spellings, in /proc/net/tcp and tcp6, of
// 127.0.0.1, ::ffff:127.0.0.1 and ::1.
var loopbackHex = map[string]bool{
	"0100007F":                         true,
	"0000000000000000FFFF00000100007F": true,
	"00000000000000000000000001000000": true,
}

// listeners returns the local addresses, as /proc/net spells them, of
// the sockets listening on port.
func listeners(t *testing.T, port int) []string {
	t.Helper()
	var found []string
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(table)
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
			addr, hexPort, ok := strings.Cut(fields[1], ":")
			if p, err := strconv.ParseUint(hexPort, 16, 16); ok && err == nil && int(p) == port {
				found = append(found, addr)
			}
		}
		f.Close()
	}
	return found
}

// wantLoopbackOnly fails the test unless something listens on each port,
// and only on loopback.
func wantLoopbackOnly(t *testing.T, ports map[string]int) {
	t.Helper()
	for name, port := range ports {
		addrs := listeners(t, port)
		if len(addrs) == 0 {
			t.Errorf("nothing listens on the %s port %d", name, port)
		}
		for _, a := range addrs {
			if !loopbackHex[a] {
				t.Errorf("the %s port %d is bound on %s, not loopback alone", name, port, a)
			}
		}
	}
}
