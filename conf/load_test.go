package conf

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// testOptions loads dir with a fixed environment, host name and user, so
// no test depends on the machine it runs on.
func testOptions(dir string, env map[string]string) LoadOptions {
	return LoadOptions{
		ConfDir:     dir,
		Env:         func(name string) string { return env[name] },
		Hostname:    func() (string, error) { return "m2.example.com", nil },
		CurrentUser: func() (string, error) { return "alice", nil },
		Executable:  func() (string, error) { return "", errors.New("no binary in these tests") },
	}
}

// writeConfDir creates a conf dir holding files (name → content).
func writeConfDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func mustLoad(t *testing.T, opts LoadOptions) *Config {
	t.Helper()
	c, err := Load(opts)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

func TestLoadMissingDirGivesDefaults(t *testing.T) {
	c := mustLoad(t, testOptions(filepath.Join(t.TempDir(), "absent"), nil))
	checks := []struct {
		name      string
		got, want any
	}{
		{"Hostname", c.Hostname, "localhost"},
		{"BindHost", c.BindHost, "localhost"},
		{"RPCPort", c.RPCPort, 19998},
		{"WebPort", c.WebPort, 19999},
		{"EmbeddedJournalPort", c.EmbeddedJournalPort, 19200},
		{"JournalType", c.JournalType, JournalEmbedded},
		{"HA", c.HA, HARaft},
		{"Home", c.Home, "/opt/alluxio"},
		{"WorkDir", c.WorkDir, "/opt/alluxio"},
		{"JournalFolder", c.JournalFolder, "/opt/alluxio/journal"},
		{"MountTableRootUFS", c.MountTableRootUFS, "/opt/alluxio/underFSStorage"},
		{"EmbeddedJournalAddresses", strings.Join(c.EmbeddedJournalAddresses, ","), "localhost:19200"},
		{"RPCAddresses", strings.Join(c.RPCAddresses, ","), "localhost:19998"},
		{"RPCAddress", c.RPCAddress(), "localhost:19998"},
		{"CheckpointPeriodEntries", c.CheckpointPeriodEntries, uint64(2000000)},
		{"BackupDirectory", c.BackupDirectory, "/alluxio_backups"},
		{"LoginUser", c.LoginUser, "alice"},
		{"Umask", c.Umask, uint32(0o22)},
		{"SuperGroup", c.SuperGroup, "supergroup"},
		{"ZooKeeperEnabled", c.ZooKeeperEnabled, false},
		{"ZooKeeperSessionTimeout", c.ZooKeeperSessionTimeout, 60 * time.Second},
		{"ZooKeeperConnectionTimeout", c.ZooKeeperConnectionTimeout, 15 * time.Second},
		{"ZooKeeperElectionPath", c.ZooKeeperElectionPath, "/alluxio/election"},
		{"ZooKeeperLeaderPath", c.ZooKeeperLeaderPath, "/alluxio/leader"},
		{"ZooKeeperConnectionErrorPolicy", c.ZooKeeperConnectionErrorPolicy, "SESSION"},
		{"ClientRetryBaseSleep", c.ClientRetryBaseSleep, 50 * time.Millisecond},
		{"ClientRetryMaxSleep", c.ClientRetryMaxSleep, 3 * time.Second},
		{"ClientRetryMaxDuration", c.ClientRetryMaxDuration, 2 * time.Minute},
		{"ElectionTimeoutMin", c.ElectionTimeoutMin, 10 * time.Second},
		{"ElectionTimeoutMax", c.ElectionTimeoutMax, 20 * time.Second},
		{"JournalLogSizeMax", c.JournalLogSizeMax, uint64(10 << 20)},
		{"EmbeddedJournalMaxMessageSize", c.EmbeddedJournalMaxMessageSize, uint64(100 << 20)},
		{"WorkerHeartbeatTimeout", c.WorkerHeartbeatTimeout, time.Hour},
		{"RetryCacheEnabled", c.RetryCacheEnabled, true},
		{"RetryCacheSize", c.RetryCacheSize, 4000000},
		{"RetryCacheRetention", c.RetryCacheRetention, 3 * time.Minute},
		{"Warnings", len(c.Warnings), 0},
	}
	for _, check := range checks {
		if check.got != check.want {
			t.Errorf("%s = %v, want %v", check.name, check.got, check.want)
		}
	}
}

func TestDefaultMatchesEmptyLoad(t *testing.T) {
	d := Default()
	if err := d.Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
	if d.HA != HARaft || d.Hostname != "localhost" || d.JournalFolder != "/opt/alluxio/journal" {
		t.Errorf("Default() = HA %s, host %s, folder %s", d.HA, d.Hostname, d.JournalFolder)
	}
}

func TestLoadGuideZooKeeperConfig(t *testing.T) {
	dir := writeConfDir(t, map[string]string{
		SiteFileName: `# From the Alluxio HA guide.
alluxio.master.hostname=m1
alluxio.master.mount.table.root.ufs=hdfs://nn:9000/alluxio/root
alluxio.zookeeper.enabled=true
alluxio.zookeeper.address=zk1:2181,zk2:2181,zk3
alluxio.master.journal.type=UFS
alluxio.master.journal.folder=hdfs://nn:9000/alluxio/journal
alluxio.zookeeper.session.timeout=120s
alluxio.master.journal.ufs.option.alluxio.underfs.version=3.3
alluxio.underfs.hdfs.configuration=/etc/hadoop/core-site.xml:/etc/hadoop/hdfs-site.xml
`,
		MastersFileName: "m1\nm2\nm3\n",
		WorkersFileName: "w1\nw2\n",
	})
	c := mustLoad(t, testOptions(dir, nil))
	if c.HA != HAZooKeeper || c.JournalType != JournalUFS || !c.ZooKeeperEnabled {
		t.Errorf("HA %s, journal %s, zookeeper %t; want zookeeper, UFS, true", c.HA, c.JournalType, c.ZooKeeperEnabled)
	}
	if want := []string{"zk1:2181", "zk2:2181", "zk3:2181"}; !slices.Equal(c.ZooKeeperAddresses, want) {
		t.Errorf("ZooKeeperAddresses = %q, want %q", c.ZooKeeperAddresses, want)
	}
	if c.ZooKeeperSessionTimeout != 120*time.Second {
		t.Errorf("ZooKeeperSessionTimeout = %v", c.ZooKeeperSessionTimeout)
	}
	if c.JournalFolder != "hdfs://nn:9000/alluxio/journal" || c.MountTableRootUFS != "hdfs://nn:9000/alluxio/root" {
		t.Errorf("JournalFolder %q, MountTableRootUFS %q", c.JournalFolder, c.MountTableRootUFS)
	}
	if len(c.EmbeddedJournalAddresses) != 0 {
		t.Errorf("EmbeddedJournalAddresses = %q, want none in ZooKeeper mode", c.EmbeddedJournalAddresses)
	}
	if want := []string{"m1:19998", "m2:19998", "m3:19998"}; !slices.Equal(c.RPCAddresses, want) {
		t.Errorf("RPCAddresses = %q, want %q", c.RPCAddresses, want)
	}
	if !slices.Equal(c.Masters, []string{"m1", "m2", "m3"}) || !slices.Equal(c.Workers, []string{"w1", "w2"}) {
		t.Errorf("Masters %q, Workers %q", c.Masters, c.Workers)
	}
	options := c.PropertiesWithPrefix(KeyJournalUFSOptionPrefix)
	if len(options) != 1 || options[KeyJournalUFSOptionPrefix+"alluxio.underfs.version"] != "3.3" {
		t.Errorf("journal UFS options = %v", options)
	}
	if len(c.Warnings) != 0 {
		t.Errorf("warnings for a guide config: %q", c.Warnings)
	}
}

func TestLoadGuideEmbeddedConfig(t *testing.T) {
	dir := writeConfDir(t, map[string]string{
		SiteFileName: `alluxio.master.hostname=m2
alluxio.master.embedded.journal.addresses=m1:19200,m2:19200,m3:19200
alluxio.master.mount.table.root.ufs=s3://bucket/data
alluxio.master.journal.folder=${alluxio.work.dir}/raft-journal
aws.accessKeyId=AKIAEXAMPLE
aws.secretKey=wJalrXUtnFEMI
`,
		MastersFileName: "m1\nm2\nm3\n",
	})
	c := mustLoad(t, testOptions(dir, map[string]string{"ALLUXIO_HOME": "/srv/halo"}))
	if c.HA != HARaft || c.JournalType != JournalEmbedded || c.ZooKeeperEnabled {
		t.Errorf("HA %s, journal %s, zookeeper %t; want raft, EMBEDDED, false", c.HA, c.JournalType, c.ZooKeeperEnabled)
	}
	if want := []string{"m1:19200", "m2:19200", "m3:19200"}; !slices.Equal(c.EmbeddedJournalAddresses, want) {
		t.Errorf("EmbeddedJournalAddresses = %q, want %q", c.EmbeddedJournalAddresses, want)
	}
	if want := []string{"m1:19998", "m2:19998", "m3:19998"}; !slices.Equal(c.RPCAddresses, want) {
		t.Errorf("RPCAddresses = %q, want %q (EJ hosts at the RPC port)", c.RPCAddresses, want)
	}
	if c.EmbeddedJournalAddress() != "m2:19200" || c.RPCAddress() != "m2:19998" {
		t.Errorf("own addresses %s, %s", c.EmbeddedJournalAddress(), c.RPCAddress())
	}
	if c.JournalFolder != "/srv/halo/raft-journal" {
		t.Errorf("JournalFolder = %q, want /srv/halo/raft-journal", c.JournalFolder)
	}
	if c.Properties["aws.secretKey"] != "wJalrXUtnFEMI" {
		t.Errorf("aws.secretKey = %q; the properties must keep credentials", c.Properties["aws.secretKey"])
	}
	if len(c.Warnings) != 0 {
		t.Errorf("warnings for a guide config: %q", c.Warnings)
	}
}

func TestLoadPrecedence(t *testing.T) {
	site := "alluxio.master.rpc.port=20000\nalluxio.master.journal.type=UFS\nalluxio.zookeeper.address=zk1\n"
	tests := []struct {
		name      string
		overrides map[string]string
		ha        string
		wantPort  int
		wantType  JournalType
		wantZK    bool
		wantSrc   Source
	}{
		{name: "file over default", wantPort: 20000, wantType: JournalUFS, wantSrc: SourceSiteProperty},
		{name: "-D over file", overrides: map[string]string{KeyMasterRPCPort: "20001", KeyJournalType: "EMBEDDED"},
			wantPort: 20001, wantType: JournalEmbedded, wantSrc: SourceCLI},
		{name: "--ha over -D", overrides: map[string]string{KeyJournalType: "EMBEDDED"}, ha: "zookeeper",
			wantPort: 20000, wantType: JournalUFS, wantZK: true, wantSrc: SourceCLI},
		{name: "--ha=raft over a ZooKeeper file", overrides: map[string]string{KeyZooKeeperEnabled: "true"}, ha: "raft",
			wantPort: 20000, wantType: JournalEmbedded, wantSrc: SourceCLI},
	}
	dir := writeConfDir(t, map[string]string{SiteFileName: site})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := testOptions(dir, nil)
			opts.Overrides, opts.HA = tt.overrides, tt.ha
			c := mustLoad(t, opts)
			if c.RPCPort != tt.wantPort || c.JournalType != tt.wantType || c.ZooKeeperEnabled != tt.wantZK {
				t.Errorf("port %d, journal %s, zookeeper %t; want %d, %s, %t",
					c.RPCPort, c.JournalType, c.ZooKeeperEnabled, tt.wantPort, tt.wantType, tt.wantZK)
			}
			if got := c.Source(KeyJournalType); got != tt.wantSrc {
				t.Errorf("Source(%s) = %s, want %s", KeyJournalType, got, tt.wantSrc)
			}
		})
	}
}

func TestHADerivation(t *testing.T) {
	tests := []struct {
		name       string
		site       string
		masters    string
		ha         string
		wantHA     HAMode
		wantType   JournalType
		wantZK     bool
		wantEJ     []string
		wantRPC    []string
		wantMaster string
	}{
		{name: "default single master is a one-node raft", wantHA: HARaft, wantType: JournalEmbedded,
			wantEJ: []string{"localhost:19200"}, wantRPC: []string{"localhost:19998"}, wantMaster: "localhost"},
		{name: "journal UFS means none", site: "alluxio.master.journal.type=UFS",
			wantHA: HANone, wantType: JournalUFS, wantRPC: []string{"localhost:19998"}, wantMaster: "localhost"},
		{name: "journal NOOP means none", site: "alluxio.master.journal.type=noop",
			wantHA: HANone, wantType: JournalNoop, wantRPC: []string{"localhost:19998"}, wantMaster: "localhost"},
		{name: "zookeeper enabled means zookeeper", site: "alluxio.zookeeper.enabled=TRUE\nalluxio.master.journal.type=UFS\nalluxio.zookeeper.address=zk",
			wantHA: HAZooKeeper, wantType: JournalUFS, wantZK: true, wantRPC: []string{"localhost:19998"}, wantMaster: "localhost"},
		{name: "--ha=none", ha: "none", wantHA: HANone, wantType: JournalUFS,
			wantRPC: []string{"localhost:19998"}, wantMaster: "localhost"},
		{name: "--ha=zookeeper", ha: "ZooKeeper", site: "alluxio.zookeeper.address=zk1,zk2", masters: "m1\nm2\nm3",
			wantHA: HAZooKeeper, wantType: JournalUFS, wantZK: true,
			wantRPC: []string{"m1:19998", "m2:19998", "m3:19998"}, wantMaster: "m2"},
		{name: "--ha=raft derives the quorum from masters", ha: "raft", masters: "m1\nm2.example.com\nm3",
			wantHA: HARaft, wantType: JournalEmbedded,
			wantEJ:  []string{"m1:19200", "m2.example.com:19200", "m3:19200"},
			wantRPC: []string{"m1:19998", "m2.example.com:19998", "m3:19998"}, wantMaster: "m2.example.com"},
		{name: "--ha=raft without masters uses this host", ha: "raft", site: "alluxio.master.hostname=solo\nalluxio.master.embedded.journal.port=9200",
			wantHA: HARaft, wantType: JournalEmbedded,
			wantEJ: []string{"solo:9200"}, wantRPC: []string{"solo:19998"}, wantMaster: "solo"},
		{name: "explicit rpc addresses win", ha: "raft", masters: "m1\nm2\nm3",
			site:   "alluxio.master.rpc.addresses=m1:1,m2:2;m3",
			wantHA: HARaft, wantType: JournalEmbedded,
			wantEJ:  []string{"m1:19200", "m2:19200", "m3:19200"},
			wantRPC: []string{"m1:1", "m2:2", "m3:19998"}, wantMaster: "m2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeConfDir(t, map[string]string{SiteFileName: tt.site, MastersFileName: tt.masters})
			opts := testOptions(dir, nil)
			opts.HA = tt.ha
			c := mustLoad(t, opts)
			if c.HA != tt.wantHA || c.JournalType != tt.wantType || c.ZooKeeperEnabled != tt.wantZK {
				t.Errorf("HA %s, journal %s, zookeeper %t; want %s, %s, %t",
					c.HA, c.JournalType, c.ZooKeeperEnabled, tt.wantHA, tt.wantType, tt.wantZK)
			}
			if !slices.Equal(c.EmbeddedJournalAddresses, tt.wantEJ) {
				t.Errorf("EmbeddedJournalAddresses = %q, want %q", c.EmbeddedJournalAddresses, tt.wantEJ)
			}
			if !slices.Equal(c.RPCAddresses, tt.wantRPC) {
				t.Errorf("RPCAddresses = %q, want %q", c.RPCAddresses, tt.wantRPC)
			}
			if c.Hostname != tt.wantMaster {
				t.Errorf("Hostname = %q, want %q", c.Hostname, tt.wantMaster)
			}
			derived := !strings.Contains(tt.site, KeyMasterRPCAddresses)
			if got := c.Properties[KeyMasterRPCAddresses]; derived && got != strings.Join(tt.wantRPC, ",") {
				t.Errorf("property %s = %q; derived addresses must show in getConf", KeyMasterRPCAddresses, got)
			}
		})
	}
}

func TestDefaultHostname(t *testing.T) {
	tests := []struct {
		name      string
		site      string
		masters   string
		localName string
		want      string
	}{
		{name: "nothing listed", localName: "box", want: "localhost"},
		{name: "one master listed", masters: "m1", localName: "box", want: "m1"},
		{name: "exact match", masters: "m1\nm2\nm3", localName: "m3", want: "m3"},
		{name: "short name matches FQDN", masters: "m1.dc\nm2.dc", localName: "m2", want: "m2.dc"},
		{name: "FQDN matches short name", masters: "m1\nm2", localName: "M1.example.com", want: "m1"},
		{name: "no match is a client host", masters: "m1\nm2", localName: "client7", want: "client7"},
		{name: "addresses count as listed", site: "alluxio.master.embedded.journal.addresses=a:1,b:1", localName: "b", want: "b"},
		{name: "self reference is not followed", site: "alluxio.master.embedded.journal.addresses=${alluxio.master.hostname}:19200", localName: "box", want: "localhost"},
		{name: "set explicitly", site: "alluxio.master.hostname=10.0.0.7", masters: "m1\nm2", localName: "m1", want: "10.0.0.7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeConfDir(t, map[string]string{SiteFileName: tt.site, MastersFileName: tt.masters})
			opts := testOptions(dir, nil)
			opts.Hostname = func() (string, error) { return tt.localName, nil }
			c := mustLoad(t, opts)
			if c.Hostname != tt.want {
				t.Errorf("Hostname = %q, want %q", c.Hostname, tt.want)
			}
			if c.BindHost != tt.want {
				t.Errorf("BindHost = %q, want the hostname %q", c.BindHost, tt.want)
			}
		})
	}
}

func TestHostListFiles(t *testing.T) {
	dir := writeConfDir(t, map[string]string{
		MastersFileName: "# masters of the demo\n\n  m1  \nm2 # the second\n\t\n#m9\nm3\nm1\n",
		WorkersFileName: "w1\r\nw2\r\n",
	})
	c := mustLoad(t, testOptions(dir, nil))
	if want := []string{"m1", "m2", "m3"}; !slices.Equal(c.Masters, want) {
		t.Errorf("Masters = %q, want %q", c.Masters, want)
	}
	if want := []string{"w1", "w2"}; !slices.Equal(c.Workers, want) {
		t.Errorf("Workers = %q, want %q", c.Workers, want)
	}
}

func TestHostListFileWithTwoHostsOnALine(t *testing.T) {
	dir := writeConfDir(t, map[string]string{MastersFileName: "m1\nm2 m3\n"})
	_, err := Load(testOptions(dir, nil))
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, MastersFileName)+":2") {
		t.Fatalf("Load = %v; want an error naming masters line 2", err)
	}
}

func TestExpansion(t *testing.T) {
	tests := []struct {
		name    string
		site    string
		env     map[string]string
		key     string
		want    string
		wantErr string
	}{
		{name: "work dir default", key: KeyJournalFolder, want: "/opt/alluxio/journal"},
		{name: "work dir set", site: "alluxio.work.dir=/data/halo", key: KeyJournalFolder, want: "/data/halo/journal"},
		{name: "home from env", env: map[string]string{"ALLUXIO_HOME": "/srv/a"}, key: KeyMountTableRootUFS, want: "/srv/a/underFSStorage"},
		{name: "env reference", site: "alluxio.work.dir=${DATA}/w", env: map[string]string{"DATA": "/d"}, key: KeyJournalFolder, want: "/d/w/journal"},
		{name: "property wins over env", site: "alluxio.work.dir=${alluxio.home}/w\nalluxio.home=/h", env: map[string]string{"alluxio.home": "/env"}, key: KeyWorkDir, want: "/h/w"},
		{name: "pass-through reference", site: "alluxio.underfs.s3.endpoint=http://${alluxio.master.hostname}:9000", key: "alluxio.underfs.s3.endpoint", want: "http://localhost:9000"},
		{name: "several references", site: "alluxio.master.backup.directory=${alluxio.home}-${alluxio.master.rpc.port}", key: "alluxio.master.backup.directory", want: "/opt/alluxio-19998"},
		{name: "unknown reference", site: "alluxio.work.dir=${NOPE}/w", key: KeyWorkDir, wantErr: `alluxio.work.dir="${NOPE}/w": ${NOPE} is neither a property nor a set environment variable`},
		{name: "cycle", site: "alluxio.work.dir=${alluxio.home}\nalluxio.home=${alluxio.work.dir}", key: KeyWorkDir, wantErr: "circular reference"},
		{name: "self cycle", site: "alluxio.home=${alluxio.home}", key: KeyHome, wantErr: "alluxio.home -> alluxio.home"},
		{name: "unterminated", site: "alluxio.work.dir=${alluxio.home", key: KeyWorkDir, wantErr: `alluxio.work.dir="${alluxio.home": "${" without a closing "}"`},
		{name: "empty reference", site: "alluxio.work.dir=${}", key: KeyWorkDir, wantErr: "empty reference"},
		{name: "exponential growth is cut", site: doublingChain(24), key: "x.0", wantErr: "expands to more than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeConfDir(t, map[string]string{SiteFileName: tt.site})
			c, err := Load(testOptions(dir, tt.env))
			checkErr(t, err, tt.wantErr)
			if err == nil && c.Properties[tt.key] != tt.want {
				t.Errorf("%s = %q, want %q", tt.key, c.Properties[tt.key], tt.want)
			}
		})
	}
}

// doublingChain is x.0=${x.1}${x.1}, x.1=${x.2}${x.2}, …: 2^n bytes if
// expanded in full.
func doublingChain(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString("x." + strconv.Itoa(i) + "=${x." + strconv.Itoa(i+1) + "}${x." + strconv.Itoa(i+1) + "}\n")
	}
	b.WriteString("x." + strconv.Itoa(n) + "=ab\n")
	return b.String()
}

func TestOverrideReferencesFileKey(t *testing.T) {
	dir := writeConfDir(t, map[string]string{SiteFileName: "alluxio.work.dir=/w"})
	opts := testOptions(dir, nil)
	opts.Overrides = map[string]string{KeyJournalFolder: "${alluxio.work.dir}/j2"}
	c := mustLoad(t, opts)
	if c.JournalFolder != "/w/j2" {
		t.Errorf("JournalFolder = %q, want /w/j2", c.JournalFolder)
	}
}

func TestConfDirSelection(t *testing.T) {
	fromEnv := writeConfDir(t, map[string]string{SiteFileName: "alluxio.master.hostname=from-env"})
	explicit := writeConfDir(t, map[string]string{SiteFileName: "alluxio.master.hostname=explicit"})

	opts := testOptions("", map[string]string{"ALLUXIO_CONF_DIR": fromEnv})
	if c := mustLoad(t, opts); c.Hostname != "from-env" || c.ConfDir != fromEnv {
		t.Errorf("with $ALLUXIO_CONF_DIR: Hostname %q, ConfDir %q", c.Hostname, c.ConfDir)
	}
	opts.ConfDir = explicit
	if c := mustLoad(t, opts); c.Hostname != "explicit" || c.Properties[KeyConfDir] != explicit {
		t.Errorf("with ConfDir: Hostname %q, %s %q", c.Hostname, KeyConfDir, c.Properties[KeyConfDir])
	}
}

func TestConfDirThatIsAFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "conf")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(testOptions(file, nil))
	checkErr(t, err, "is not a directory")
}

func TestMalformedSiteFileNamesTheFile(t *testing.T) {
	dir := writeConfDir(t, map[string]string{SiteFileName: "alluxio.master.hostname=\\u12"})
	_, err := Load(testOptions(dir, nil))
	checkErr(t, err, filepath.Join(dir, SiteFileName))
}

func TestSitePropertiesSyntax(t *testing.T) {
	dir := writeConfDir(t, map[string]string{SiteFileName: "! a comment\n" +
		"alluxio.master.hostname : m7\n" +
		"alluxio.master.journal.type   UFS   \n" +
		"alluxio.master.journal.folder=/a/\\\n   b\n" +
		"alluxio.master.rpc.port=1\nalluxio.master.rpc.port=2\n"})
	c := mustLoad(t, testOptions(dir, nil))
	if c.Hostname != "m7" || c.JournalType != JournalUFS || c.JournalFolder != "/a/b" || c.RPCPort != 2 {
		t.Errorf("Hostname %q, JournalType %q, JournalFolder %q, RPCPort %d", c.Hostname, c.JournalType, c.JournalFolder, c.RPCPort)
	}
}

func TestUnknownKeysWarn(t *testing.T) {
	dir := writeConfDir(t, map[string]string{SiteFileName: `alluxio.master.jornal.type=UFS
alluxio.user.file.persist.on.rename=true
alluxio.underfs.s3.endpoint=http://minio:9000
alluxio.master.journal.ufs.option.fs.hdfs.impl=x
alluxio.master.mount.table.root.option.aws.accessKeyId=k
alluxio.worker.tieredstore.level0.alias=MEM
aws.secretKey=s
fs.s3a.endpoint=e
`})
	opts := testOptions(dir, nil)
	opts.Overrides = map[string]string{"halo.nonsense": "1"}
	c := mustLoad(t, opts)
	if len(c.Warnings) != 3 {
		t.Fatalf("Warnings = %q, want 3", c.Warnings)
	}
	want := []string{
		"unknown property alluxio.master.jornal.type (from " + filepath.Join(dir, SiteFileName) + ") is ignored; did you mean alluxio.master.journal.type?",
		"unknown property alluxio.user.file.persist.on.rename",
		"unknown property halo.nonsense (from -D)",
	}
	for i, w := range want {
		if !strings.HasPrefix(c.Warnings[i], w) {
			t.Errorf("warning %d = %q, want prefix %q", i, c.Warnings[i], w)
		}
	}
	if c.JournalType != JournalEmbedded {
		t.Errorf("a misspelt key changed JournalType to %s", c.JournalType)
	}
}

func TestDoubtfulSettingsWarn(t *testing.T) {
	tests := []struct {
		name    string
		site    string
		masters string
		want    string
	}{
		{name: "local ZooKeeper journal", masters: "m1\nm2",
			site: "alluxio.zookeeper.enabled=true\nalluxio.zookeeper.address=zk\nalluxio.master.journal.type=UFS",
			want: "alluxio.master.journal.folder=/opt/alluxio/journal is a local path"},
		{name: "two Raft members", site: "alluxio.master.embedded.journal.addresses=a,b",
			want: "two-member Raft quorum"},
		{name: "retry cache retention below the client retry budget", site: "halo.master.filesystem.operation.retry.cache.retention=1min",
			want: "a client retrying that long may see its mutation applied twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeConfDir(t, map[string]string{SiteFileName: tt.site, MastersFileName: tt.masters})
			c := mustLoad(t, testOptions(dir, nil))
			if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], tt.want) {
				t.Errorf("Warnings = %q, want one containing %q", c.Warnings, tt.want)
			}
		})
	}
}

func TestDescribe(t *testing.T) {
	dir := writeConfDir(t, map[string]string{SiteFileName: "alluxio.master.hostname=m1\naws.secretKey=hunter2\naws.accessKeyId=AKIA\nalluxio.underfs.s3.endpoint=e\n"})
	opts := testOptions(dir, nil)
	opts.Overrides = map[string]string{KeyMasterRPCPort: "29998"}
	opts.HA = "none"
	c := mustLoad(t, opts)
	listing := c.Describe()
	byKey := make(map[string]KeyValue, len(listing))
	for i, kv := range listing {
		byKey[kv.Key] = kv
		if i > 0 && listing[i-1].Key >= kv.Key {
			t.Errorf("Describe not sorted at %s", kv.Key)
		}
	}
	for key := range keyIndex {
		if _, ok := byKey[key]; !ok {
			t.Errorf("Describe lacks known key %s", key)
		}
	}
	tests := []struct {
		key        string
		wantValue  string
		wantSource Source
	}{
		{KeyMasterHostname, "m1", SourceSiteProperty},
		{KeyMasterRPCPort, "29998", SourceCLI},
		{KeyJournalType, "UFS", SourceCLI},
		{KeyMasterWebPort, "19999", SourceDefault},
		{"aws.secretKey", "******", SourceSiteProperty},
		{"aws.accessKeyId", "******", SourceSiteProperty},
		{"alluxio.underfs.s3.endpoint", "e", SourceSiteProperty},
		{KeyMasterRPCAddresses, "m1:29998", SourceDefault},
	}
	for _, tt := range tests {
		kv := byKey[tt.key]
		if kv.Value != tt.wantValue || kv.Source != tt.wantSource {
			t.Errorf("%s = %q from %s, want %q from %s", tt.key, kv.Value, kv.Source, tt.wantValue, tt.wantSource)
		}
	}
	if byKey[KeyJournalFolder].Description == "" {
		t.Errorf("known key %s has no description", KeyJournalFolder)
	}
}

func TestEveryKnownKeyIsDescribedAndParsesItsDefault(t *testing.T) {
	// Default() assigns every default through the table; a default that
	// does not parse, or a field of the wrong type, panics there.
	Default()
	for _, spec := range knownKeyTable {
		if spec.description == "" {
			t.Errorf("%s has no description", spec.name)
		}
		if spec.kind == kindAddresses && spec.portOf == nil {
			t.Errorf("%s is an address list without a default port", spec.name)
		}
		if spec.kind == kindEnum && spec.dynamicDefault == nil && !slices.Contains(spec.enum, spec.def) {
			t.Errorf("%s defaults to %q, not one of %q", spec.name, spec.def, spec.enum)
		}
	}
}

func TestPropertiesWithPrefix(t *testing.T) {
	dir := writeConfDir(t, map[string]string{SiteFileName: "aws.accessKeyId=a\naws.secretKey=b\nalluxio.underfs.s3.endpoint=c\n"})
	c := mustLoad(t, testOptions(dir, nil))
	got := c.PropertiesWithPrefix("aws.")
	if len(got) != 2 || got["aws.accessKeyId"] != "a" || got["aws.secretKey"] != "b" {
		t.Errorf("PropertiesWithPrefix(aws.) = %v", got)
	}
	if got := c.PropertiesWithPrefix("nothing."); len(got) != 0 {
		t.Errorf("PropertiesWithPrefix(nothing.) = %v, want empty", got)
	}
}

func TestClone(t *testing.T) {
	c := Default()
	clone := c.Clone()
	clone.RPCAddresses[0] = "changed:1"
	clone.Properties[KeyMasterHostname] = "changed"
	if c.RPCAddresses[0] == "changed:1" || c.Properties[KeyMasterHostname] == "changed" {
		t.Error("Clone shares slices or maps with the original")
	}
}

func TestParseOverride(t *testing.T) {
	tests := []struct {
		in        string
		wantKey   string
		wantValue string
		wantErr   string
	}{
		{in: "alluxio.master.hostname=m1", wantKey: "alluxio.master.hostname", wantValue: "m1"},
		{in: " k = v ", wantKey: "k", wantValue: "v"},
		{in: "k=a=b", wantKey: "k", wantValue: "a=b"},
		{in: "k=", wantKey: "k", wantValue: ""},
		{in: "k", wantErr: "want key=value"},
		{in: "=v", wantErr: "want key=value"},
		{in: "a b=v", wantErr: "white space"},
	}
	for _, tt := range tests {
		key, value, err := ParseOverride(tt.in)
		checkErr(t, err, tt.wantErr)
		if err == nil && (key != tt.wantKey || value != tt.wantValue) {
			t.Errorf("ParseOverride(%q) = %q, %q; want %q, %q", tt.in, key, value, tt.wantKey, tt.wantValue)
		}
	}
}

func TestParseHA(t *testing.T) {
	for in, want := range map[string]HAMode{"": "", "none": HANone, "Raft": HARaft, " zookeeper ": HAZooKeeper} {
		if got, err := ParseHA(in); err != nil || got != want {
			t.Errorf("ParseHA(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	_, err := ParseHA("etcd")
	var keyErr *KeyError
	if !errors.As(err, &keyErr) || keyErr.Key != "--ha" || keyErr.Value != "etcd" {
		t.Errorf("ParseHA(etcd) = %v, want a KeyError for --ha", err)
	}
}

// TestGuideZooKeeperSectionLoadsAsWritten: the guide's ZooKeeper deployment
// names no journal type; it means a shared UFS journal, not the embedded
// one (which ZooKeeper cannot be combined with).
func TestGuideZooKeeperSectionLoadsAsWritten(t *testing.T) {
	dir := t.TempDir()
	site := "alluxio.zookeeper.enabled=true\nalluxio.zookeeper.address=zk1:2181,zk2:2181,zk3:2181\nalluxio.master.journal.folder=hdfs://nn:9000/alluxio/journal\n"
	if err := os.WriteFile(filepath.Join(dir, "alluxio-site.properties"), []byte(site), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(LoadOptions{ConfDir: dir, Env: func(string) string { return "" },
		Hostname: func() (string, error) { return "m1", nil }, CurrentUser: func() (string, error) { return "alluxio", nil }})
	if err != nil {
		t.Fatalf("the guide's ZooKeeper section: %v", err)
	}
	if c.HA != HAZooKeeper || c.JournalType != JournalUFS {
		t.Errorf("HA %s with journal %s, want zookeeper with UFS", c.HA, c.JournalType)
	}
	if c.Source(KeyJournalType) != SourceDefault {
		t.Errorf("journal type source %s, want the default", c.Source(KeyJournalType))
	}
	// Without ZooKeeper the default stays the embedded journal.
	if d := Default(); d.JournalType != JournalEmbedded {
		t.Errorf("default journal type %s, want EMBEDDED", d.JournalType)
	}
}

// extractRelease lays out the part of `make dist`'s tree that says where
// the release lives: bin/halo beside conf/ holding the site template.
func extractRelease(t *testing.T) (home, binary string) {
	t.Helper()
	home = t.TempDir()
	for _, dir := range []string{"bin", "conf"} {
		if err := os.Mkdir(filepath.Join(home, dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	binary = filepath.Join(home, "bin", "halo")
	for path, content := range map[string]string{binary: "", filepath.Join(home, "conf", SiteTemplateFileName): "# template\n"} {
		if err := os.WriteFile(path, []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return home, binary
}

func TestLoadHomeAndConfDirFollowTheExtractedRelease(t *testing.T) {
	home, binary := extractRelease(t)
	if err := os.WriteFile(filepath.Join(home, "conf", SiteFileName), []byte("alluxio.master.rpc.port=20998\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := testOptions("", nil)
	opts.Executable = func() (string, error) { return binary, nil }
	c := mustLoad(t, opts)
	if c.Home != home || c.ConfDir != filepath.Join(home, "conf") {
		t.Errorf("Home %q, ConfDir %q; want the release %q and its conf/", c.Home, c.ConfDir, home)
	}
	if want := filepath.Join(home, "journal"); c.JournalFolder != want {
		t.Errorf("JournalFolder = %q, want %q", c.JournalFolder, want)
	}
	if c.RPCPort != 20998 {
		t.Errorf("RPCPort = %d; the release's conf/alluxio-site.properties was not read", c.RPCPort)
	}
	if got := c.Properties[KeyConfDir]; got != filepath.Join(home, "conf") {
		t.Errorf("%s = %q, want the release's conf/", KeyConfDir, got)
	}
}

func TestLoadHomeOutsideAReleaseStaysTheDefault(t *testing.T) {
	home, binary := extractRelease(t)
	if err := os.Remove(filepath.Join(home, "conf", SiteTemplateFileName)); err != nil {
		t.Fatal(err)
	}
	// A checkout's bin/halo sits beside the Go package conf/, which holds
	// no site file: that is no release.
	opts := testOptions(filepath.Join(t.TempDir(), "absent"), nil)
	opts.Executable = func() (string, error) { return binary, nil }
	if c := mustLoad(t, opts); c.Home != "/opt/alluxio" {
		t.Errorf("Home = %q, want /opt/alluxio", c.Home)
	}
	opts = testOptions("", map[string]string{"ALLUXIO_HOME": "/srv/halo"})
	home, binary = extractRelease(t)
	opts.Executable = func() (string, error) { return binary, nil }
	if c := mustLoad(t, opts); c.Home != "/srv/halo" || c.ConfDir != filepath.Join(home, "conf") {
		t.Errorf("Home %q, ConfDir %q: $ALLUXIO_HOME wins for the home, the conf folder stays the binary's", c.Home, c.ConfDir)
	}
}
