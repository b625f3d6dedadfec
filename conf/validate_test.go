package conf

import (
	"errors"
	"strings"
	"testing"
)

// keyErrors flattens the KeyErrors in a joined error tree.
func keyErrors(err error) []*KeyError {
	if keyErr, ok := err.(*KeyError); ok {
		return []*KeyError{keyErr}
	}
	var found []*KeyError
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range joined.Unwrap() {
			found = append(found, keyErrors(e)...)
		}
	}
	return found
}

// checkKeyError fails unless err holds a KeyError for key whose text
// names the key and contains want.
func checkKeyError(t *testing.T, err error, key, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one for %s", key)
	}
	for _, keyErr := range keyErrors(err) {
		if keyErr.Key == key {
			if text := keyErr.Error(); !strings.HasPrefix(text, key+"=") || !strings.Contains(text, want) {
				t.Fatalf("error for %s is %q; want it to start with %q and contain %q", key, text, key+"=", want)
			}
			return
		}
	}
	t.Fatalf("error %q has no KeyError for %s", err, key)
}

func TestLoadRejectsBadValues(t *testing.T) {
	tests := []struct {
		name string
		site string
		ha   string
		key  string
		want string
	}{
		{name: "bad number", site: "alluxio.master.journal.checkpoint.period.entries=lots",
			key: KeyCheckpointPeriodEntries, want: `"lots": want a whole number`},
		{name: "negative count", site: "alluxio.zookeeper.leader.inquiry.retry=-1",
			key: "alluxio.zookeeper.leader.inquiry.retry", want: "want a whole number of 0 or more"},
		{name: "bad duration", site: "alluxio.zookeeper.session.timeout=sixty",
			key: KeyZooKeeperSessionTimeout, want: "not a duration"},
		{name: "bad duration unit", site: "alluxio.user.rpc.retry.max.duration=2 fortnights",
			key: "alluxio.user.rpc.retry.max.duration", want: `unknown duration unit "fortnights"`},
		{name: "bad size", site: "alluxio.master.journal.log.size.bytes.max=10XB",
			key: "alluxio.master.journal.log.size.bytes.max", want: `unknown size unit "xb"`},
		{name: "bad bool", site: "alluxio.zookeeper.enabled=yes",
			key: KeyZooKeeperEnabled, want: "not a boolean"},
		{name: "bad address port", site: "alluxio.master.embedded.journal.addresses=m1:19200,m2:x",
			key: KeyEmbeddedJournalAddresses, want: `address "m2:x": port "x" is not a number`},
		{name: "bad address host", site: "alluxio.zookeeper.address=zk 1:2181",
			key: KeyZooKeeperAddress, want: `host "zk 1" contains`},
		{name: "address port out of range", site: "alluxio.master.rpc.addresses=m1:99999",
			key: KeyMasterRPCAddresses, want: "out of range 1-65535"},
		{name: "port out of range", site: "alluxio.master.rpc.port=70000",
			key: KeyMasterRPCPort, want: "out of range 0-65535"},
		{name: "port not a number", site: "alluxio.master.web.port=http",
			key: KeyMasterWebPort, want: "not a port number"},
		{name: "unknown journal type", site: "alluxio.master.journal.type=RAFT",
			key: KeyJournalType, want: "want one of EMBEDDED, UFS, NOOP"},
		{name: "bad umask", site: "alluxio.security.authorization.permission.umask=099",
			key: KeyUmask, want: "not an octal umask"},
		{name: "ZooKeeper with embedded journal", site: "alluxio.zookeeper.enabled=true\nalluxio.zookeeper.address=zk1\nalluxio.master.journal.type=EMBEDDED",
			key: KeyZooKeeperEnabled, want: "cannot be combined with alluxio.master.journal.type=EMBEDDED, as Alluxio does not allow either"},
		{name: "ZooKeeper without addresses", site: "alluxio.zookeeper.enabled=true\nalluxio.master.journal.type=UFS",
			key: KeyZooKeeperAddress, want: "no ensemble address"},
		{name: "--ha=zookeeper without addresses", ha: "zookeeper",
			key: KeyZooKeeperAddress, want: "no ensemble address"},
		{name: "unknown HA", ha: "etcd", key: "--ha", want: "want none, raft or zookeeper"},
		{name: "duplicate embedded journal address", site: "alluxio.master.embedded.journal.addresses=m1:19200,m2,M1:19200",
			key: KeyEmbeddedJournalAddresses, want: "address M1:19200 is listed twice"},
		{name: "duplicate by default port", site: "alluxio.master.embedded.journal.addresses=m1,m1:19200",
			key: KeyEmbeddedJournalAddresses, want: "address m1:19200 is listed twice"},
		{name: "empty journal folder", site: "alluxio.master.journal.folder=",
			key: KeyJournalFolder, want: "the journal folder is empty"},
		{name: "entry size above the journal's records", site: "alluxio.master.embedded.journal.entry.size.max=64MB",
			key: KeyJournalEntrySizeMax, want: "fit one 64 MiB journal record"},
		{name: "entry size below a path", site: "alluxio.master.embedded.journal.entry.size.max=4KB",
			key: KeyJournalEntrySizeMax, want: "want 65536 (64KB) to 33554432 (32MB) bytes"},
		{name: "checkpoint period 0", site: "alluxio.master.journal.checkpoint.period.entries=0",
			key: KeyCheckpointPeriodEntries, want: "must be at least 1"},
		{name: "election timeouts inverted", site: "alluxio.master.embedded.journal.min.election.timeout=30s",
			key: KeyElectionTimeoutMax, want: "is below " + KeyElectionTimeoutMin},
		{name: "relative znode", site: "alluxio.zookeeper.enabled=true\nalluxio.master.journal.type=UFS\nalluxio.zookeeper.address=zk\nalluxio.zookeeper.leader.path=alluxio/leader",
			key: KeyZooKeeperLeaderPath, want: "absolute znode path"},
		{name: "retry sleeps inverted", site: "alluxio.user.rpc.retry.base.sleep=5s",
			key: "alluxio.user.rpc.retry.max.sleep", want: "is below alluxio.user.rpc.retry.base.sleep"},
		{name: "empty hostname", site: "alluxio.master.hostname=",
			key: KeyMasterHostname, want: "empty host"},
		{name: "zero tailer sleep", site: "alluxio.master.journal.tailer.sleep.time=0",
			key: "alluxio.master.journal.tailer.sleep.time", want: "must be positive"},
		{name: "bad value in a key that has no field", site: "alluxio.master.embedded.journal.flush.size.max=big",
			key: "alluxio.master.embedded.journal.flush.size.max", want: "not a size"},
		{name: "bad expansion of a default", site: "alluxio.work.dir=${MISSING}",
			key: KeyWorkDir, want: "${MISSING} is neither"},
		{name: "CUSTOM authentication", site: "alluxio.security.authentication.type=CUSTOM",
			key: KeyAuthenticationType, want: "use SECRET"},
		{name: "SECRET without a secret file", site: "alluxio.security.authentication.type=secret",
			key: KeyAuthSecretFile, want: "needs the shared secret's file"},
		{name: "CERTIFICATE without TLS", site: "alluxio.security.authentication.type=CERTIFICATE",
			key: KeyTLSCertFile, want: "needs mutual TLS"},
		{name: "unknown authentication", site: "alluxio.security.authentication.type=KERBEROS",
			key: KeyAuthenticationType, want: "want one of NOSASL, SIMPLE, SECRET, CERTIFICATE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeConfDir(t, map[string]string{SiteFileName: tt.site})
			opts := testOptions(dir, nil)
			opts.HA = tt.ha
			c, err := Load(opts)
			if c != nil {
				t.Errorf("Load returned a Config along with the error")
			}
			checkKeyError(t, err, tt.key, tt.want)
		})
	}
}

func TestLoadReportsEveryBadValue(t *testing.T) {
	dir := writeConfDir(t, map[string]string{SiteFileName: "alluxio.master.rpc.port=x\nalluxio.master.web.port=y\nalluxio.zookeeper.session.timeout=z\n"})
	_, err := Load(testOptions(dir, nil))
	for _, key := range []string{KeyMasterRPCPort, KeyMasterWebPort, KeyZooKeeperSessionTimeout} {
		checkKeyError(t, err, key, "not a")
	}
}

func TestLoadReportsAReferencedFailureOnce(t *testing.T) {
	dir := writeConfDir(t, map[string]string{SiteFileName: "alluxio.home=${NOPE}"})
	_, err := Load(testOptions(dir, nil))
	// alluxio.work.dir, the journal folder, the root UFS and the logs dir all
	// refer to alluxio.home; the operator needs to hear about it once.
	if n := strings.Count(err.Error(), "is neither"); n != 1 {
		t.Errorf("error mentions ${NOPE} %d times: %v", n, err)
	}
}

func TestValidateHandBuiltConfig(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(c *Config)
		key    string
		want   string
	}{
		{name: "negative port", mutate: func(c *Config) { c.RPCPort = -1 }, key: KeyMasterRPCPort, want: "out of range"},
		{name: "huge port", mutate: func(c *Config) { c.WorkerWebPort = 1 << 20 }, key: "alluxio.worker.web.port", want: "out of range"},
		{name: "journal type", mutate: func(c *Config) { c.JournalType = "RAFT" }, key: KeyJournalType, want: "want EMBEDDED, UFS or NOOP"},
		{name: "HA value", mutate: func(c *Config) { c.HA = "etcd" }, key: "--ha", want: "want none, raft or zookeeper"},
		{name: "HA mismatch", mutate: func(c *Config) { c.HA = HANone }, key: "--ha",
			want: "does not match alluxio.master.journal.type=EMBEDDED and alluxio.zookeeper.enabled=false, which mean raft"},
		{name: "raft without members", mutate: func(c *Config) { c.EmbeddedJournalAddresses = nil },
			key: KeyEmbeddedJournalAddresses, want: "at least one address"},
		{name: "umask", mutate: func(c *Config) { c.Umask = 0o1000 }, key: KeyUmask, want: "above 0777"},
		{name: "ZooKeeper session", mutate: func(c *Config) {
			c.JournalType, c.ZooKeeperEnabled, c.HA = JournalUFS, true, HAZooKeeper
			c.ZooKeeperAddresses = []string{"zk:2181"}
			c.ZooKeeperSessionTimeout = 0
		}, key: KeyZooKeeperSessionTimeout, want: "must be positive"},
		{name: "NOOP needs no folder but still a checkpoint period", mutate: func(c *Config) {
			c.JournalType, c.HA, c.JournalFolder, c.CheckpointPeriodEntries = JournalNoop, HANone, "", 0
		}, key: KeyCheckpointPeriodEntries, want: "at least 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default().Clone()
			tt.mutate(c)
			err := c.Validate()
			checkKeyError(t, err, tt.key, tt.want)
			if tt.key != KeyJournalFolder && strings.Contains(err.Error(), KeyJournalFolder) {
				t.Errorf("unexpected journal folder error: %v", err)
			}
		})
	}
}

func TestZooKeeperWithEmbeddedJournalIsASentinel(t *testing.T) {
	c := Default().Clone()
	c.ZooKeeperEnabled, c.ZooKeeperAddresses, c.HA = true, []string{"zk:2181"}, HAZooKeeper
	if err := c.Validate(); !errors.Is(err, ErrNoZooKeeperWithEmbeddedJournal) {
		t.Errorf("Validate() = %v, want ErrNoZooKeeperWithEmbeddedJournal", err)
	}
}

func TestUnknownMachineFactsNeedExplicitKeys(t *testing.T) {
	failing := func() (string, error) { return "", errors.New("no such thing") }
	tests := []struct {
		name string
		site string
		set  func(*LoadOptions)
		key  string
	}{
		{name: "host name", site: "alluxio.master.embedded.journal.addresses=m1,m2,m3",
			set: func(o *LoadOptions) { o.Hostname = failing }, key: KeyMasterHostname},
		{name: "user", set: func(o *LoadOptions) { o.CurrentUser = failing }, key: KeyLoginUsername},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeConfDir(t, map[string]string{SiteFileName: tt.site})
			opts := testOptions(dir, nil)
			tt.set(&opts)
			_, err := Load(opts)
			checkKeyError(t, err, tt.key, "no such thing")

			opts.Overrides = map[string]string{tt.key: "given"}
			if _, err := Load(opts); err != nil {
				t.Errorf("with %s set: %v", tt.key, err)
			}
		})
	}
}
