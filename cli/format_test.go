package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/halo-fs/halo/client"
	"github.com/halo-fs/halo/conf"
	"github.com/halo-fs/halo/proto/halopb"
)

// 2024-03-05 14:07:09.042 UTC
const fixedMs = 1709647629042

func TestFormatMode(t *testing.T) {
	tests := []struct {
		mode  uint32
		isDir bool
		want  string
	}{
		{0o755, true, "drwxr-xr-x"},
		{0o644, false, "-rw-r--r--"},
		{0o777, false, "-rwxrwxrwx"},
		{0o000, true, "d---------"},
		{0o751, false, "-rwxr-x--x"},
		{0o1755, true, "drwxr-xr-x"}, // sticky bit not shown, as in Alluxio
	}
	for _, tt := range tests {
		if got := formatMode(tt.mode, tt.isDir); got != tt.want {
			t.Errorf("formatMode(%o, %v) = %s, want %s", tt.mode, tt.isDir, got, tt.want)
		}
	}
}

func TestHumanSize(t *testing.T) {
	tests := []struct {
		bytes int64
		want  string
	}{
		{0, "0B"},
		{60, "60B"},
		{5120, "5120B"},
		{5121, "5.00KB"},
		{1 << 20, "1024.00KB"},
		{5<<20 + 1, "5.00MB"},
		{3000 << 30, "3000.00GB"},
		{10 << 40, "10.00TB"},
		{6 << 50, "6.00PB"},
	}
	for _, tt := range tests {
		if got := humanSize(tt.bytes); got != tt.want {
			t.Errorf("humanSize(%d) = %s, want %s", tt.bytes, got, tt.want)
		}
	}
}

func TestFormatDateAndClockTime(t *testing.T) {
	if got, want := formatDate(fixedMs, time.UTC), "03-05-2024 14:07:09:042"; got != want {
		t.Errorf("formatDate = %s, want %s", got, want)
	}
	tests := []struct {
		ms   int64
		want string
	}{
		{0, "0 day(s), 0 hour(s), 0 minute(s), and 0 second(s)"},
		{79_000, "0 day(s), 0 hour(s), 1 minute(s), and 19 second(s)"},
		{((2*24+3)*3600+4*60+5)*1000 + 999, "2 day(s), 3 hour(s), 4 minute(s), and 5 second(s)"},
	}
	for _, tt := range tests {
		if got := formatClockTime(tt.ms); got != tt.want {
			t.Errorf("formatClockTime(%d) = %s, want %s", tt.ms, got, tt.want)
		}
	}
}

func sampleFile() *halopb.FileInfo {
	return &halopb.FileInfo{
		Id: 33554431, Name: "data.csv", Path: "/logs/data.csv", Length: 1048576,
		CreationTimeMs: fixedMs - 1000, LastModificationTimeMs: fixedMs,
		Owner: "alice", Group: "staff", Mode: 0o644, Completed: true,
		PersistenceState: halopb.PersistenceState_PERSISTED, BlockIds: []uint64{16777216, 16777217},
		BlockSizeBytes: 536870912, UfsPath: "s3://bucket/logs/data.csv",
	}
}

func sampleDir() *halopb.FileInfo {
	return &halopb.FileInfo{
		Id: 1, Name: "logs", Path: "/logs", IsDirectory: true, ChildCount: 3,
		LastModificationTimeMs: fixedMs, Owner: "root", Group: "supergroup", Mode: 0o755,
		PersistenceState: halopb.PersistenceState_NOT_PERSISTED,
	}
}

func TestFormatLsLine(t *testing.T) {
	tests := []struct {
		name  string
		info  *halopb.FileInfo
		human bool
		want  string
	}{
		{"file", sampleFile(), false,
			"-rw-r--r--  alice          staff                  1048576       PERSISTED 03-05-2024 14:07:09:042   0% /logs/data.csv\n"},
		{"file human", sampleFile(), true,
			"-rw-r--r--  alice          staff                1024.00KB       PERSISTED 03-05-2024 14:07:09:042   0% /logs/data.csv\n"},
		{"directory shows children and DIR", sampleDir(), true,
			"drwxr-xr-x  root           supergroup                   3   NOT_PERSISTED 03-05-2024 14:07:09:042  DIR /logs\n"},
		{"half cached by workers", func() *halopb.FileInfo { f := sampleFile(); f.InAlluxioPercentage = 50; return f }(), false,
			"-rw-r--r--  alice          staff                  1048576       PERSISTED 03-05-2024 14:07:09:042  50% /logs/data.csv\n"},
		{"empty file is all in Alluxio, short path padded", &halopb.FileInfo{Path: "/a", Mode: 0o600, Owner: "bob", Group: "bob", LastModificationTimeMs: fixedMs}, false,
			"-rw-------  bob            bob                          0   NOT_PERSISTED 03-05-2024 14:07:09:042 100% /a   \n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := formatLsLine(tt.info, tt.human, false, time.UTC); got != tt.want {
				t.Errorf("formatLsLine =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestWriteStat(t *testing.T) {
	var b bytes.Buffer
	writeStat(&b, "/logs/data.csv", sampleFile(), []client.FileBlock{
		{ID: 16777216, Length: 1048576, Locations: []client.BlockLocation{{WorkerID: 9, Host: "w1", RPCPort: 29999, DataPort: 29999, WebPort: 30000, Tier: "MEM"}}},
		{ID: 16777217, Length: 0},
	})
	want := "/logs/data.csv is a file path.\n" +
		"URIStatus{info=FileInfo{fileId=33554431, name=data.csv, path=/logs/data.csv, ufsPath=s3://bucket/logs/data.csv, length=1048576, " +
		"blockSizeBytes=536870912, creationTimeMs=1709647628042, completed=true, folder=false, pinned=false, pinnedlocation=[], " +
		"cacheable=true, persisted=true, blockIds=[16777216, 16777217], inMemoryPercentage=0, lastModificationTimesMs=1709647629042, " +
		"ttl=-1, lastAccessTimesMs=1709647629042, ttlAction=FREE, owner=alice, group=staff, mode=420, persistenceState=PERSISTED, " +
		"mountPoint=false, replicationMax=-1, replicationMin=0, fileBlockInfos=[], mountId=0, inAlluxioPercentage=0, " +
		"ufsFingerprint=, acl=user::rw-,group::r--,other::r--, defaultAcl=}, cacheContext=null}\n" +
		"Containing the following blocks: \n" +
		"BlockInfo{id=16777216, length=1048576, locations=[BlockLocation{workerId=9, address=WorkerNetAddress{host=w1, containerHost=, " +
		"rpcPort=29999, dataPort=29999, webPort=30000, domainSocketPath=, tieredIdentity=TieredIdentity(node=w1, rack=null)}, tierAlias=MEM, mediumType=MEM}]}\n" +
		"BlockInfo{id=16777217, length=0, locations=[]}\n"
	if b.String() != want {
		t.Errorf("writeStat file =\n%s\nwant\n%s", b.String(), want)
	}

	b.Reset()
	writeStat(&b, "/logs", sampleDir(), nil)
	if !strings.HasPrefix(b.String(), "/logs is a directory path.\nURIStatus{info=FileInfo{fileId=1, name=logs, path=/logs, ufsPath=, length=3,") ||
		strings.Contains(b.String(), "blocks") {
		t.Errorf("writeStat directory =\n%s", b.String())
	}

	b.Reset()
	empty := sampleFile()
	empty.BlockIds = nil
	writeStat(&b, "/e", empty, nil)
	if !strings.HasSuffix(b.String(), "}\nThis file does not contain any blocks.\n") {
		t.Errorf("writeStat blockless file =\n%s", b.String())
	}
}

func TestFormatStatFormat(t *testing.T) {
	tests := []struct {
		format string
		info   *halopb.FileInfo
		want   string
	}{
		{"%N %z %u:%g %b", sampleFile(), "data.csv 1048576 alice:staff 2"},
		{"%y|%Y", sampleFile(), "2024-03-05 14:07:09|1709647629042"},
		{"%z %b", sampleDir(), "NA NA"},
		{"100%% %q %", sampleFile(), "100%% %q %"},
	}
	for _, tt := range tests {
		if got := formatStatFormat(tt.format, tt.info, time.UTC); got != tt.want {
			t.Errorf("formatStatFormat(%q) = %q, want %q", tt.format, got, tt.want)
		}
	}
}

func TestCount(t *testing.T) {
	children := []*halopb.FileInfo{
		{Path: "/r/a", Length: 10},
		{Path: "/r/d", IsDirectory: true},
		{Path: "/r/d/b", Length: 20},
		{Path: "/r/c", Length: 30},
	}
	var got countTotals
	got.add(children[:2])
	got.add(children[2:])
	if got != (countTotals{files: 3, folders: 1, bytes: 60}) {
		t.Errorf("count of a listing in two pages = %+v", got)
	}
	// A file's listing is the file itself.
	var file countTotals
	if file.add([]*halopb.FileInfo{sampleFile()}); file != (countTotals{files: 1, bytes: 1048576}) {
		t.Errorf("count of a file = %+v", file)
	}

	var b bytes.Buffer
	writeCount(&b, countTotals{files: 3, folders: 1, bytes: 60}, false)
	writeCount(&b, countTotals{files: 3, folders: 1, bytes: 60}, true)
	want := "" +
		"File Count               Folder Count             Folder Size    \n" +
		"3                        1                        60             \n" +
		"File Count               Folder Count             Folder Size    \n" +
		"3                        1                        60B            \n"
	if b.String() != want {
		t.Errorf("writeCount =\n%q\nwant\n%q", b.String(), want)
	}
}

func TestWriteDu(t *testing.T) {
	files := []*halopb.FileInfo{
		{Path: "/r/a", Length: 0},
		{Path: "/r/b", Length: 10240},
	}
	tests := []struct {
		name             string
		human, summarize bool
		want             string
	}{
		{"per file", false, false, "" +
			"File Size     In Alluxio       Path\n" +
			"0             0 (0%)           /r/a\n" +
			"10240         0 (0%)           /r/b\n"},
		{"summary human", true, true, "" +
			"File Size     In Alluxio       Path\n" +
			"10.00KB       0B (0%)          /r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if tt.summarize {
				var d duTotal
				d.add(files)
				writeDuSummary(&b, "/r", d, tt.human)
			} else {
				writeDu(&b, files, tt.human)
			}
			if b.String() != tt.want {
				t.Errorf("writeDu =\n%q\nwant\n%q", b.String(), tt.want)
			}
		})
	}
}

func TestWriteMountTable(t *testing.T) {
	mounts := []*halopb.MountPointInfo{
		{Path: "/s3", UfsUri: "s3a://bucket/dir", Shared: true, Options: map[string]string{"aws.secretKey": "hunter2", "aws.accessKeyId": "AK"}},
		{Path: "/", UfsUri: "/var/halo/underFSStorage"},
	}
	var b bytes.Buffer
	writeMountTable(&b, mounts)
	want := "" +
		"/var/halo/underFSStorage  on  /    (local, capacity=-1B, used=-1B, not read-only, not shared, properties={})\n" +
		"s3a://bucket/dir          on  /s3  (s3, capacity=-1B, used=-1B, not read-only, shared, properties={aws.accessKeyId=AK, aws.secretKey=******})\n"
	if b.String() != want {
		t.Errorf("writeMountTable =\n%s\nwant\n%s", b.String(), want)
	}
}

func TestWriteSummary(t *testing.T) {
	s := clusterSummary{
		leaderAddress: "m1:19998",
		info: &halopb.MasterInfo{
			WebPort: 19999, RpcPort: 19998, StartTimeMs: fixedMs, UptimeMs: 79_000, Version: "halo-0.1.0",
			JournalType: "EMBEDDED", EntriesSinceCheckpoint: 42, LastCheckpointTimeMs: fixedMs,
		},
		raftAddresses: []string{"m1:19200", "m2:19200"},
		masters: []masterRow{
			{"m1:19998", "PRIMARY", "halo-0.1.0"},
			{"m2:19998", "UNAVAILABLE", "N/A"},
		},
	}
	var b bytes.Buffer
	writeSummary(&b, s, time.UTC)
	want := "" +
		"Alluxio cluster summary: \n" +
		"    Master Address: m1:19998\n" +
		"    Web Port: 19999\n" +
		"    Rpc Port: 19998\n" +
		"    Started: 03-05-2024 14:07:09:042\n" +
		"    Uptime: 0 day(s), 0 hour(s), 1 minute(s), and 19 second(s)\n" +
		"    Version: halo-0.1.0\n" +
		"    Safe Mode: false\n" +
		"    Zookeeper Enabled: false\n" +
		"    Raft-based Journal: true\n" +
		"    Raft Journal Addresses: \n" +
		"        m1:19200\n" +
		"        m2:19200\n" +
		"    Live Workers: 0\n" +
		"    Lost Workers: 0\n" +
		"    Total Capacity: 0B\n" +
		"    Used Capacity: 0B\n" +
		"    Free Capacity: 0B\n" +
		"    Master Address                   State    Version\n" +
		"    m1:19998                         PRIMARY  halo-0.1.0\n" +
		"    m2:19998                         UNAVAILABLE N/A\n" +
		"    Journal Type: EMBEDDED\n" +
		"    Journal Entries Since Checkpoint: 42\n" +
		"    Last Checkpoint Time: 03-05-2024 14:07:09:042\n"
	if b.String() != want {
		t.Errorf("writeSummary =\n%s\nwant\n%s", b.String(), want)
	}

	b.Reset()
	s.raftAddresses = nil
	s.zookeeperEnabled = true
	s.zookeeperAddresses = []string{"zk1:2181", "zk2:2181"}
	s.info.LastCheckpointTimeMs = 0
	writeSummary(&b, s, time.UTC)
	for _, part := range []string{
		"    Zookeeper Enabled: true\n    Zookeeper Addresses: \n        zk1:2181\n        zk2:2181\n    Raft-based Journal: false\n    Live Workers: 0\n",
		"    Last Checkpoint Time: never\n",
	} {
		if !strings.Contains(b.String(), part) {
			t.Errorf("zookeeper summary lacks %q:\n%s", part, b.String())
		}
	}
}

func TestWriteMasterInfo(t *testing.T) {
	tests := []struct {
		name, leader string
		mode         conf.HAMode
		want         string
	}{
		{"raft", "m1:19998", "raft", "" +
			"Current leader master: m1:19998\n" +
			"All masters: [m1:19998, m2:19998]\n" +
			"Raft journal addresses: [m1:19200, m2:19200]\n"},
		{"zookeeper without leader", "", "zookeeper", "" +
			"Failed to find leader master\n" +
			"All masters: [m1:19998, m2:19998]\n" +
			"Zookeeper address: zk1:2181,zk2:2181\n"},
		{"single", "m1:19998", "none", "" +
			"Current leader master: m1:19998\n" +
			"All masters: [m1:19998, m2:19998]\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			writeMasterInfo(&b, tt.leader, []string{"m1:19998", "m2:19998"}, tt.mode,
				[]string{"zk1:2181", "zk2:2181"}, []string{"m1:19200", "m2:19200"})
			if b.String() != tt.want {
				t.Errorf("writeMasterInfo =\n%s\nwant\n%s", b.String(), tt.want)
			}
		})
	}
}

// TestLsWithoutSecurityHidesPermissions: with NOSASL (or permission checks
// off) Alluxio's shell prints no mode, owner or group columns.
func TestLsWithoutSecurityHidesPermissions(t *testing.T) {
	info := &halopb.FileInfo{Path: "/a", Mode: 0o600, Owner: "bob", Group: "bob", LastModificationTimeMs: fixedMs}
	got := formatLsLine(info, false, true, time.UTC)
	want := "              0   NOT_PERSISTED 03-05-2024 14:07:09:042 100% /a   \n"
	if got != want {
		t.Errorf("ls line without security = %q, want %q", got, want)
	}
}

// The worker lines carry the figures the leader's worker table reports,
// each total followed by its tiers in Alluxio's order (MEM, SSD, HDD, then
// by name).
func TestWriteSummaryWorkers(t *testing.T) {
	s := clusterSummary{
		leaderAddress: "m1:19998",
		info: &halopb.MasterInfo{
			LiveWorkers: 2, LostWorkers: 1,
			CapacityBytes: 100<<20 + 10<<30, UsedBytes: 6 << 20,
			CapacityBytesOnTiers: map[string]int64{"HDD": 10 << 30, "MEM": 100 << 20},
			UsedBytesOnTiers:     map[string]int64{"HDD": 0, "MEM": 6 << 20},
		},
	}
	var b bytes.Buffer
	writeSummary(&b, s, time.UTC)
	want := "" +
		"    Live Workers: 2\n" +
		"    Lost Workers: 1\n" +
		"    Total Capacity: 10.10GB\n" +
		"        Tier: MEM  Size: 100.00MB\n" +
		"        Tier: HDD  Size: 10.00GB\n" +
		"    Used Capacity: 6.00MB\n" +
		"        Tier: MEM  Size: 6.00MB\n" +
		"        Tier: HDD  Size: 0B\n" +
		"    Free Capacity: 10.09GB\n"
	if !strings.Contains(b.String(), want) {
		t.Errorf("writeSummary =\n%s\nwant it to hold\n%s", b.String(), want)
	}
}
