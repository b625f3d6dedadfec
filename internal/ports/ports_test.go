package ports

import (
	"net"
	"os"
	"path/filepath"
	"testing"
)

func TestParseRange(t *testing.T) {
	if lo, hi, err := parseRange("32768\t60999\n"); err != nil || lo != 32768 || hi != 60999 {
		t.Errorf("parseRange: %d %d %v", lo, hi, err)
	}
	for _, bad := range []string{"", "32768", "a b", "60999 32768", "0 100", "1 70000", "1 2 3"} {
		if _, _, err := parseRange(bad); err == nil {
			t.Errorf("parseRange(%q) accepted it", bad)
		}
	}
}

func TestUsableAvoidsTheEphemeralRange(t *testing.T) {
	dir := t.TempDir()
	write := func(s string) string {
		p := filepath.Join(dir, "range")
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, c := range []struct {
		in   string
		want [2]int
	}{
		{"32768 60999", [2]int{lowest, 32767}},
		{"10000 20000", [2]int{20001, 65535}},
		{"11000 64000", [2]int{}},
		{"garbage", [2]int{}},
	} {
		if got := usable(write(c.in)); got != c.want {
			t.Errorf("usable(%q) = %v, want %v", c.in, got, c.want)
		}
	}
	if got := usable(filepath.Join(dir, "missing")); got != ([2]int{}) {
		t.Errorf("usable(missing file) = %v", got)
	}
}

// TestFreeSkipsLockedAndBoundPorts: a port some test process holds the
// lock of (here this one: flock treats every open of the file apart), and
// one something is listening on, are passed over.
func TestFreeSkipsLockedAndBoundPorts(t *testing.T) {
	locked, err := Free("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if p, err := freeIn("127.0.0.1", locked, locked+50, locked); err != nil || p == locked {
		t.Fatalf("freeIn from a locked port: %d, %v (locked %d)", p, err, locked)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	bound := l.Addr().(*net.TCPAddr).Port
	if p, err := freeIn("127.0.0.1", bound, bound+50, bound); err != nil || p == bound {
		t.Fatalf("freeIn from a bound port: %d, %v (bound %d)", p, err, bound)
	}
}

func TestFreeHandsOutDistinctPorts(t *testing.T) {
	seen := map[int]bool{}
	for i := 0; i < 20; i++ {
		p, err := Free("127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		if seen[p] {
			t.Fatalf("port %d handed out twice", p)
		}
		seen[p] = true
		if span[0] != 0 && (p < span[0] || p > span[1]) {
			t.Fatalf("port %d outside %v", p, span)
		}
	}
}
