package web

import (
	"github.com/halo-fs/halo/ha"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are one master's Prometheus metrics, in a registry of its own so
// that several masters can live in one test process.
type Metrics struct {
	Registry   *prometheus.Registry
	RPCs       *prometheus.CounterVec
	RPCLatency *prometheus.HistogramVec
	Journal    *ha.JournalMetrics
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
		Journal: ha.NewJournalMetrics(),
	}
	reg.MustRegister(m.RPCs, m.RPCLatency, m.Journal.Flush, m.Journal.Batch,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "halo_master_inodes", Help: "Inodes in the namespace."}, inodes),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "halo_master_journal_applied_index", Help: "Index of the last applied journal entry."}, applied),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "halo_master_journal_entries_since_checkpoint", Help: "Journal entries written since the last checkpoint."}, sinceCheckpoint),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "halo_master_is_leader", Help: "1 if this master serves as the leader."}, leader),
	)
	return m
}
