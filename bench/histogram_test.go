package bench

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// exactQuantile is the nearest-rank quantile of sorted samples.
func exactQuantile(sorted []time.Duration, q float64) time.Duration {
	rank := int(math.Ceil(q * float64(len(sorted))))
	return sorted[max(rank, 1)-1]
}

func TestHistogramQuantilesMatchSortedSamples(t *testing.T) {
	tests := []struct {
		name   string
		sample func(r *rand.Rand) time.Duration
		n      int
	}{
		{"sub-microsecond exact range", func(r *rand.Rand) time.Duration { return time.Duration(r.IntN(128)) }, 5000},
		{"log-uniform 1us..10s", func(r *rand.Rand) time.Duration {
			return time.Duration(math.Exp(r.Float64()*math.Log(1e7)) * 1e3)
		}, 20000},
		{"tight cluster around 2ms", func(r *rand.Rand) time.Duration {
			return 2*time.Millisecond + time.Duration(r.NormFloat64()*50e3)
		}, 20000},
		{"bimodal", func(r *rand.Rand) time.Duration {
			if r.IntN(100) == 0 {
				return 3*time.Second + time.Duration(r.IntN(1e6))
			}
			return 400*time.Microsecond + time.Duration(r.IntN(1e5))
		}, 20000},
		{"single value", func(*rand.Rand) time.Duration { return 1234567 * time.Nanosecond }, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, 2))
			var h Histogram
			samples := make([]time.Duration, tt.n)
			for i := range samples {
				samples[i] = max(tt.sample(r), 0)
				h.Record(samples[i])
			}
			slices.Sort(samples)
			if h.Count() != uint64(tt.n) {
				t.Fatalf("Count = %d, want %d", h.Count(), tt.n)
			}
			if h.Max() != samples[len(samples)-1] {
				t.Errorf("Max = %v, want %v", h.Max(), samples[len(samples)-1])
			}
			for _, q := range []float64{0.001, 0.1, 0.5, 0.9, 0.99, 0.999, 1} {
				got, want := h.Quantile(q), exactQuantile(samples, q)
				// A bucket's midpoint is within 1/128 of any value in it.
				if diff := math.Abs(float64(got - want)); diff > float64(want)/128+1 {
					t.Errorf("Quantile(%v) = %v, exact %v (error %.3f%%)", q, got, want, 100*diff/float64(want))
				}
			}
		})
	}
}

func TestHistogramMergeEqualsRecordingTogether(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var a, b, all Histogram
	for i := range 10000 {
		d := time.Duration(r.Int64N(int64(time.Second)))
		all.Record(d)
		if i%3 == 0 {
			a.Record(d)
		} else {
			b.Record(d)
		}
	}
	var merged Histogram
	merged.Merge(&a)
	merged.Merge(&b)
	merged.Merge(&Histogram{}) // empty: no effect
	if merged != all {
		t.Fatal("merging per-thread histograms differs from recording into one")
	}
}

func TestHistogramBuckets(t *testing.T) {
	// Every value falls inside the bounds of its own bucket, and buckets
	// are contiguous.
	for _, v := range []uint64{0, 1, 127, 128, 129, 255, 256, 1000, 1 << 20, 123456789, 1<<41 - 1} {
		idx := bucketIndex(v)
		low, high := bucketBounds(idx)
		if v < low || v > high {
			t.Errorf("value %d in bucket %d with bounds [%d, %d]", v, idx, low, high)
		}
		if idx+1 < bucketCount {
			next, _ := bucketBounds(idx + 1)
			if next != high+1 {
				t.Errorf("bucket %d ends at %d but bucket %d starts at %d", idx, high, idx+1, next)
			}
		}
	}
	if got := bucketIndex(math.MaxUint64); got != bucketCount-1 {
		t.Errorf("huge value in bucket %d, want the last (%d)", got, bucketCount-1)
	}
	var h Histogram
	h.Record(time.Duration(math.MaxInt64))
	h.Record(-5)
	if h.Quantile(1) != time.Duration(math.MaxInt64) || h.Quantile(0.5) != 0 {
		t.Errorf("out-of-range values: p100 %v, p50 %v", h.Quantile(1), h.Quantile(0.5))
	}
	var empty Histogram
	if empty.Quantile(0.5) != 0 {
		t.Error("empty histogram has a non-zero median")
	}
}

func TestHistogramRecordDoesNotAllocate(t *testing.T) {
	var h Histogram
	allocs := testing.AllocsPerRun(1000, func() { h.Record(1500 * time.Microsecond) })
	if allocs != 0 {
		t.Errorf("Record allocates %v times per call", allocs)
	}
}
