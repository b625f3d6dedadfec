package ha

import (
	"fmt"
	"testing"
	"time"
)

func TestLeaderHistoryRecordsChangesAndTheTimeWithoutALeader(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return start.Add(time.Duration(s) * time.Second) }
	h := NewLeaderHistory(start)
	h.Observe(at(2), "m1:19998", 1)
	h.Observe(at(3), "m1:19998", 1)  // the same leader again: no change
	h.Observe(at(10), "", 0)         // m1 lost
	h.Observe(at(13), "m2:19998", 0) // m2 known before its term
	h.Observe(at(13), "m2:19998", 2)
	h.Observe(at(20), "m3:19998", 3) // straight from m2 to m3
	h.Observe(at(30), "", 0)
	h.Observe(at(31), "m3:19998", 4) // m3 again, in a new term
	want := []LeaderChange{
		{At: at(2), Term: 1, From: "", To: "m1:19998"},
		{At: at(13), Term: 2, From: "m1:19998", To: "m2:19998", NoLeaderFor: 3 * time.Second},
		{At: at(20), Term: 3, From: "m2:19998", To: "m3:19998"},
		{At: at(31), Term: 4, From: "m3:19998", To: "m3:19998", NoLeaderFor: time.Second},
	}
	e := h.Election()
	if !e.Since.Equal(start) || e.Dropped != 0 || fmt.Sprint(e.Changes) != fmt.Sprint(want) {
		t.Fatalf("history since %v (%d dropped):\n got %v\nwant %v", e.Since, e.Dropped, e.Changes, want)
	}
}

func TestLeaderHistoryKeepsTheNewestChanges(t *testing.T) {
	start := time.Unix(0, 0)
	h := NewLeaderHistory(start)
	const changes = MaxLeaderChanges + 7
	for i := range changes {
		h.Observe(start.Add(time.Duration(i)*time.Second), fmt.Sprintf("m%d", i%3), uint64(i+1))
	}
	e := h.Election()
	if len(e.Changes) != MaxLeaderChanges || e.Dropped != 7 || e.Changes[0].Term != 8 || e.Changes[len(e.Changes)-1].Term != changes {
		t.Fatalf("kept %d changes (%d dropped), terms %d to %d", len(e.Changes), e.Dropped, e.Changes[0].Term, e.Changes[len(e.Changes)-1].Term)
	}
}
