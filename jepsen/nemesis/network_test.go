package nemesis

import (
	"fmt"
	"slices"
	"testing"

	"github.com/halo-fs/halo/internal/testinfra/netns"
)

func hosts(n int) []*netns.Host {
	hs := make([]*netns.Host, n)
	for i := range hs {
		hs[i] = &netns.Host{Name: fmt.Sprintf("h%d", i+1)}
	}
	return hs
}

// hears is who h still hears under g, itself included.
func hears(g grudge, hs []*netns.Host, h *netns.Host) []*netns.Host {
	return slices.DeleteFunc(slices.Clone(hs), func(o *netns.Host) bool { return slices.Contains(g[h], o) })
}

// symmetric: a dropped link is dropped both ways, and no host drops
// itself.
func checkSymmetric(t *testing.T, g grudge) {
	t.Helper()
	for h, from := range g {
		if slices.Contains(from, h) {
			t.Errorf("%s drops its own packets", h.Name)
		}
		for _, o := range from {
			if !slices.Contains(g[o], h) {
				t.Errorf("%s drops from %s but not the other way", h.Name, o.Name)
			}
		}
	}
}

func TestRingGivesEveryServerADifferentMajority(t *testing.T) {
	for n := 5; n <= 9; n++ {
		hs := hosts(n)
		g := ring(hs)
		checkSymmetric(t, g)
		seen := map[string]string{}
		for _, h := range hs {
			heard := hears(g, hs, h)
			if len(heard) < n/2+1 {
				t.Errorf("n=%d: %s hears %d of %d, not a majority", n, h.Name, len(heard), n)
			}
			key := fmt.Sprint(hostNames(heard))
			if other, ok := seen[key]; ok {
				t.Errorf("n=%d: %s and %s hear the same majority %s", n, h.Name, other, key)
			}
			seen[key] = h.Name
		}
	}
	// Three servers: one cut link, so that one server bridges the others.
	hs := hosts(3)
	g := ring(hs)
	checkSymmetric(t, g)
	if len(g[hs[0]]) != 1 || len(g[hs[1]]) != 1 || len(g[hs[2]]) != 0 {
		t.Errorf("ring of 3 = %s; want h1 and h2 cut, h3 hearing both", g)
	}
}

func TestHalvesCutEveryLinkAcrossAndNoneWithin(t *testing.T) {
	for n := 2; n <= 9; n++ {
		hs := hosts(n)
		g := halves(hs)
		checkSymmetric(t, g)
		k := n / 2
		for i, h := range hs {
			for j, o := range hs {
				across := (i < k) != (j < k)
				if cut := slices.Contains(g[h], o); cut != across {
					t.Errorf("n=%d: %s-%s cut=%v, want %v", n, h.Name, o.Name, cut, across)
				}
			}
		}
	}
}

func TestBridgeHearsBothHalves(t *testing.T) {
	for n := 3; n <= 9; n++ {
		hs := hosts(n)
		g := bridged(hs)
		checkSymmetric(t, g)
		if len(g[hs[0]]) != 0 {
			t.Errorf("n=%d: the bridge drops from %v", n, hostNames(g[hs[0]]))
		}
		for _, h := range hs[1:] {
			if slices.Contains(g[h], hs[0]) {
				t.Errorf("n=%d: %s drops from the bridge", n, h.Name)
			}
			if len(g[h]) == 0 {
				t.Errorf("n=%d: %s hears everyone; the halves should be cut", n, h.Name)
			}
		}
	}
}
