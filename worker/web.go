package worker

import (
	"net/http"
	"time"

	"github.com/halo-fs/halo/master"
	"github.com/halo-fs/halo/web"
	"github.com/halo-fs/halo/web/workerui"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the worker's Prometheus figures.
type metrics struct {
	registry                *prometheus.Registry
	blocksWritten           prometheus.Counter
	bytesWritten, bytesRead prometheus.Counter
	// The short-circuit path: blocks a client on this host wrote or read
	// in the block files itself.
	bytesWrittenLocal, blocksOpenedLocal prometheus.Counter
}

func newMetrics() *metrics {
	m := &metrics{
		registry:      prometheus.NewRegistry(),
		blocksWritten: prometheus.NewCounter(prometheus.CounterOpts{Name: "halo_worker_blocks_written_total", Help: "Blocks written and committed through WriteBlock or CreateLocalBlock."}),
		bytesWritten:  prometheus.NewCounter(prometheus.CounterOpts{Name: "halo_worker_bytes_written_total", Help: "Bytes of blocks committed through WriteBlock or cached from the UFS."}),
		bytesRead:     prometheus.NewCounter(prometheus.CounterOpts{Name: "halo_worker_bytes_read_total", Help: "Bytes sent by ReadBlock."}),
		bytesWrittenLocal: prometheus.NewCounter(prometheus.CounterOpts{Name: "halo_worker_bytes_written_local_total",
			Help: "Bytes of blocks committed through CreateLocalBlock: written by a client on this host (short-circuit)."}),
		blocksOpenedLocal: prometheus.NewCounter(prometheus.CounterOpts{Name: "halo_worker_blocks_opened_local_total",
			Help: "Blocks handed by OpenLocalBlock to a client on this host, which reads their files itself (short-circuit)."}),
	}
	m.registry.MustRegister(m.blocksWritten, m.bytesWritten, m.bytesRead, m.bytesWrittenLocal, m.blocksOpenedLocal,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// webHandler serves /health (the worker runs), /health/ready (it is
// registered with at least one master; the body lists every master),
// /metrics and the worker's web UI (web/workerui).
func (w *Worker) webHandler() http.Handler {
	mux := http.NewServeMux()
	ui, err := workerui.New(workerui.Config{
		ID: w.identity.ID, Host: w.cfg.Host, RPCPort: w.cfg.RPCPort, WebPort: w.cfg.WebPort,
		Version: master.Version, Started: time.Now(), Store: w.store, Masters: w.masterLinks,
		Metrics: w.metrics.registry, LogFile: w.cfg.LogFile, Refusal: w.cfg.WebRefusal,
	})
	if err != nil {
		// The pages are embedded: only a broken build fails here, and the
		// worker's health and metrics are still worth serving.
		w.log.Error("the web UI cannot start", "error", err)
	} else {
		ui.Register(mux)
	}
	mux.Handle("/metrics", promhttp.HandlerFor(w.metrics.registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("/health", func(rw http.ResponseWriter, _ *http.Request) {
		web.WriteJSON(rw, http.StatusOK, map[string]any{"status": "ok", "id": w.identity.ID})
	})
	mux.HandleFunc("/health/ready", func(rw http.ResponseWriter, _ *http.Request) {
		masters := w.Masters()
		code := http.StatusServiceUnavailable
		for _, m := range masters {
			if m.Registered {
				code = http.StatusOK
			}
		}
		web.WriteJSON(rw, code, map[string]any{"id": w.identity.ID, "masters": masters})
	})
	return mux
}

func (w *Worker) masterLinks() []workerui.MasterLink {
	var out []workerui.MasterLink
	for _, s := range w.Masters() {
		out = append(out, workerui.MasterLink{
			Address: s.Address, Registered: s.Registered, Registrations: s.Registrations,
			LastContact: s.LastContact, LastError: s.LastError,
		})
	}
	return out
}
