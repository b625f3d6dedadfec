package bench

import (
	"math"
	"math/bits"
	"time"
)

// The histogram is log-linear, like HDR histograms: values below
// subBucketCount nanoseconds get a bucket each; above that, every power of
// two is split into halfCount equal buckets, so a bucket is never wider
// than 1/64 of its lower bound and its midpoint is within 1/128 of any
// value in it.
const (
	subBucketBits  = 7
	subBucketCount = 1 << subBucketBits
	halfCount      = subBucketCount / 2
	// maxShift bounds the tracked range to 2^(maxShift+subBucketBits) ns,
	// about 36 minutes; longer latencies land in the last bucket.
	maxShift    = 34
	bucketCount = subBucketCount + maxShift*halfCount
)

// Histogram records latencies in fixed buckets: recording never allocates,
// and histograms of different threads merge by adding counts.
type Histogram struct {
	counts   [bucketCount]uint64
	total    uint64
	min, max time.Duration
}

func bucketIndex(v uint64) int {
	if v < subBucketCount {
		return int(v)
	}
	shift := bits.Len64(v) - subBucketBits
	if shift > maxShift {
		return bucketCount - 1
	}
	top := int(v >> uint(shift))
	return subBucketCount + (shift-1)*halfCount + (top - halfCount)
}

// bucketBounds returns the smallest and largest value that map to idx.
func bucketBounds(idx int) (low, high uint64) {
	if idx < subBucketCount {
		return uint64(idx), uint64(idx)
	}
	shift := uint((idx-subBucketCount)/halfCount + 1)
	top := uint64((idx-subBucketCount)%halfCount + halfCount)
	return top << shift, (top+1)<<shift - 1
}

// Record adds one latency; negative values count as zero.
func (h *Histogram) Record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[bucketIndex(uint64(d))]++
	if h.total == 0 || d < h.min {
		h.min = d
	}
	if d > h.max {
		h.max = d
	}
	h.total++
}

// Merge adds o's counts to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.total == 0 {
		return
	}
	for i, n := range o.counts {
		h.counts[i] += n
	}
	if h.total == 0 || o.min < h.min {
		h.min = o.min
	}
	if o.max > h.max {
		h.max = o.max
	}
	h.total += o.total
}

// Count is the number of recorded values.
func (h *Histogram) Count() uint64 { return h.total }

// Max is the largest recorded value, exactly.
func (h *Histogram) Max() time.Duration { return h.max }

// Quantile returns the nearest-rank q-quantile (0 < q <= 1): the value at
// rank ceil(q*n) among the sorted samples, within the bucket precision.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	if q >= 1 {
		return h.max
	}
	rank := uint64(math.Ceil(q * float64(h.total)))
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for i, n := range h.counts {
		seen += n
		if seen < rank {
			continue
		}
		low, high := bucketBounds(i)
		v := time.Duration(low + (high-low)/2)
		return min(max(v, h.min), h.max)
	}
	return h.max
}
