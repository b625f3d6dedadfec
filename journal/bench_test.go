package journal

import (
	"fmt"
	"testing"
)

const benchRecordBytes = 200

func benchRecords(n int) [][]byte {
	recs := make([][]byte, n)
	for i := range recs {
		recs[i] = make([]byte, benchRecordBytes)
		for k := range recs[i] {
			recs[i][k] = byte(i + k)
		}
	}
	return recs
}

// BenchmarkAppendBatch measures one group commit (one write + one fsync) of
// batches of 200-byte records.
func BenchmarkAppendBatch(b *testing.B) {
	for _, size := range []int{1, 64} {
		b.Run(fmt.Sprintf("records=%d", size), func(b *testing.B) {
			j := openTestJournal(b, Options{Dir: formatTestDir(b)})
			recs := benchRecords(size)
			b.SetBytes(int64(size * benchRecordBytes))
			for b.Loop() {
				if _, err := j.AppendBatch(recs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(size*b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// BenchmarkReplay measures reading back 1M 200-byte records over the default
// 64 MiB segments.
func BenchmarkReplay(b *testing.B) {
	const records = 1 << 20
	const batch = 8192
	j := openTestJournal(b, Options{Dir: formatTestDir(b)})
	recs := benchRecords(batch)
	for j.LastIndex() < records {
		if _, err := j.AppendBatch(recs); err != nil {
			b.Fatal(err)
		}
	}
	last := j.LastIndex()
	b.SetBytes(int64(last) * benchRecordBytes)
	for b.Loop() {
		var n uint64
		if err := j.Replay(0, func(uint64, []byte) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
		if n != last {
			b.Fatalf("replayed %d records, want %d", n, last)
		}
	}
	b.ReportMetric(float64(last)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
