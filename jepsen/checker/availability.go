package checker

import (
	"sort"
	"time"

	"github.com/halo-fs/halo/jepsen/model"
)

// Unavailability measures, for each fault injected at one of the given
// times (nanoseconds on the history's clock), how long it took until a
// mutation invoked after the injection succeeded: kill -> first successful
// write, the figure RELIABILITY_REFERENCE A8.5 asks for. An injection with
// no successful write after it counts until end.
func Unavailability(ops []model.Op, injections []int64, end int64) []time.Duration {
	var writes []model.Op
	for _, op := range ops {
		if op.Input.Kind.IsMutation() && op.Output.Outcome == model.OK {
			writes = append(writes, op)
		}
	}
	sort.Slice(writes, func(i, j int) bool { return writes[i].Call < writes[j].Call })
	out := make([]time.Duration, 0, len(injections))
	for _, at := range injections {
		first := end
		i := sort.Search(len(writes), func(i int) bool { return writes[i].Call >= at })
		for ; i < len(writes); i++ {
			first = min(first, writes[i].Return)
			if writes[i].Call > first {
				break // every later write was invoked after this one returned
			}
		}
		out = append(out, time.Duration(max(first-at, 0)))
	}
	return out
}

// Percentile returns the p-th percentile (0-100, nearest rank) of ds, 0
// for none.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	rank := int(p/100*float64(len(s))+0.999999) - 1
	return s[min(max(rank, 0), len(s)-1)]
}

// WriteGaps measures, for each fault window [start, end] on the history's
// clock, the longest stretch in it during which no mutation was
// acknowledged: from the start, between acknowledgements, and from the
// last one to the first after end. Where Unavailability counts from the
// fault to the first write invoked after it, which a leader that has not
// noticed its loss yet still acknowledges, this is the outage clients saw
// while leadership moved.
func WriteGaps(ops []model.Op, windows [][2]int64, end int64) []time.Duration {
	var acks []int64
	for _, op := range ops {
		if op.Input.Kind.IsMutation() && op.Output.Outcome == model.OK {
			acks = append(acks, op.Return)
		}
	}
	sort.Slice(acks, func(i, j int) bool { return acks[i] < acks[j] })
	out := make([]time.Duration, 0, len(windows))
	for _, w := range windows {
		last, longest := w[0], int64(0)
		i := sort.Search(len(acks), func(i int) bool { return acks[i] >= w[0] })
		for ; i < len(acks); i++ {
			longest = max(longest, acks[i]-last)
			last = acks[i]
			if acks[i] > w[1] {
				break
			}
		}
		if last <= w[1] {
			longest = max(longest, end-last) // nothing acknowledged after the window
		}
		out = append(out, time.Duration(longest))
	}
	return out
}
