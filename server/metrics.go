package server

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are one master's Prometheus metrics, in a registry of its own so
// that several masters can live in one test process.
type Metrics struct {
	Registry     *prometheus.Registry
	RPCs         *prometheus.CounterVec
	RPCLatency   *prometheus.HistogramVec
	JournalFlush prometheus.Histogram
	JournalBatch prometheus.Histogram
}

// NewMetrics registers Halo's master metrics; gauges read live values
// through the given functions.
func NewMetrics(inodes, applied, sinceCheckpoint func() float64, leader func() float64) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		RPCs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "halo_master_rpc_total", Help: "RPCs served, by method and outcome code.",
		}, []string{"method", "code"}),
		RPCLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "halo_master_rpc_duration_seconds", Help: "RPC latency by method.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 18),
		}, []string{"method"}),
		JournalFlush: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "halo_master_journal_flush_duration_seconds", Help: "Time to write and fsync one journal batch.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16),
		}),
		JournalBatch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "halo_master_journal_batch_entries", Help: "Entries per journal batch (group commit).",
			Buckets: prometheus.ExponentialBuckets(1, 2, 11),
		}),
	}
	reg.MustRegister(m.RPCs, m.RPCLatency, m.JournalFlush, m.JournalBatch,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "halo_master_inodes", Help: "Inodes in the namespace."}, inodes),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "halo_master_journal_applied_index", Help: "Index of the last applied journal entry."}, applied),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "halo_master_journal_entries_since_checkpoint", Help: "Journal entries written since the last checkpoint."}, sinceCheckpoint),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "halo_master_is_leader", Help: "1 if this master serves as the leader."}, leader),
	)
	return m
}
