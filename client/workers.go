package client

import (
	"context"

	"github.com/halo-fs/halo/proto/alluxiopb"
)

// WorkerReport returns the leader's records of the workers in workerRange
// (Alluxio's GetWorkerReport); hosts names the workers of
// WorkerRange_SPECIFIED.
func (c *Client) WorkerReport(ctx context.Context, workerRange alluxiopb.WorkerRange, hosts []string) ([]*alluxiopb.WorkerInfo, error) {
	var workers []*alluxiopb.WorkerInfo
	err := c.invoke(ctx, read, "get worker report", func(ctx context.Context, mc *masterConn) error {
		resp, err := mc.blocks.GetWorkerReport(ctx, &alluxiopb.GetWorkerReportPOptions{
			WorkerRange: workerRange.Enum(),
			Addresses:   hosts,
		})
		workers = resp.GetWorkerInfos()
		return err
	})
	return workers, err
}
