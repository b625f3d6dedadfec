package ha

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// JournalMetrics are the histograms a mode that writes journal batches
// records; the master registers them with the rest of its metrics.
type JournalMetrics struct {
	Flush prometheus.Histogram // seconds to write and fsync one batch
	Batch prometheus.Histogram // entries per batch
}

// NewJournalMetrics makes the journal histograms, not yet registered.
func NewJournalMetrics() *JournalMetrics {
	return &JournalMetrics{
		Flush: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "halo_master_journal_flush_duration_seconds", Help: "Time to write and fsync one journal batch.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16),
		}),
		Batch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "halo_master_journal_batch_entries", Help: "Entries per journal batch (group commit).",
			Buckets: prometheus.ExponentialBuckets(1, 2, 11),
		}),
	}
}

// ObserveBatch records one batch of entries written in took; on nil
// metrics (a replicator started without them) it records nothing.
func (m *JournalMetrics) ObserveBatch(took time.Duration, entries int) {
	if m == nil {
		return
	}
	m.Flush.Observe(took.Seconds())
	m.Batch.Observe(float64(entries))
}
