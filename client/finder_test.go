package client

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/fserr/rpcerr"
	"github.com/halo-fs/halo/ha/state"
	"github.com/halo-fs/halo/proto/halopb"
)

func TestChooseLeader(t *testing.T) {
	primary := &halopb.MasterInfo{State: string(state.Primary)}
	standbyNaming := func(leader string) *halopb.MasterInfo {
		return &halopb.MasterInfo{State: string(state.Standby), LeaderAddress: leader}
	}
	down := errors.New("connection refused")
	tests := []struct {
		name    string
		addrs   []string
		answers []probeAnswer
		want    string
		wantErr bool
	}{
		{
			name:  "primary wins",
			addrs: []string{"a:1", "b:1", "c:1"},
			answers: []probeAnswer{
				{addr: "a:1", info: standbyNaming("")},
				{addr: "c:1", err: down},
				{addr: "b:1", info: primary},
			},
			want: "b:1",
		},
		{
			name:  "standbys name the leader",
			addrs: []string{"a:1", "b:1", "c:1"},
			answers: []probeAnswer{
				{addr: "a:1", info: standbyNaming("c:1")},
				{addr: "b:1", info: standbyNaming("c:1")},
				{addr: "c:1", err: down},
			},
			want: "c:1",
		},
		{
			name:  "majority of hints",
			addrs: []string{"a:1", "b:1", "c:1"},
			answers: []probeAnswer{
				{addr: "a:1", info: standbyNaming("x:1")},
				{addr: "b:1", info: standbyNaming("c:1")},
				{addr: "c:1", info: standbyNaming("c:1")},
			},
			want: "c:1",
		},
		{
			name:    "single master without a role",
			addrs:   []string{"a:1"},
			answers: []probeAnswer{{addr: "a:1", info: &halopb.MasterInfo{}}},
			want:    "a:1",
		},
		{
			name:  "only standbys that know nothing",
			addrs: []string{"a:1", "b:1"},
			answers: []probeAnswer{
				{addr: "a:1", info: standbyNaming("")},
				{addr: "b:1", info: standbyNaming("")},
			},
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

// infoStub answers GetMasterInfo from a table; a finder needs nothing else.
type infoStub struct {
	halopb.MasterServiceClient
	addr   string
	fleet  *fakeFleet
	answer func() (*halopb.MasterInfo, error)
}

func (s infoStub) GetMasterInfo(ctx context.Context, _ *halopb.Empty, _ ...grpc.CallOption) (*halopb.MasterInfo, error) {
	s.fleet.mu.Lock()
	s.fleet.probes[s.addr]++
	s.fleet.mu.Unlock()
	return s.answer()
}

type fakeFleet struct {
	mu      sync.Mutex
	probes  map[string]int
	answers map[string]*halopb.MasterInfo // nil entry: unreachable
}

func (f *fakeFleet) dial(addr string) (halopb.MasterServiceClient, error) {
	return infoStub{addr: addr, fleet: f, answer: func() (*halopb.MasterInfo, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if info := f.answers[addr]; info != nil {
			return info, nil
		}
		return nil, rpcerr.ToGRPC(fserr.New(fserr.Unavailable, "down"))
	}}, nil
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
		answers: map[string]*halopb.MasterInfo{
			"a:1": {State: string(state.Standby)},
			"b:1": {State: string(state.Primary)},
			"c:1": nil,
		},
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
	fleet.answers["b:1"] = &halopb.MasterInfo{State: string(state.Standby)}
	fleet.answers["a:1"] = &halopb.MasterInfo{State: string(state.Primary)}
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
	fleet := &fakeFleet{probes: map[string]int{}, answers: map[string]*halopb.MasterInfo{}}
	f := newPollingFinder([]string{"a:1", "b:1"}, fleet.dial, time.Second)
	_, err := f.Leader(context.Background())
	if fserr.CodeOf(err) != fserr.Unavailable {
		t.Fatalf("Leader with every master down: %v, want Unavailable", err)
	}
	if fleet.totalProbes() != 2 {
		t.Errorf("probed %d times, want each master once", fleet.totalProbes())
	}
}
