package client

import (
	"context"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/fserr/rpcerr"
	"github.com/halo-fs/halo/ha/state"
	"github.com/halo-fs/halo/proto/alluxiopb"
)

func TestChooseLeader(t *testing.T) {
	standbyNaming := func(leader string) error {
		return &fserr.Error{Code: fserr.NotLeader, Message: "standby", LeaderHint: leader}
	}
	down := fserr.New(fserr.Unavailable, "connection refused")
	tests := []struct {
		name    string
		addrs   []string
		answers []probeAnswer
		want    string
		wantErr bool
	}{
		{
			name:  "the master that answers is the primary",
			addrs: []string{"a:1", "b:1", "c:1"},
			answers: []probeAnswer{
				{addr: "a:1", err: standbyNaming("")},
				{addr: "c:1", err: down},
				{addr: "b:1"},
			},
			want: "b:1",
		},
		{
			name:  "standbys name the leader",
			addrs: []string{"a:1", "b:1", "c:1"},
			answers: []probeAnswer{
				{addr: "a:1", err: standbyNaming("c:1")},
				{addr: "b:1", err: standbyNaming("c:1")},
				{addr: "c:1", err: down},
			},
			want: "c:1",
		},
		{
			name:  "majority of hints",
			addrs: []string{"a:1", "b:1", "c:1"},
			answers: []probeAnswer{
				{addr: "a:1", err: standbyNaming("x:1")},
				{addr: "b:1", err: standbyNaming("c:1")},
				{addr: "c:1", err: standbyNaming("c:1")},
			},
			want: "c:1",
		},
		{
			name:  "only standbys that know nothing",
			addrs: []string{"a:1", "b:1"},
			answers: []probeAnswer{
				{addr: "a:1", err: standbyNaming("")},
				{addr: "b:1", err: standbyNaming("")},
			},
			wantErr: true,
		},
		{
			name:    "not a master of this protocol",
			addrs:   []string{"a:1"},
			answers: []probeAnswer{{addr: "a:1", err: fserr.New(fserr.Unimplemented, "unknown service")}},
			wantErr: true,
		},
		{
			name:    "all down",
			addrs:   []string{"a:1", "b:1"},
			answers: []probeAnswer{{addr: "a:1", err: down}, {addr: "b:1", err: down}},
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := chooseLeader(tt.addrs, tt.answers)
			if tt.wantErr {
				if fserr.CodeOf(err) != fserr.Unavailable {
					t.Fatalf("chooseLeader = %q, %v; want an Unavailable error", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("chooseLeader = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// versionStub answers the version probe from its fleet's table; a finder
// needs nothing else.
type versionStub struct {
	alluxiopb.ServiceVersionClientServiceClient
	addr  string
	fleet *fakeFleet
}

func (s versionStub) GetServiceVersion(ctx context.Context, _ *alluxiopb.GetServiceVersionPRequest, _ ...grpc.CallOption) (*alluxiopb.GetServiceVersionPResponse, error) {
	f := s.fleet
	f.mu.Lock()
	defer f.mu.Unlock()
	f.probes[s.addr]++
	switch f.roles[s.addr] {
	case state.Primary:
		return &alluxiopb.GetServiceVersionPResponse{Version: proto.Int64(2)}, nil
	case state.Standby:
		return nil, rpcerr.ToGRPC(fserr.New(fserr.NotLeader, "standby"))
	}
	return nil, rpcerr.ToGRPC(fserr.New(fserr.Unavailable, "down"))
}

type fakeFleet struct {
	mu     sync.Mutex
	probes map[string]int
	roles  map[string]state.Master // none: unreachable
}

func (f *fakeFleet) dial(addr string) (*masterConn, error) {
	return &masterConn{versions: versionStub{addr: addr, fleet: f}}, nil
}

func (f *fakeFleet) totalProbes() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, p := range f.probes {
		n += p
	}
	return n
}

func TestPollingFinderCachesAndFollowsReports(t *testing.T) {
	fleet := &fakeFleet{
		probes: map[string]int{},
		roles:  map[string]state.Master{"a:1": state.Standby, "b:1": state.Primary},
	}
	f := newPollingFinder([]string{"a:1", "b:1", "c:1"}, fleet.dial, time.Second)
	ctx := context.Background()

	leader := func() string {
		t.Helper()
		addr, err := f.Leader(ctx)
		if err != nil {
			t.Fatalf("Leader: %v", err)
		}
		return addr
	}

	if got := leader(); got != "b:1" {
		t.Fatalf("first Leader = %s, want b:1", got)
	}
	probes := fleet.totalProbes()
	if got := leader(); got != "b:1" || fleet.totalProbes() != probes {
		t.Fatalf("cached Leader = %s after %d new probes; want b:1 without probing", got, fleet.totalProbes()-probes)
	}

	// A hint moves the cache without polling.
	f.Report("b:1", &fserr.Error{Code: fserr.NotLeader, LeaderHint: "c:1"})
	if got := leader(); got != "c:1" || fleet.totalProbes() != probes {
		t.Fatalf("after hint Leader = %s; want c:1 without probing", got)
	}

	// So does a master that lost leadership mid-request and knows who
	// took over.
	f.Report("c:1", &fserr.Error{Code: fserr.OutcomeUnknown, LeaderHint: "b:1"})
	if got := leader(); got != "b:1" || fleet.totalProbes() != probes {
		t.Fatalf("after an outcome-unknown hint Leader = %s; want b:1 without probing", got)
	}
	f.Report("b:1", &fserr.Error{Code: fserr.NotLeader, LeaderHint: "c:1"})

	// A definite error about the path says nothing about leadership.
	f.Report("c:1", fserr.New(fserr.NotFound, "no such path"))
	if got := leader(); got != "c:1" {
		t.Fatalf("after NotFound Leader = %s, want c:1", got)
	}

	// Unreachable: the cache is dropped and the next call polls again.
	f.Report("c:1", fserr.New(fserr.Unavailable, "connection refused"))
	fleet.mu.Lock()
	fleet.roles["b:1"] = state.Standby
	fleet.roles["a:1"] = state.Primary
	fleet.mu.Unlock()
	if got := leader(); got != "a:1" || fleet.totalProbes() == probes {
		t.Fatalf("after Unavailable Leader = %s; want a:1 from a new poll", got)
	}

	// A report about some other master does not drop the cached leader.
	f.Report("b:1", fserr.New(fserr.Unavailable, "down"))
	if got := f.Get(); got != "a:1" {
		t.Errorf("cached leader = %q after a report about b:1, want a:1", got)
	}

	// Success against an address makes it the leader.
	f.Report("b:1", nil)
	if got := f.Get(); got != "b:1" {
		t.Errorf("cached leader = %q after success on b:1, want b:1", got)
	}
}

func TestPollingFinderNoLeader(t *testing.T) {
	fleet := &fakeFleet{probes: map[string]int{}, roles: map[string]state.Master{}}
	f := newPollingFinder([]string{"a:1", "b:1"}, fleet.dial, time.Second)
	_, err := f.Leader(context.Background())
	if fserr.CodeOf(err) != fserr.Unavailable {
		t.Fatalf("Leader with every master down: %v, want Unavailable", err)
	}
	if fleet.totalProbes() != 2 {
		t.Errorf("probed %d times, want each master once", fleet.totalProbes())
	}
}
