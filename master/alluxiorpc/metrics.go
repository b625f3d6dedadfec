package alluxiorpc

import (
	"context"

	"github.com/halo-fs/halo/proto/alluxiopb"
)

// metrics takes the client metrics Alluxio's clients send every few
// seconds. Halo publishes its own metrics on /metrics and keeps none of
// the clients'; refusing them would fill every client's log instead.
type metrics struct {
	alluxiopb.UnimplementedMetricsMasterClientServiceServer
}

func (metrics) MetricsHeartbeat(context.Context, *alluxiopb.MetricsHeartbeatPRequest) (*alluxiopb.MetricsHeartbeatPResponse, error) {
	return &alluxiopb.MetricsHeartbeatPResponse{}, nil
}

func (metrics) GetMetrics(context.Context, *alluxiopb.GetMetricsPOptions) (*alluxiopb.GetMetricsPResponse, error) {
	return &alluxiopb.GetMetricsPResponse{Metrics: map[string]*alluxiopb.MetricValue{}}, nil
}
