package fsm

import (
	"testing"

	"github.com/halo-fs/halo/fserr"
	"github.com/halo-fs/halo/proto/journalpb"
)

func clusterInfo(id string) *journalpb.Entry {
	return build(&journalpb.ClusterInfoEntry{ClusterId: id}, nil)
}

func TestClusterIDFirstOneWinsAndSurvivesCheckpoints(t *testing.T) {
	f := New(testConfig())
	if got := f.ClusterID(); got != "" {
		t.Fatalf("new namespace has cluster id %q", got)
	}
	if res := f.Apply(1, clusterInfo("")); fserr.CodeOf(res.Error()) != fserr.InvalidArgument {
		t.Fatalf("empty cluster id: got %v, want InvalidArgument", res.Error())
	}
	if res := f.Apply(2, clusterInfo("first")); res.Err != nil {
		t.Fatal(res.Err)
	}
	if res := f.Apply(3, clusterInfo("second")); res.Err != nil {
		t.Fatal(res.Err)
	}
	if got := f.ClusterID(); got != "first" {
		t.Fatalf("cluster id %q, want first", got)
	}
	restored := roundTrip(t, f)
	if got := restored.ClusterID(); got != "first" {
		t.Fatalf("restored cluster id %q, want first", got)
	}
	restored.ResetClusterID()
	if got := restored.ClusterID(); got != "" {
		t.Fatalf("after reset, cluster id %q", got)
	}
}
