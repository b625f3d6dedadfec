// Package conf reads a deployment's configuration the way Alluxio does: the
// conf directory's alluxio-site.properties (Java properties with ${key} and
// ${ENV} references), its masters and workers host lists, then -D key=value
// overrides and the --ha=none|raft|zookeeper shortcut, in that order of
// precedence. One table of known keys (keys.go) drives defaults, parsing
// and the getConf listing, so a key cannot be documented but not parsed.
// Bad values are refused with an error naming the key before anything
// starts; unknown keys only produce warnings, so a site file written for
// Alluxio keeps working.
package conf

import (
	"maps"
	"net"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// JournalType is alluxio.master.journal.type.
type JournalType string

// Journal types Alluxio defines. EMBEDDED is the default since Alluxio 2.2.
const (
	JournalEmbedded JournalType = "EMBEDDED"
	JournalUFS      JournalType = "UFS"
	JournalNoop     JournalType = "NOOP"
)

// HAMode says how masters agree on a leader and share the journal. It is
// derived from the journal type and alluxio.zookeeper.enabled, or forced by
// the --ha shortcut.
type HAMode string

// HA modes, spelled as the --ha flag takes them.
const (
	// HANone is a single master with its journal in a local or UFS folder.
	HANone HAMode = "none"
	// HARaft replicates the journal through the embedded Raft quorum.
	HARaft HAMode = "raft"
	// HAZooKeeper elects the leader in ZooKeeper; the journal is a shared
	// UFS folder that standbys tail.
	HAZooKeeper HAMode = "zookeeper"
)

// Source says where a property's value came from, in the words Alluxio's
// getConf --source prints.
type Source string

// Property sources, from lowest to highest precedence.
const (
	SourceDefault      Source = "DEFAULT"
	SourceSiteProperty Source = "SITE_PROPERTY"
	SourceCLI          Source = "CLI"
)

// KeyValue is one line of the getConf listing.
type KeyValue struct {
	Key         string
	Value       string // credentials are masked
	Source      Source
	Description string // empty for pass-through keys such as alluxio.underfs.*
}

// Config is a deployment's resolved configuration. Load fills every field;
// Properties keeps every resolved key as text for the pass-through families
// (alluxio.underfs.*, aws.*, alluxio.master.journal.ufs.option.*).
type Config struct {
	ConfDir string // the directory the files were read from, even if it does not exist
	Home    string // alluxio.home
	WorkDir string // alluxio.work.dir
	LogsDir string // alluxio.logs.dir; used only when set explicitly

	// Master identity and ports.
	Hostname            string // alluxio.master.hostname
	BindHost            string // alluxio.master.bind.host; defaults to Hostname
	RPCPort             int    // alluxio.master.rpc.port
	WebPort             int    // alluxio.master.web.port
	EmbeddedJournalPort int    // alluxio.master.embedded.journal.port
	WorkerRPCPort       int    // alluxio.worker.rpc.port
	WorkerWebPort       int    // alluxio.worker.web.port

	// HA and journal.
	HA                       HAMode
	JournalType              JournalType
	JournalFolder            string
	EmbeddedJournalAddresses []string // host:port, derived when raft and unset
	RPCAddresses             []string // host:port, derived when unset
	CheckpointPeriodEntries  uint64
	JournalLogSizeMax        uint64        // bytes before a UFS journal log rotates
	JournalTailerSleepTime   time.Duration // idle sleep of a UFS standby
	JournalTailerQuietWait   time.Duration // quiet period before UFS promotion
	JournalGCPeriod          time.Duration
	JournalGCThreshold       time.Duration
	ExitOnDemotion           bool
	InitFromBackup           string // alluxio.master.journal.init.from.backup, set by alluxio-start.sh -i

	// Embedded journal (Raft).
	ElectionTimeoutMin            time.Duration
	ElectionTimeoutMax            time.Duration
	EmbeddedJournalWriteTimeout   time.Duration
	EmbeddedJournalEntrySizeMax   uint64
	EmbeddedJournalMaxMessageSize uint64
	SnapshotChunkSize             uint64
	CheckpointArchiveFolder       string // halo.master.checkpoint.archive.folder
	RaftTimeoutMultiplier         int    // halo.master.embedded.journal.timeout.multiplier
	RaftTrailingLogs              uint64 // halo.master.embedded.journal.trailing.logs
	UnsafeStaleReads              bool   // halo.test.unsafe.stale.reads (test only)
	IgnoreZooKeeperSessionLoss    bool   // halo.test.zookeeper.ignore.session.loss (test only)
	TLSCertFile                   string // halo.security.tls.cert.file
	TLSKeyFile                    string // halo.security.tls.key.file
	TLSCAFile                     string // halo.security.tls.ca.file

	// ZooKeeper.
	ZooKeeperEnabled               bool
	ZooKeeperAddresses             []string
	ZooKeeperSessionTimeout        time.Duration
	ZooKeeperConnectionTimeout     time.Duration
	ZooKeeperElectionPath          string
	ZooKeeperLeaderPath            string
	ZooKeeperLeaderInquiryRetries  int
	ZooKeeperConnectionErrorPolicy string // SESSION or STANDARD

	// Namespace, security and backups.
	MountTableRootUFS        string
	BackupDirectory          string
	DailyBackupEnabled       bool
	DailyBackupTime          time.Duration // after midnight UTC
	DailyBackupFilesRetained int
	BackupDelegationEnabled  bool
	LoginUser                string
	AuthenticationType       string // alluxio.security.authentication.type
	AuthSecretFile           string // halo.security.authentication.secret.file
	PermissionEnabled        bool   // alluxio.security.authorization.permission.enabled
	TrustAssertedSuperuser   bool   // halo.security.authorization.trust.asserted.superuser
	DigestInterval           time.Duration
	Umask                    uint32
	SuperGroup               string
	RetryCacheEnabled        bool
	RetryCacheSize           int
	RetryCacheRetention      time.Duration

	// Leadership and workers.
	ServingThreadTimeout     time.Duration // grace for in-flight RPCs on step-down
	WorkerConnectWait        time.Duration // safe mode of a new leader
	StandbyHeartbeatInterval time.Duration
	StandbyWebEnabled        bool
	WorkerTimeout            time.Duration // a silent worker is lost after this
	WorkerHeartbeatInterval  time.Duration
	WorkerHeartbeatTimeout   time.Duration
	WorkerHostname           string // alluxio.worker.hostname
	WorkerBindHost           string // alluxio.worker.bind.host
	WorkerIdentityFile       string // halo.worker.identity.file

	// Client retries.
	ClientRetryBaseSleep   time.Duration
	ClientRetryMaxSleep    time.Duration
	ClientRetryMaxDuration time.Duration

	// Client data path.
	ClientWriteType string // alluxio.user.file.writetype.default
	ClientReadType  string // alluxio.user.file.readtype.default
	ClientBlockSize uint64 // alluxio.user.block.size.bytes.default
	// ClientMetadataLoadType is alluxio.user.file.metadata.load.type.
	ClientMetadataLoadType string
	// ClientShortCircuit is alluxio.user.short.circuit.enabled.
	ClientShortCircuit bool

	Masters []string // hosts from conf/masters
	Workers []string // hosts from conf/workers

	Properties map[string]string // every resolved key
	Warnings   []string          // unknown keys and doubtful settings

	sources map[string]Source
}

// RPCAddress is this master's client-facing address.
func (c *Config) RPCAddress() string {
	return net.JoinHostPort(c.Hostname, strconv.Itoa(c.RPCPort))
}

// EmbeddedJournalAddress is this master's address in the Raft quorum.
func (c *Config) EmbeddedJournalAddress() string {
	return net.JoinHostPort(c.Hostname, strconv.Itoa(c.EmbeddedJournalPort))
}

// WebAddress is this master's web UI, REST and metrics address.
func (c *Config) WebAddress() string {
	return net.JoinHostPort(c.Hostname, strconv.Itoa(c.WebPort))
}

// LogFile is the file process ("master", "worker") logs to in
// alluxio.logs.dir, as Alluxio names it; "" when the folder is unknown.
func (c *Config) LogFile(process string) string {
	if c.LogsDir == "" {
		return ""
	}
	return filepath.Join(c.LogsDir, process+".log")
}

// PropertiesWithPrefix returns the resolved properties whose keys start
// with prefix, keys unchanged, for families such as
// alluxio.master.journal.ufs.option. that are handed to a UFS adapter.
func (c *Config) PropertiesWithPrefix(prefix string) map[string]string {
	matching := make(map[string]string)
	for key, value := range c.Properties {
		if strings.HasPrefix(key, prefix) {
			matching[key] = value
		}
	}
	return matching
}

// Describe lists every known key and every key that was set, sorted by
// key, with its value and source, for getConf and the web UI's
// configuration page. Credentials are masked.
func (c *Config) Describe() []KeyValue {
	specs := specsByName()
	listing := make([]KeyValue, 0, len(c.Properties))
	for _, key := range sortedKeys(c.Properties) {
		value := c.Properties[key]
		if isCredential(key) && value != "" {
			value = "******"
		}
		source, ok := c.sources[key]
		if !ok {
			source = SourceDefault
		}
		kv := KeyValue{Key: key, Value: value, Source: source}
		if spec, known := specs[key]; known {
			kv.Description = spec.description
		}
		listing = append(listing, kv)
	}
	return listing
}

// Source returns where key's value came from.
func (c *Config) Source(key string) Source {
	if source, ok := c.sources[key]; ok {
		return source
	}
	return SourceDefault
}

// Clone returns a deep copy, so a test or a command can adjust a loaded
// configuration without touching the caller's.
func (c *Config) Clone() *Config {
	clone := *c
	clone.EmbeddedJournalAddresses = append([]string(nil), c.EmbeddedJournalAddresses...)
	clone.RPCAddresses = append([]string(nil), c.RPCAddresses...)
	clone.ZooKeeperAddresses = append([]string(nil), c.ZooKeeperAddresses...)
	clone.Masters = append([]string(nil), c.Masters...)
	clone.Workers = append([]string(nil), c.Workers...)
	clone.Warnings = append([]string(nil), c.Warnings...)
	clone.Properties = maps.Clone(c.Properties)
	clone.sources = maps.Clone(c.sources)
	return &clone
}

// isCredential reports whether a key holds a secret that listings must not
// show, as Alluxio's CREDENTIALS display type does for aws.secretKey.
func isCredential(key string) bool {
	lower := strings.ToLower(key)
	for _, word := range []string{"secret", "password", "accesskey", "credential", "token"} {
		if strings.Contains(lower, word) {
			return true
		}
	}
	return false
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for key := range m {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	return keys
}
