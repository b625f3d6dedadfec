package conf

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// KeyError is a bad configuration value. Key is the property (or "--ha"
// for the flag), Value the text after ${} expansion.
type KeyError struct {
	Key   string
	Value string
	Err   error
}

func (e *KeyError) Error() string {
	return fmt.Sprintf("%s=%q: %v", e.Key, e.Value, e.Err)
}

func (e *KeyError) Unwrap() error { return e.Err }

// ErrNoZooKeeperWithEmbeddedJournal is wrapped by the error for a
// configuration that enables ZooKeeper with the embedded journal: the Raft
// quorum elects its own leader, and Alluxio refuses the combination too.
var ErrNoZooKeeperWithEmbeddedJournal = errors.New("ZooKeeper cannot be combined with alluxio.master.journal.type=EMBEDDED, as Alluxio does not allow either; set the journal type to UFS or disable ZooKeeper")

// The range of alluxio.master.embedded.journal.entry.size.max. The upper
// bound is master.MaxEntryBytesCeiling (conf imports nothing of Halo).
const (
	MinEntrySizeMax = 64 << 10
	MaxEntrySizeMax = 32 << 20
)

// Validate checks the rules that span keys, and the ranges of the fields,
// so a Config built or edited by hand is checked like a loaded one. It
// returns every problem found, joined.
func (c *Config) Validate() error {
	var problems []error
	fail := func(key, value string, format string, args ...any) {
		problems = append(problems, &KeyError{Key: key, Value: value, Err: fmt.Errorf(format, args...)})
	}

	if err := checkHost(c.Hostname); err != nil {
		fail(KeyMasterHostname, c.Hostname, "%v", err)
	}
	for _, port := range []struct {
		key   string
		value int
	}{
		{KeyMasterRPCPort, c.RPCPort},
		{KeyMasterWebPort, c.WebPort},
		{KeyEmbeddedJournalPort, c.EmbeddedJournalPort},
		{"alluxio.worker.rpc.port", c.WorkerRPCPort},
		{"alluxio.worker.web.port", c.WorkerWebPort},
	} {
		if port.value < 0 || port.value > math.MaxUint16 {
			fail(port.key, strconv.Itoa(port.value), "port is out of range 0-65535")
		}
	}

	if set := countSet(c.TLSCertFile, c.TLSKeyFile, c.TLSCAFile); set != 0 && set != 3 {
		fail(KeyTLSCertFile, c.TLSCertFile, "mutual TLS needs all of %s, %s and %s", KeyTLSCertFile, KeyTLSKeyFile, KeyTLSCAFile)
	}

	switch c.AuthenticationType {
	case "CUSTOM":
		fail(KeyAuthenticationType, c.AuthenticationType, "CUSTOM loads a Java authentication provider, which Halo cannot; use SECRET (with %s) or CERTIFICATE (with %s)", KeyAuthSecretFile, KeyTLSCertFile)
	case "SECRET":
		if c.AuthSecretFile == "" {
			fail(KeyAuthSecretFile, "", "%s=SECRET needs the shared secret's file", KeyAuthenticationType)
		}
	case "CERTIFICATE":
		if c.TLSCertFile == "" {
			fail(KeyTLSCertFile, "", "%s=CERTIFICATE needs mutual TLS (%s, %s and %s)", KeyAuthenticationType, KeyTLSCertFile, KeyTLSKeyFile, KeyTLSCAFile)
		}
	}

	switch c.JournalType {
	case JournalEmbedded, JournalUFS, JournalNoop:
	default:
		fail(KeyJournalType, string(c.JournalType), "want EMBEDDED, UFS or NOOP")
	}
	if c.JournalFolder == "" && c.JournalType != JournalNoop {
		fail(KeyJournalFolder, c.JournalFolder, "the journal folder is empty")
	}
	if c.CheckpointPeriodEntries == 0 {
		fail(KeyCheckpointPeriodEntries, "0", "must be at least 1")
	}

	if c.ZooKeeperEnabled {
		if c.JournalType == JournalEmbedded {
			problems = append(problems, &KeyError{Key: KeyZooKeeperEnabled, Value: "true", Err: ErrNoZooKeeperWithEmbeddedJournal})
		}
		if len(c.ZooKeeperAddresses) == 0 {
			fail(KeyZooKeeperAddress, "", "ZooKeeper is enabled (alluxio.zookeeper.enabled=true) but no ensemble address is given")
		}
		if c.ZooKeeperSessionTimeout <= 0 {
			fail(KeyZooKeeperSessionTimeout, c.ZooKeeperSessionTimeout.String(), "must be positive")
		}
		for _, znode := range []struct{ key, path string }{
			{KeyZooKeeperElectionPath, c.ZooKeeperElectionPath},
			{KeyZooKeeperLeaderPath, c.ZooKeeperLeaderPath},
		} {
			if !strings.HasPrefix(znode.path, "/") || len(znode.path) > 1 && strings.HasSuffix(znode.path, "/") {
				fail(znode.key, znode.path, "want an absolute znode path such as /alluxio/election")
			}
		}
	}

	switch c.HA {
	case HANone, HARaft, HAZooKeeper:
		conflicting := c.ZooKeeperEnabled && c.JournalType == JournalEmbedded // reported above
		if derived := deriveHA(c.JournalType, c.ZooKeeperEnabled); derived != c.HA && !conflicting {
			fail("--ha", string(c.HA), "does not match %s=%s and %s=%t, which mean %s",
				KeyJournalType, c.JournalType, KeyZooKeeperEnabled, c.ZooKeeperEnabled, derived)
		}
	default:
		fail("--ha", string(c.HA), "want none, raft or zookeeper")
	}

	if duplicate, ok := firstDuplicate(c.EmbeddedJournalAddresses); ok {
		fail(KeyEmbeddedJournalAddresses, strings.Join(c.EmbeddedJournalAddresses, ","), "address %s is listed twice", duplicate)
	}
	if c.HA == HARaft && len(c.EmbeddedJournalAddresses) == 0 {
		fail(KeyEmbeddedJournalAddresses, "", "the embedded journal needs at least one address")
	}
	if c.ElectionTimeoutMin <= 0 {
		fail(KeyElectionTimeoutMin, c.ElectionTimeoutMin.String(), "must be positive")
	}
	if c.ElectionTimeoutMax < c.ElectionTimeoutMin {
		fail(KeyElectionTimeoutMax, c.ElectionTimeoutMax.String(), "is below %s=%s", KeyElectionTimeoutMin, c.ElectionTimeoutMin)
	}
	if c.EmbeddedJournalEntrySizeMax < MinEntrySizeMax || c.EmbeddedJournalEntrySizeMax > MaxEntrySizeMax {
		fail(KeyJournalEntrySizeMax, strconv.FormatUint(c.EmbeddedJournalEntrySizeMax, 10),
			"want %d (64KB) to %d (32MB) bytes: an entry must hold a request's longest path, and fit one 64 MiB journal record", MinEntrySizeMax, MaxEntrySizeMax)
	}
	if c.Umask > 0o777 {
		fail(KeyUmask, strconv.FormatUint(uint64(c.Umask), 8), "umask is above 0777")
	}
	if c.DailyBackupEnabled && c.DailyBackupFilesRetained < 1 {
		fail("alluxio.master.daily.backup.files.retained", strconv.Itoa(c.DailyBackupFilesRetained), "daily backups need at least 1 backup retained")
	}
	if c.ClientRetryMaxSleep < c.ClientRetryBaseSleep {
		fail("alluxio.user.rpc.retry.max.sleep", c.ClientRetryMaxSleep.String(),
			"is below alluxio.user.rpc.retry.base.sleep=%s", c.ClientRetryBaseSleep)
	}
	for _, interval := range []struct {
		key   string
		value time.Duration
	}{
		{"alluxio.master.journal.tailer.sleep.time", c.JournalTailerSleepTime},
		{"alluxio.worker.block.heartbeat.interval", c.WorkerHeartbeatInterval},
	} {
		// A zero interval would spin a polling loop.
		if interval.value <= 0 {
			fail(interval.key, interval.value.String(), "must be positive")
		}
	}
	return errors.Join(problems...)
}

// deriveHA maps the journal properties to an HA mode: ZooKeeper wins, then
// the journal type. NOOP keeps no journal, so there is nothing to share.
func deriveHA(journal JournalType, zooKeeper bool) HAMode {
	switch {
	case zooKeeper:
		return HAZooKeeper
	case journal == JournalEmbedded:
		return HARaft
	default:
		return HANone
	}
}

// firstDuplicate finds an address listed twice, ignoring host name case.
func firstDuplicate(addresses []string) (string, bool) {
	seen := make(map[string]bool, len(addresses))
	for _, address := range addresses {
		normalized := strings.ToLower(address)
		if seen[normalized] {
			return address, true
		}
		seen[normalized] = true
	}
	return "", false
}

func countSet(values ...string) int {
	n := 0
	for _, v := range values {
		if v != "" {
			n++
		}
	}
	return n
}
