package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/halo-fs/halo/proto/alluxiopb"
	"google.golang.org/protobuf/proto"
)

func capacityWorker(host string, lastContact int32, capacity, used map[string]int64) *alluxiopb.WorkerInfo {
	var total, usedTotal int64
	for _, b := range capacity {
		total += b
	}
	for _, b := range used {
		usedTotal += b
	}
	return &alluxiopb.WorkerInfo{
		Address:              &alluxiopb.WorkerNetAddress{Host: proto.String(host)},
		LastContactSec:       proto.Int32(lastContact),
		CapacityBytes:        proto.Int64(total),
		UsedBytes:            proto.Int64(usedTotal),
		CapacityBytesOnTiers: capacity,
		UsedBytesOnTiers:     used,
		BuildVersion:         &alluxiopb.BuildVersion{Version: proto.String("2.9.3"), Revision: proto.String("r1")},
	}
}

// The expected text follows Alluxio 2.9.3's CapacityCommand: totals per
// tier in MEM, SSD, HDD order, then one capacity and one used row per
// worker, most recently heard from first, with the tier columns only when
// the workers have more than one tier.
func TestWriteCapacityReport(t *testing.T) {
	tests := []struct {
		name    string
		range_  string
		workers []*alluxiopb.WorkerInfo
		want    string
	}{
		{"no workers", "all", nil, "No workers found.\n"},
		{
			"one tier", "live",
			[]*alluxiopb.WorkerInfo{
				capacityWorker("127.0.0.2", 3, map[string]int64{"MEM": 64 << 20}, map[string]int64{"MEM": 16 << 20}),
				capacityWorker("127.0.0.1", 0, map[string]int64{"MEM": 64 << 20}, map[string]int64{"MEM": 0}),
			},
			"Capacity information for live workers: \n" +
				"    Total Capacity: 128.00MB\n" +
				"        Tier: MEM  Size: 128.00MB\n" +
				"    Used Capacity: 16.00MB\n" +
				"        Tier: MEM  Size: 16.00MB\n" +
				"    Used Percentage: 12%\n" +
				"    Free Percentage: 88%\n" +
				"\n" +
				"Worker Name      Last Heartbeat   Storage       MEM              Version          Revision                                \n" +
				"127.0.0.1        0                capacity      64.00MB          2.9.3            r1                                      \n" +
				"                                  used          0B (0%)                                                                   \n" +
				"127.0.0.2        3                capacity      64.00MB          2.9.3            r1                                      \n" +
				"                                  used          16.00MB (25%)                                                             \n",
		},
		{
			"tiers in Alluxio's order, a missing one as -", "all",
			[]*alluxiopb.WorkerInfo{
				capacityWorker("worker-with-a-long-name", 1, map[string]int64{"HDD": 1 << 30, "MEM": 32 << 20}, map[string]int64{"HDD": 0, "MEM": 8 << 20}),
				capacityWorker("w2", 1, map[string]int64{"SSD": 100}, map[string]int64{"SSD": 50}),
			},
			"Capacity information for all workers: \n" +
				"    Total Capacity: 1056.00MB\n" +
				"        Tier: MEM  Size: 32.00MB\n" +
				"        Tier: SSD  Size: 100B\n" +
				"        Tier: HDD  Size: 1024.00MB\n" +
				"    Used Capacity: 8.00MB\n" +
				"        Tier: MEM  Size: 8.00MB\n" +
				"        Tier: SSD  Size: 50B\n" +
				"        Tier: HDD  Size: 0B\n" +
				"    Used Percentage: 0%\n" +
				"    Free Percentage: 100%\n" +
				"\n" +
				"Worker Name                  Last Heartbeat   Storage       Total            MEM           SSD           HDD            Version          Revision                                \n" +
				"worker-with-a-long-name      1                capacity      1056.00MB        32.00MB       -             1024.00MB      2.9.3            r1                                      \n" +
				"                                              used          8.00MB (0%)      8.00MB        -             0B            " + strings.Repeat(" ", 58) + "\n" +
				"w2                           1                capacity      100B             -             100B          -              2.9.3            r1                                      \n" +
				"                                              used          50B (50%)        -             50B           -             " + strings.Repeat(" ", 58) + "\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			writeCapacityReport(&out, tt.range_, tt.workers)
			if got := out.String(); got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", strings.ReplaceAll(got, " \n", "~\n"), strings.ReplaceAll(tt.want, " \n", "~\n"))
			}
		})
	}
}

func TestCapacityFilter(t *testing.T) {
	tests := []struct {
		args      []string
		wantRange alluxiopb.WorkerRange
		wantHosts []string
		wantErr   string
	}{
		{nil, alluxiopb.WorkerRange_ALL, nil, ""},
		{[]string{"-live"}, alluxiopb.WorkerRange_LIVE, nil, ""},
		{[]string{"-lost"}, alluxiopb.WorkerRange_LOST, nil, ""},
		{[]string{"-decommissioned"}, alluxiopb.WorkerRange_DECOMMISSIONED, nil, ""},
		{[]string{"-workers", "w1,w2"}, alluxiopb.WorkerRange_SPECIFIED, []string{"w1", "w2"}, ""},
		{[]string{"-workers"}, 0, nil, "-workers needs"},
		{[]string{"-live", "-lost"}, 0, nil, "too many arguments"},
	}
	for _, tt := range tests {
		f, rest, err := parseCapacityFilter(tt.args)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%q: error %v, want one containing %q", tt.args, err, tt.wantErr)
			}
			continue
		}
		if err != nil || f.workerRange != tt.wantRange || strings.Join(f.hosts, ",") != strings.Join(tt.wantHosts, ",") || len(rest) != 0 {
			t.Errorf("%q: got %v %q rest %q err %v, want %v %q", tt.args, f.workerRange, f.hosts, rest, err, tt.wantRange, tt.wantHosts)
		}
	}
}
