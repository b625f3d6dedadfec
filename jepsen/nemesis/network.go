package nemesis

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"

	"github.com/halo-fs/halo/internal/testinfra/masters"
	"github.com/halo-fs/halo/internal/testinfra/netns"
)

// A grudge says, for each host, which hosts' packets it drops on arrival:
// Jepsen's representation of a partition. Only traffic between the
// deployment's servers is cut (masters, and in ZooKeeper mode the
// ZooKeeper servers); clients reach every master throughout (a partition
// of the servers, not of the clients, is what lets a deposed leader be
// asked questions).
type grudge map[*netns.Host][]*netns.Host

// cut makes a and b unable to hear each other.
func (g grudge) cut(a, b []*netns.Host) {
	for _, x := range a {
		g[x] = append(g[x], b...)
	}
	for _, y := range b {
		g[y] = append(g[y], a...)
	}
}

func (g grudge) apply(d *masters.Cluster) (*Injection, error) {
	var targets []string
	for _, h := range d.Network.Hosts {
		if len(g[h]) == 0 {
			continue
		}
		if err := h.DropFrom(g[h], 1); err != nil {
			healHosts(d)
			return nil, err
		}
		targets = append(targets, h.Name)
	}
	return &Injection{Targets: targets, Detail: g.String(), heal: func() error { return healHosts(d) }}, nil
}

// String reads "m1 drops from {m2,m3}; m2 drops from {m1}".
func (g grudge) String() string {
	var parts []string
	for h, from := range g {
		n := hostNames(from)
		sort.Strings(n)
		parts = append(parts, fmt.Sprintf("%s drops from {%s}", h.Name, strings.Join(n, ",")))
	}
	sort.Strings(parts)
	return strings.Join(parts, "; ")
}

func healHosts(d *masters.Cluster) error {
	var errs []error
	for _, h := range d.Network.Hosts {
		errs = append(errs, h.Heal())
	}
	return errors.Join(errs...)
}

func shuffled(d *masters.Cluster) []*netns.Host {
	hs := append([]*netns.Host(nil), d.Network.Hosts...)
	rand.Shuffle(len(hs), func(i, j int) { hs[i], hs[j] = hs[j], hs[i] })
	return hs
}

// without returns the hosts of hs but h, in a new slice.
func without(hs []*netns.Host, h *netns.Host) []*netns.Host {
	return slices.DeleteFunc(slices.Clone(hs), func(o *netns.Host) bool { return o == h })
}

func hostNames(hs []*netns.Host) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.Name
	}
	return out
}

// PartitionLeader isolates the leader from every other server (the other
// masters; in ZooKeeper mode also every ZooKeeper server).
type PartitionLeader struct{}

func (PartitionLeader) Name() string { return "partition-leader" }
func (PartitionLeader) Inject(ctx context.Context, d *masters.Cluster) (*Injection, error) {
	return cutLeader(ctx, d, "isolated", d.Network.Hosts)
}

// cutLeader cuts the links between the leader and every other host among
// from, both ways.
func cutLeader(ctx context.Context, d *masters.Cluster, what string, from []*netns.Host) (*Injection, error) {
	l, why := leaderOf(ctx, d)
	g := grudge{}
	g.cut([]*netns.Host{l.Netns}, without(from, l.Netns))
	inj, err := g.apply(d)
	if inj != nil {
		inj.Detail = why + " " + what + ": " + inj.Detail
	}
	return inj, err
}

// PartitionHalves splits the servers at random in two: a minority and a
// majority of an odd count, equal halves of an even one (ZooKeeper mode's
// 3+3 and 5+3 servers), where a side may still hold ZooKeeper's quorum.
type PartitionHalves struct{}

func (PartitionHalves) Name() string { return "partition-halves" }
func (PartitionHalves) Inject(ctx context.Context, d *masters.Cluster) (*Injection, error) {
	return halves(shuffled(d)).apply(d)
}

// halves cuts the first half of hs (rounded down) from the rest.
func halves(hs []*netns.Host) grudge {
	k := len(hs) / 2
	g := grudge{}
	g.cut(hs[:k], hs[k:])
	return g
}

// PartitionRing gives every server a different majority to talk to
// (Jepsen's majorities-ring): the servers are put on a ring in random
// order and each keeps its nearest neighbours on both sides, at least
// enough to make a majority with itself: five each hear the two beside
// them, six or eight (ZooKeeper mode) lose only the servers farthest away.
// The cut is symmetric because TCP is: a link dropped one way is broken
// both ways. Three cannot each see a different majority over symmetric
// links; there the ring is one cut link, the bridge shape.
type PartitionRing struct{}

func (PartitionRing) Name() string { return "partition-ring" }
func (PartitionRing) Inject(ctx context.Context, d *masters.Cluster) (*Injection, error) {
	return ring(shuffled(d)).apply(d)
}

// ring puts hs on a ring in their order; each keeps its nearest
// neighbours on both sides.
func ring(hs []*netns.Host) grudge {
	n := len(hs)
	g := grudge{}
	if n < 5 {
		g.cut(hs[:1], hs[1:2])
		return g
	}
	majority := n/2 + 1
	keep := majority / 2 // neighbours kept on each side: 2*keep+1 >= majority
	for i, h := range hs {
		for j, o := range hs {
			if dist := min((i-j+n)%n, (j-i+n)%n); dist > keep {
				g[h] = append(g[h], o)
			}
		}
	}
	return g
}

// PartitionBridge splits the servers into two halves that cannot hear
// each other, joined by one server that hears both.
type PartitionBridge struct{}

func (PartitionBridge) Name() string { return "partition-bridge" }
func (PartitionBridge) Inject(ctx context.Context, d *masters.Cluster) (*Injection, error) {
	hs := shuffled(d)
	inj, err := bridged(hs).apply(d)
	if inj != nil {
		inj.Detail = "bridge " + hs[0].Name + ": " + inj.Detail
	}
	return inj, err
}

// bridged cuts hs[1:] in halves; hs[0], the bridge, hears both.
func bridged(hs []*netns.Host) grudge { return halves(hs[1:]) }

// OneWayLeader lets the leader send to the other servers but not receive
// from them: its heartbeats (or ZooKeeper pings) arrive, the answers do
// not.
type OneWayLeader struct{}

func (OneWayLeader) Name() string { return "oneway-leader" }
func (OneWayLeader) Inject(ctx context.Context, d *masters.Cluster) (*Injection, error) {
	l, why := leaderOf(ctx, d)
	g := grudge{l.Netns: without(d.Network.Hosts, l.Netns)}
	inj, err := g.apply(d)
	if inj != nil {
		inj.Detail = why + " deaf: " + inj.Detail
	}
	return inj, err
}

// LossyLinks makes every server drop a share of the packets the other
// servers send it, at random.
type LossyLinks struct{ Probability float64 }

func (LossyLinks) Name() string { return "lossy-links" }
func (f LossyLinks) Inject(ctx context.Context, d *masters.Cluster) (*Injection, error) {
	for _, h := range d.Network.Hosts {
		if err := h.DropFrom(without(d.Network.Hosts, h), f.Probability); err != nil {
			healHosts(d)
			return nil, err
		}
	}
	return &Injection{Targets: hostNames(d.Network.Hosts), Detail: fmt.Sprintf("drop %.0f%% of packets between servers", f.Probability*100),
		heal: func() error { return healHosts(d) }}, nil
}

// SlowLeader rate-limits everything the leader sends (tc tbf): its
// replication (Raft) or ZooKeeper pings, and its answers, queue up. The
// shared journal of ZooKeeper mode is on the file system, not slowed.
type SlowLeader struct{ Rate string }

func (SlowLeader) Name() string { return "slow-leader" }
func (f SlowLeader) Inject(ctx context.Context, d *masters.Cluster) (*Injection, error) {
	l, why := leaderOf(ctx, d)
	if err := l.Netns.RateLimit(f.Rate, "16kb", "400ms"); err != nil {
		return nil, err
	}
	return &Injection{Targets: []string{l.Name}, Detail: fmt.Sprintf("tbf %s on the %s's link", f.Rate, why),
		heal: l.Netns.Heal}, nil
}
