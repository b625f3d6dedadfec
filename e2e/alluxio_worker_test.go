package e2e

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/halo-fs/halo/internal/testinfra/alluxio"
	"github.com/halo-fs/halo/internal/testinfra/masters"
	"github.com/halo-fs/halo/internal/testinfra/workers"
	"github.com/halo-fs/halo/proto/alluxiopb"
)

// reportTimeout bounds the wait for the real admin shell to report what a
// test expects; each of its runs is a JVM start (a few seconds).
const reportTimeout = 2 * time.Minute

// A real Alluxio 2.9.3 worker registers with three Halo masters, and the
// real `fsadmin report` shows it live with its capacity, as does Halo's;
// after the leader's kill -9 the worker goes on with the new leader, under
// the same worker id; paused past alluxio.master.worker.timeout it is
// lost, and resumed it is live again.
func TestRealAlluxioWorkerRegistersAndSurvivesLeaderKill(t *testing.T) {
	// Short, so that a paused worker is lost within the test; long
	// enough that a loaded machine's pauses do not lose it.
	c, client := startAlluxioCompatibleRaft(t, map[string]string{"alluxio.master.worker.timeout": "15s"})
	worker := alluxio.StartWorker(t, 64<<20, client)
	live := []string{
		"    Live Workers: 1\n",
		"    Total Capacity: 64.00MB\n        Tier: MEM  Size: 64.00MB\n",
	}
	report := waitReport(t, client, live)
	if missing := notASubsequence(withoutUptime(report), withoutUptime(haloReport(t, c))); missing != "" {
		t.Errorf("Halo's report lacks the real report's line %q\nreal:\n%s", missing, report)
	}
	capacity, _, code := alluxio.AdminShell(t, client, "report", "capacity")
	if code != 0 || !strings.Contains(capacity, "127.0.0.1") || !strings.Contains(capacity, "64.00MB") {
		t.Errorf("fsadmin report capacity: exit %d, want the worker 127.0.0.1 with 64.00MB:\n%s", code, capacity)
	}

	old := c.Leader(60 * time.Second)
	id := workerIDs(t, old)
	if id == "" {
		t.Fatalf("the leader %s lists no live worker", old.Name)
	}
	old.Kill()
	leader := c.Leader(60 * time.Second)
	if leader == old {
		t.Fatalf("the killed master %s still leads", old.Name)
	}
	waitReport(t, client, live)
	if again := workerIDs(t, c.Leader(60*time.Second)); again != id {
		t.Errorf("the new leader knows the worker as %q, the old one as %q", again, id)
	}
	if !worker.Process().Running() {
		t.Fatalf("the worker exited after the failover; log %s", worker.Log())
	}

	// A worker silent past the timeout is lost, its capacity gone; back,
	// it registers again and is live.
	if err := worker.Process().Pause(); err != nil {
		t.Fatal(err)
	}
	waitReport(t, client, []string{"    Live Workers: 0\n    Lost Workers: 1\n    Total Capacity: 0B\n"})
	if err := worker.Process().Resume(); err != nil {
		t.Fatal(err)
	}
	waitReport(t, client, append(live, "    Lost Workers: 0\n"))
}

// waitReport polls the real `fsadmin report` until it holds every part of
// want, and returns it; the test fails when the time is up.
func waitReport(t *testing.T, client map[string]string, want []string) string {
	t.Helper()
	deadline := time.Now().Add(reportTimeout)
	var last string
	for time.Now().Before(deadline) {
		out, errOut, code := alluxio.AdminShell(t, client, "report")
		last = out + errOut
		if code == 0 && containsAll(out, want) {
			return out
		}
	}
	t.Fatalf("within %v the real fsadmin report never held %q; last:\n%s", reportTimeout, want, last)
	return ""
}

func containsAll(s string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

func haloReport(t *testing.T, c *masters.Cluster) string {
	t.Helper()
	out, err := c.Leader(60*time.Second).Halo("fsadmin", "report")
	if err != nil {
		t.Fatalf("halo fsadmin report: %v\n%s", err, out)
	}
	return out
}

// workerIDs asks master m, over Alluxio's protocol, for its live workers'
// ids.
func workerIDs(t *testing.T, m *masters.Master) string {
	t.Helper()
	conn, err := grpc.NewClient(m.RPCAddress(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := alluxiopb.NewBlockMasterClientServiceClient(conn).GetWorkerInfoList(ctx, &alluxiopb.GetWorkerInfoListPOptions{})
	if err != nil {
		t.Fatalf("GetWorkerInfoList from %s: %v", m.Name, err)
	}
	var ids []string
	for _, w := range resp.GetWorkerInfos() {
		ids = append(ids, strconv.FormatInt(w.GetId(), 10))
	}
	return strings.Join(ids, ",")
}

// The real `fsadmin report capacity` and Halo's print the same report of
// a Halo worker and a real Alluxio worker registered with Halo masters,
// but for the seconds since each worker's last heartbeat; so they do of
// the live workers alone and of the lost ones (none).
func TestRealCapacityReportMatchesHalos(t *testing.T) {
	c, client := startAlluxioCompatibleRaft(t, nil)
	haloWorker := workers.New(t, c, "w2", "127.0.0.2", nil)
	haloWorker.Start()
	haloWorker.WaitRegistered(c.RPCAddresses(), 60*time.Second)
	alluxio.StartWorker(t, 64<<20, client)
	waitReport(t, client, []string{"    Live Workers: 2\n"})

	for _, filter := range [][]string{nil, {"-live"}, {"-lost"}} {
		args := append([]string{"report", "capacity"}, filter...)
		real, errOut, code := alluxio.AdminShell(t, client, args...)
		if code != 0 {
			t.Fatalf("the real fsadmin %v: exit %d\n%s%s", args, code, real, errOut)
		}
		if filter == nil {
			for _, host := range []string{"127.0.0.1", "127.0.0.2"} {
				if !strings.Contains(real, "\n"+host+" ") {
					t.Errorf("the real report lacks worker %s:\n%s", host, real)
				}
			}
		}
		halo, err := c.Leader(60 * time.Second).Halo(append([]string{"fsadmin"}, args...)...)
		if err != nil {
			t.Fatalf("halo fsadmin %v: %v\n%s", args, err, halo)
		}
		if r, h := withoutHeartbeatAges(real), withoutHeartbeatAges(halo); r != h {
			t.Errorf("fsadmin %v: the reports differ but for heartbeat ages;\nreal:\n%s\nhalo:\n%s", args, real, halo)
		}
	}
}

// heartbeatAge is the seconds-since-last-heartbeat column of a worker's
// capacity row, with the padding that follows it.
var heartbeatAge = regexp.MustCompile(`(?m)^(\S+ +)(\d+ +)(capacity )`)

// withoutHeartbeatAges blanks each worker's heartbeat age and orders the
// workers' row pairs by host, since the reports order workers by it.
func withoutHeartbeatAges(report string) string {
	report = heartbeatAge.ReplaceAllStringFunc(report, func(row string) string {
		m := heartbeatAge.FindStringSubmatch(row)
		return m[1] + "N" + strings.Repeat(" ", len(m[2])-1) + m[3]
	})
	head, table, found := strings.Cut(report, "\nWorker Name")
	if !found {
		return report
	}
	lines := strings.Split(strings.TrimRight(table, "\n"), "\n")
	header, rows := lines[0], lines[1:]
	var workers []string
	for i := 0; i+1 < len(rows); i += 2 {
		workers = append(workers, rows[i]+"\n"+rows[i+1])
	}
	slices.Sort(workers)
	return head + "\nWorker Name" + header + "\n" + strings.Join(workers, "\n")
}
