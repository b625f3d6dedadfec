package web

import (
	"sort"

	"github.com/halo-fs/halo/fserr"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// MetricFamily is one metric of a Metrics page (webui_metrics), as
// /metrics exports it to Prometheus.
type MetricFamily struct {
	Name    string   `json:"name"`
	Help    string   `json:"help"`
	Type    string   `json:"type"`
	Samples []Sample `json:"samples"`
}

// Sample is one labelled value; histograms give their count and sum.
type Sample struct {
	Labels map[string]string `json:"labels,omitempty"`
	Value  float64           `json:"value"`
	Count  uint64            `json:"count,omitempty"`
}

// Metrics are the families g gathers, by name, as the Metrics pages and
// their JSON ({"metrics": […]}) show them.
func Metrics(g prometheus.Gatherer) (map[string][]MetricFamily, error) {
	families, err := g.Gather()
	if err != nil {
		return nil, fserr.New(fserr.Internal, "gather metrics: %v", err)
	}
	out := make([]MetricFamily, 0, len(families))
	for _, f := range families {
		mf := MetricFamily{Name: f.GetName(), Help: f.GetHelp(), Type: f.GetType().String(), Samples: []Sample{}}
		for _, m := range f.GetMetric() {
			mf.Samples = append(mf.Samples, sampleOf(m))
		}
		out = append(out, mf)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return map[string][]MetricFamily{"metrics": out}, nil
}

func sampleOf(m *dto.Metric) Sample {
	s := Sample{}
	for _, l := range m.GetLabel() {
		if s.Labels == nil {
			s.Labels = map[string]string{}
		}
		s.Labels[l.GetName()] = l.GetValue()
	}
	switch {
	case m.Counter != nil:
		s.Value = m.GetCounter().GetValue()
	case m.Gauge != nil:
		s.Value = m.GetGauge().GetValue()
	case m.Untyped != nil:
		s.Value = m.GetUntyped().GetValue()
	case m.Histogram != nil:
		s.Value, s.Count = m.GetHistogram().GetSampleSum(), m.GetHistogram().GetSampleCount()
	case m.Summary != nil:
		s.Value, s.Count = m.GetSummary().GetSampleSum(), m.GetSummary().GetSampleCount()
	}
	return s
}
