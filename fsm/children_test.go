package fsm

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// checkChildList compares l with the set of names it should hold.
func checkChildList(t *testing.T, l *childList, want map[string]bool) {
	t.Helper()
	names := make([]string, 0, len(want))
	for name := range want {
		names = append(names, name)
	}
	slices.Sort(names)
	var got []string
	for c := range l.all() {
		got = append(got, c.name)
	}
	if !slices.Equal(got, names) || l.len() != len(names) {
		t.Fatalf("children %v (len %d), want %v", got, l.len(), names)
	}
	for _, c := range l.chunks {
		if len(c) == 0 || len(c) > maxChunkChildren {
			t.Fatalf("a chunk holds %d children, want 1 to %d", len(c), maxChunkChildren)
		}
	}
}

// Random inserts and removes, in bulk and in name order, keep the list
// sorted, its chunks within bounds, and every name findable.
func TestChildListKeepsNamesInOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	l := &childList{}
	want := map[string]bool{}
	for step := range 20000 {
		name := fmt.Sprintf("n%05d", rng.IntN(3000))
		if step > 10000 && step < 12000 {
			name = fmt.Sprintf("z%05d", step) // appended in name order
		}
		switch {
		case want[name] && rng.IntN(3) > 0:
			l.remove(name)
			delete(want, name)
		case !want[name]:
			l.insert(&Inode{name: name})
			want[name] = true
		}
		if got := l.get(name); (got != nil) != want[name] {
			t.Fatalf("step %d: get(%q) = %v, want present=%t", step, name, got, want[name])
		}
		if step%1000 == 0 {
			checkChildList(t, l, want)
		}
	}
	checkChildList(t, l, want)
	for name := range want {
		l.remove(name)
	}
	if l.len() != 0 || l.chunks != nil {
		t.Fatalf("emptied list holds %d children in %d chunks", l.len(), len(l.chunks))
	}
}

func TestChildListAfter(t *testing.T) {
	l := &childList{}
	for i := range 1000 {
		l.insert(&Inode{name: fmt.Sprintf("c%04d", i*2)})
	}
	for _, tc := range []struct {
		after string
		first string
		count int
	}{
		{"", "c0000", 1000},
		{"c0000", "c0002", 999},
		{"c0001", "c0002", 999},
		{"c1997", "c1998", 1},
		{"c1998", "", 0},
		{"d", "", 0},
	} {
		var got []string
		for c := range l.after(tc.after) {
			got = append(got, c.name)
		}
		if len(got) != tc.count || tc.count > 0 && got[0] != tc.first {
			t.Errorf("after %q: %d children from %v, want %d from %q", tc.after, len(got), got[:min(len(got), 1)], tc.count, tc.first)
		}
	}
}
