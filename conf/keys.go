package conf

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Keys that Load treats specially or that other packages look up by name.
const (
	KeyHome                     = "alluxio.home"
	KeyWorkDir                  = "alluxio.work.dir"
	KeyConfDir                  = "alluxio.conf.dir"
	KeyLogsDir                  = "alluxio.logs.dir"
	KeyMasterHostname           = "alluxio.master.hostname"
	KeyMasterBindHost           = "alluxio.master.bind.host"
	KeyMasterRPCPort            = "alluxio.master.rpc.port"
	KeyMasterWebPort            = "alluxio.master.web.port"
	KeyMasterRPCAddresses       = "alluxio.master.rpc.addresses"
	KeyEmbeddedJournalPort      = "alluxio.master.embedded.journal.port"
	KeyEmbeddedJournalAddresses = "alluxio.master.embedded.journal.addresses"
	KeyJournalType              = "alluxio.master.journal.type"
	KeyJournalFolder            = "alluxio.master.journal.folder"
	KeyCheckpointPeriodEntries  = "alluxio.master.journal.checkpoint.period.entries"
	KeyElectionTimeoutMin       = "alluxio.master.embedded.journal.min.election.timeout"
	KeyElectionTimeoutMax       = "alluxio.master.embedded.journal.max.election.timeout"
	KeyZooKeeperEnabled         = "alluxio.zookeeper.enabled"
	KeyZooKeeperAddress         = "alluxio.zookeeper.address"
	KeyZooKeeperSessionTimeout  = "alluxio.zookeeper.session.timeout"
	KeyZooKeeperElectionPath    = "alluxio.zookeeper.election.path"
	KeyZooKeeperLeaderPath      = "alluxio.zookeeper.leader.path"
	KeyMountTableRootUFS        = "alluxio.master.mount.table.root.ufs"
	KeyLoginUsername            = "alluxio.security.login.username"
	KeyUmask                    = "alluxio.security.authorization.permission.umask"
	KeyJournalUFSOptionPrefix   = "alluxio.master.journal.ufs.option."
	KeyCheckpointArchiveFolder  = "halo.master.checkpoint.archive.folder"
	KeyRaftTimeoutMultiplier    = "halo.master.embedded.journal.timeout.multiplier"
	KeyRaftTrailingLogs         = "halo.master.embedded.journal.trailing.logs"
	KeyJournalEntrySizeMax      = "alluxio.master.embedded.journal.entry.size.max"
	KeyUnsafeStaleReads         = "halo.test.unsafe.stale.reads"
	KeyIgnoreSessionLoss        = "halo.test.zookeeper.ignore.session.loss"
	KeyTLSCertFile              = "halo.security.tls.cert.file"
	KeyTLSKeyFile               = "halo.security.tls.key.file"
	KeyTLSCAFile                = "halo.security.tls.ca.file"
	KeyRetryCacheEnabled        = "alluxio.master.filesystem.operation.retry.cache.enabled"
	KeyRetryCacheSize           = "alluxio.master.filesystem.operation.retry.cache.size"
	KeyRetryCacheRetention      = "halo.master.filesystem.operation.retry.cache.retention"
	KeyClientRetryMaxDuration   = "alluxio.user.rpc.retry.max.duration"
	KeyAuthenticationType       = "alluxio.security.authentication.type"
	KeyAuthSecretFile           = "halo.security.authentication.secret.file"
	KeyTrustAssertedSuperuser   = "halo.security.authorization.trust.asserted.superuser"
	KeyPermissionEnabled        = "alluxio.security.authorization.permission.enabled"
	KeyDigestInterval           = "halo.master.web.checkpoint.digest.interval"
)

// ZooKeeperDefaultPort is the port a ZooKeeper address without one gets.
const ZooKeeperDefaultPort = 2181

// valueKind says how a key's text is parsed and checked.
type valueKind int

const (
	kindString valueKind = iota
	kindBool
	kindCount // a non-negative int
	kindUint64
	kindPort
	kindDuration
	kindSize
	kindAddresses
	kindEnum
	kindUmask
	kindTimeOfDay // HH:MM in UTC, kept as the offset from midnight
)

// keySpec describes one known key. The same entry supplies the default,
// the parser, the Config field and the getConf description.
type keySpec struct {
	name        string
	kind        valueKind
	def         string // may contain ${key} and ${ENV} references
	description string
	// dynamicDefault replaces def for defaults that depend on the machine
	// or on other keys (alluxio.home, alluxio.master.hostname).
	dynamicDefault func(r *resolver) (string, error)
	// field points at the Config field the parsed value lands in; nil for
	// keys Halo checks but keeps only in Config.Properties.
	field func(c *Config) any
	// enum lists the accepted values of a kindEnum key, in upper case.
	enum []string
	// portOf gives the port for kindAddresses entries written without one.
	portOf func(c *Config) int
}

// passThroughPrefixes are key families Halo accepts without knowing each
// key: they are options for UFS adapters, logical names and tier levels.
var passThroughPrefixes = []string{
	"alluxio.underfs.",
	KeyJournalUFSOptionPrefix,
	"alluxio.master.mount.table.",
	"alluxio.master.nameservices.",
	"alluxio.master.rpc.address.",
	"alluxio.master.zookeeper.nameservices.",
	"alluxio.master.zookeeper.address.",
	"alluxio.worker.tieredstore.level",
	"alluxio.master.tieredstore.global.level",
	"aws.",
	"fs.",
}

func isPassThrough(key string) bool {
	for _, prefix := range passThroughPrefixes {
		if strings.HasPrefix(key, prefix) {
			return true
		}
	}
	return false
}

var knownKeyTable = []keySpec{
	// Locations.
	{name: KeyHome, kind: kindString, dynamicDefault: defaultHome,
		description: "Installation directory; $ALLUXIO_HOME, else the release bin/halo runs from (bin/ beside conf/), else /opt/alluxio.",
		field:       func(c *Config) any { return &c.Home }},
	{name: KeyWorkDir, kind: kindString, def: "${alluxio.home}",
		description: "Directory for the journal, logs and the default root UFS.",
		field:       func(c *Config) any { return &c.WorkDir }},
	{name: KeyConfDir, kind: kindString, dynamicDefault: func(r *resolver) (string, error) { return r.confDir, nil },
		description: "Directory holding alluxio-site.properties, masters and workers."},
	{name: KeyLogsDir, kind: kindString, def: "${alluxio.work.dir}/logs",
		description: "Directory of master.log (rotated by size) when set explicitly, as the start scripts do; otherwise a master logs to stderr.",
		field:       func(c *Config) any { return &c.LogsDir }},

	// Master identity and ports.
	{name: KeyMasterHostname, kind: kindString, dynamicDefault: defaultHostname,
		description: "This master's host name as others reach it; defaults to localhost for a single master, else this machine's name among the listed masters.",
		field:       func(c *Config) any { return &c.Hostname }},
	{name: KeyMasterBindHost, kind: kindString, def: "${alluxio.master.hostname}",
		description: "Host the master's listeners bind to.",
		field:       func(c *Config) any { return &c.BindHost }},
	{name: KeyMasterRPCPort, kind: kindPort, def: "19998",
		description: "Master RPC port.",
		field:       func(c *Config) any { return &c.RPCPort }},
	{name: KeyMasterWebPort, kind: kindPort, def: "19999",
		description: "Master web UI, REST and metrics port.",
		field:       func(c *Config) any { return &c.WebPort }},
	{name: KeyEmbeddedJournalPort, kind: kindPort, def: "19200",
		description: "Embedded journal (Raft) port.",
		field:       func(c *Config) any { return &c.EmbeddedJournalPort }},
	{name: "alluxio.job.master.embedded.journal.port", kind: kindPort, def: "20003",
		description: "Job master embedded journal port."},
	{name: "alluxio.worker.rpc.port", kind: kindPort, def: "29999",
		description: "Worker RPC and data port.",
		field:       func(c *Config) any { return &c.WorkerRPCPort }},
	{name: "alluxio.worker.web.port", kind: kindPort, def: "30000",
		description: "Worker web UI port.",
		field:       func(c *Config) any { return &c.WorkerWebPort }},
	{name: KeyMasterRPCAddresses, kind: kindAddresses,
		description: "Masters' RPC addresses for clients; defaults to the embedded journal hosts, else the masters file, at the RPC port.",
		field:       func(c *Config) any { return &c.RPCAddresses },
		portOf:      func(c *Config) int { return c.RPCPort }},

	// Journal.
	{name: KeyJournalType, kind: kindEnum, dynamicDefault: defaultJournalType, enum: []string{"EMBEDDED", "UFS", "NOOP"},
		description: "EMBEDDED (Raft among the masters), UFS (a folder, shared in ZooKeeper mode) or NOOP. Unset, it is UFS when alluxio.zookeeper.enabled=true (the guide's ZooKeeper deployment names no journal type) and EMBEDDED otherwise.",
		field:       func(c *Config) any { return &c.JournalType }},
	{name: KeyJournalFolder, kind: kindString, def: "${alluxio.work.dir}/journal",
		description: "Journal location: local for EMBEDDED, a shared UFS URI for UFS with ZooKeeper.",
		field:       func(c *Config) any { return &c.JournalFolder }},
	{name: KeyCheckpointPeriodEntries, kind: kindUint64, def: "2000000",
		description: "Entries between checkpoints (Raft snapshots, UFS standby checkpoints).",
		field:       func(c *Config) any { return &c.CheckpointPeriodEntries }},
	{name: "alluxio.master.journal.log.size.bytes.max", kind: kindSize, def: "10MB",
		description: "Size at which a UFS journal log file rotates.",
		field:       func(c *Config) any { return &c.JournalLogSizeMax }},
	{name: "alluxio.master.journal.tailer.sleep.time", kind: kindDuration, def: "1s",
		description: "How long a UFS standby sleeps when it has caught up.",
		field:       func(c *Config) any { return &c.JournalTailerSleepTime }},
	{name: "alluxio.master.journal.tailer.shutdown.quiet.wait.time", kind: kindDuration, def: "5s",
		description: "Quiet period without new entries before a UFS standby becomes leader.",
		field:       func(c *Config) any { return &c.JournalTailerQuietWait }},
	{name: "alluxio.master.journal.gc.period", kind: kindDuration, def: "2min",
		description: "How often old UFS journal logs and checkpoints are collected.",
		field:       func(c *Config) any { return &c.JournalGCPeriod }},
	{name: "alluxio.master.journal.gc.threshold", kind: kindDuration, def: "5min",
		description: "Age before a superseded journal file may be deleted.",
		field:       func(c *Config) any { return &c.JournalGCThreshold }},
	{name: "alluxio.master.journal.exit.on.demotion", kind: kindBool, def: "false",
		description: "Exit when demoted, for a supervisor to restart the process.",
		field:       func(c *Config) any { return &c.ExitOnDemotion }},
	{name: "alluxio.master.journal.init.from.backup", kind: kindString,
		description: "Backup URI to restore into an empty journal on first start (alluxio-start.sh -i).",
		field:       func(c *Config) any { return &c.InitFromBackup }},

	// Embedded journal (Raft).
	{name: KeyEmbeddedJournalAddresses, kind: kindAddresses,
		description: "Raft quorum members host:port; defaults to the masters file hosts, else this host, at the embedded journal port.",
		field:       func(c *Config) any { return &c.EmbeddedJournalAddresses },
		portOf:      func(c *Config) int { return c.EmbeddedJournalPort }},
	// Halo's own keys (Alluxio has none like them) use the halo. prefix.
	{name: KeyCheckpointArchiveFolder, kind: kindString, def: "",
		description: "Shared UFS folder (path or URI) that receives a copy of every embedded journal checkpoint; a wiped master or a new cluster starts from the newest good one.",
		field:       func(c *Config) any { return &c.CheckpointArchiveFolder }},
	{name: KeyRaftTimeoutMultiplier, kind: kindCount, def: "1",
		description: "Multiplies Halo's LAN Raft timeouts (200ms heartbeat, election and leader lease timeouts) for slow or loaded machines.",
		field:       func(c *Config) any { return &c.RaftTimeoutMultiplier }},
	{name: KeyTLSCertFile, kind: kindString, def: "",
		description: "PEM certificate of this process; with the key and CA files set, the RPC port and the embedded journal use mutual TLS.",
		field:       func(c *Config) any { return &c.TLSCertFile }},
	{name: KeyTLSKeyFile, kind: kindString, def: "",
		description: "PEM private key for halo.security.tls.cert.file.",
		field:       func(c *Config) any { return &c.TLSKeyFile }},
	{name: KeyTLSCAFile, kind: kindString, def: "",
		description: "PEM CA bundle that peers' and clients' certificates must chain to.",
		field:       func(c *Config) any { return &c.TLSCAFile }},
	{name: KeyUnsafeStaleReads, kind: kindBool, def: "false",
		description: "TEST ONLY: serve reads from any master without confirming leadership. Exists so the failover tests can show their checkers catch stale reads; never set it in a deployment.",
		field:       func(c *Config) any { return &c.UnsafeStaleReads }},
	{name: KeyIgnoreSessionLoss, kind: kindBool, def: "false",
		description: "TEST ONLY: a ZooKeeper-mode leader ignores the loss of its session, so that the failover tests can show the shared journal alone fences it. Never set it in a deployment.",
		field:       func(c *Config) any { return &c.IgnoreZooKeeperSessionLoss }},
	{name: KeyRaftTrailingLogs, kind: kindUint64, def: "10240",
		description: "Journal entries kept after a checkpoint so that a briefly absent follower catches up without a snapshot install.",
		field:       func(c *Config) any { return &c.RaftTrailingLogs }},
	{name: KeyElectionTimeoutMin, kind: kindDuration, def: "10s",
		description: "Lower bound of the Raft election timeout.",
		field:       func(c *Config) any { return &c.ElectionTimeoutMin }},
	{name: KeyElectionTimeoutMax, kind: kindDuration, def: "20s",
		description: "Upper bound of the Raft election timeout.",
		field:       func(c *Config) any { return &c.ElectionTimeoutMax }},
	{name: "alluxio.master.embedded.journal.transport.request.timeout.ms", kind: kindDuration, def: "5s",
		description: "Timeout of one Raft transport request."},
	{name: "alluxio.master.embedded.journal.transport.max.inbound.message.size", kind: kindSize, def: "100MB",
		description: "Largest Raft message accepted.",
		field:       func(c *Config) any { return &c.EmbeddedJournalMaxMessageSize }},
	{name: KeyJournalEntrySizeMax, kind: kindSize, def: "10MB",
		description: "Largest single journal entry, in every HA mode (64KB-32MB); a request whose entry would be larger is refused with ResourceExhausted.",
		field:       func(c *Config) any { return &c.EmbeddedJournalEntrySizeMax }},
	{name: "alluxio.master.embedded.journal.flush.size.max", kind: kindSize, def: "160MB",
		description: "Largest batch of entries flushed at once."},
	{name: "alluxio.master.embedded.journal.write.timeout", kind: kindDuration, def: "30s",
		description: "How long a journal write may wait for the quorum.",
		field:       func(c *Config) any { return &c.EmbeddedJournalWriteTimeout }},
	{name: "alluxio.master.embedded.journal.catchup.retry.wait", kind: kindDuration, def: "1s",
		description: "Wait between catch-up attempts of a new leader."},
	{name: "alluxio.master.embedded.journal.snapshot.replication.chunk.size", kind: kindSize, def: "4MB",
		description: "Chunk size when a snapshot is streamed between masters.",
		field:       func(c *Config) any { return &c.SnapshotChunkSize }},
	{name: "alluxio.master.embedded.journal.retry.cache.expiry.time", kind: kindDuration, def: "60s",
		description: "How long the Raft layer remembers a retried request."},
	{name: "alluxio.master.embedded.journal.unsafe.flush.enabled", kind: kindBool, def: "false",
		description: "Acknowledge entries before they are fsynced (unsafe)."},

	// ZooKeeper.
	{name: KeyZooKeeperEnabled, kind: kindBool, def: "false",
		description: "Elect the leader in ZooKeeper; requires journal type UFS.",
		field:       func(c *Config) any { return &c.ZooKeeperEnabled }},
	{name: KeyZooKeeperAddress, kind: kindAddresses,
		description: "ZooKeeper ensemble host:port list.",
		field:       func(c *Config) any { return &c.ZooKeeperAddresses },
		portOf:      func(*Config) int { return ZooKeeperDefaultPort }},
	{name: KeyZooKeeperSessionTimeout, kind: kindDuration, def: "60s",
		description: "ZooKeeper session timeout; 120s is advised above a few hundred million files.",
		field:       func(c *Config) any { return &c.ZooKeeperSessionTimeout }},
	{name: "alluxio.zookeeper.connection.timeout", kind: kindDuration, def: "15s",
		description: "ZooKeeper connection timeout.",
		field:       func(c *Config) any { return &c.ZooKeeperConnectionTimeout }},
	{name: KeyZooKeeperElectionPath, kind: kindString, def: "/alluxio/election",
		description: "Znode under which masters run the leader election.",
		field:       func(c *Config) any { return &c.ZooKeeperElectionPath }},
	{name: KeyZooKeeperLeaderPath, kind: kindString, def: "/alluxio/leader",
		description: "Znode under which the leader advertises its address.",
		field:       func(c *Config) any { return &c.ZooKeeperLeaderPath }},
	{name: "alluxio.zookeeper.leader.inquiry.retry", kind: kindCount, def: "10",
		description: "How many times a client looks up the leader znode.",
		field:       func(c *Config) any { return &c.ZooKeeperLeaderInquiryRetries }},
	{name: "alluxio.zookeeper.auth.enabled", kind: kindBool, def: "true",
		description: "Use ZooKeeper authentication."},
	{name: "alluxio.zookeeper.leader.connection.error.policy", kind: kindEnum, def: "SESSION", enum: []string{"SESSION", "STANDARD"},
		description: "SESSION keeps the leader through a suspended connection that regains its session; STANDARD steps down.",
		field:       func(c *Config) any { return &c.ZooKeeperConnectionErrorPolicy }},

	// Namespace, security and backups.
	{name: KeyMountTableRootUFS, kind: kindString, def: "${alluxio.work.dir}/underFSStorage",
		description: "Under file system mounted at /.",
		field:       func(c *Config) any { return &c.MountTableRootUFS }},
	{name: "alluxio.master.backup.directory", kind: kindString, def: "/alluxio_backups",
		description: "Backup directory on the root UFS (or local with --local).",
		field:       func(c *Config) any { return &c.BackupDirectory }},
	{name: "alluxio.master.daily.backup.enabled", kind: kindBool, def: "false",
		description: "The leader writes a backup to alluxio.master.backup.directory every day.",
		field:       func(c *Config) any { return &c.DailyBackupEnabled }},
	{name: "alluxio.master.daily.backup.time", kind: kindTimeOfDay, def: "05:00",
		description: "UTC time of day (HH:MM) of the daily backup.",
		field:       func(c *Config) any { return &c.DailyBackupTime }},
	{name: "alluxio.master.daily.backup.files.retained", kind: kindCount, def: "3",
		description: "Backups kept in the backup directory after a daily backup; older ones are deleted.",
		field:       func(c *Config) any { return &c.DailyBackupFilesRetained }},
	{name: "alluxio.master.backup.delegation.enabled", kind: kindBool, def: "false",
		description: "Let a standby take backups for the leader.",
		field:       func(c *Config) any { return &c.BackupDelegationEnabled }},
	{name: KeyLoginUsername, kind: kindString, dynamicDefault: defaultLoginUser,
		description: "User the process acts as; defaults to the OS user.",
		field:       func(c *Config) any { return &c.LoginUser }},
	{name: KeyAuthenticationType, kind: kindEnum, def: "SIMPLE", enum: []string{"NOSASL", "SIMPLE", "SECRET", "CERTIFICATE", "CUSTOM"},
		description: "How masters learn who calls: NOSASL (nobody; no permission checks), SIMPLE (the client names its user; no superuser powers, no admin operations), SECRET (connections prove halo.security.authentication.secret.file) or CERTIFICATE (the client certificate's common name, with halo.security.tls.*).",
		field:       func(c *Config) any { return &c.AuthenticationType }},
	{name: KeyAuthSecretFile, kind: kindString, def: "",
		description: "File holding the shared secret (at least 16 bytes) that SECRET authentication checks; every master and client reads the same one. Keep it readable by its owner only.",
		field:       func(c *Config) any { return &c.AuthSecretFile }},
	{name: KeyTrustAssertedSuperuser, kind: kindBool, def: "false",
		description: "Believe, as Alluxio does, that a SIMPLE client naming the master's user (or one in the supergroup) is a superuser, and let every NOSASL client administer, so that Alluxio's own shell can mount, back up and change the quorum; anyone who can reach the RPC port can then do so. Off: admin operations need SECRET or CERTIFICATE.",
		field:       func(c *Config) any { return &c.TrustAssertedSuperuser }},
	{name: KeyPermissionEnabled, kind: kindBool, def: "true",
		description: "Check permissions on namespace operations.",
		field:       func(c *Config) any { return &c.PermissionEnabled }},
	{name: KeyDigestInterval, kind: kindDuration, def: "1s",
		description: "Least time between two namespace walks for /checkpoint/digest (also at least ten times the last walk); requests meanwhile get the last digest.",
		field:       func(c *Config) any { return &c.DigestInterval }},
	{name: KeyUmask, kind: kindUmask, def: "022",
		description: "Octal umask applied to new files and directories.",
		field:       func(c *Config) any { return &c.Umask }},
	{name: "alluxio.security.authorization.permission.supergroup", kind: kindString, def: "supergroup",
		description: "Group whose members bypass permission checks.",
		field:       func(c *Config) any { return &c.SuperGroup }},
	// The leader proposes these three to every replica when it starts to
	// lead (they are replicated state: the leader's values win).
	{name: KeyRetryCacheEnabled, kind: kindBool, def: "true",
		description: "Remember operation ids so that retried mutations answer once.",
		field:       func(c *Config) any { return &c.RetryCacheEnabled }},
	{name: KeyRetryCacheSize, kind: kindCount, def: "4000000",
		description: "Memory cap on remembered operation ids (about 150-230 bytes each); ids are kept for the retention unless the cap is reached.",
		field:       func(c *Config) any { return &c.RetryCacheSize }},
	{name: KeyRetryCacheRetention, kind: kindDuration, def: "3min",
		description: "How long an operation id is remembered; must outlast the clients' alluxio.user.rpc.retry.max.duration.",
		field:       func(c *Config) any { return &c.RetryCacheRetention }},

	// Leadership and workers.
	{name: "alluxio.master.serving.thread.timeout", kind: kindDuration, def: "5m",
		description: "Grace period for in-flight RPCs when the leader steps down.",
		field:       func(c *Config) any { return &c.ServingThreadTimeout }},
	{name: "alluxio.master.worker.connect.wait.time", kind: kindDuration, def: "5s",
		description: "Safe-mode period of a new leader while workers register.",
		field:       func(c *Config) any { return &c.WorkerConnectWait }},
	{name: "alluxio.master.standby.heartbeat.interval", kind: kindDuration, def: "2min",
		description: "Interval of standby-to-leader heartbeats.",
		field:       func(c *Config) any { return &c.StandbyHeartbeatInterval }},
	{name: "alluxio.standby.master.web.enabled", kind: kindBool, def: "false",
		description: "Serve the web UI on standbys too.",
		field:       func(c *Config) any { return &c.StandbyWebEnabled }},
	{name: "alluxio.master.worker.timeout", kind: kindDuration, def: "5min",
		description: "A worker silent this long is marked lost.",
		field:       func(c *Config) any { return &c.WorkerTimeout }},
	{name: "alluxio.master.worker.register.lease.enabled", kind: kindBool, def: "false",
		description: "Make workers take a lease before registering."},
	{name: "alluxio.worker.block.heartbeat.interval", kind: kindDuration, def: "1s",
		description: "Worker heartbeat interval.",
		field:       func(c *Config) any { return &c.WorkerHeartbeatInterval }},
	{name: "alluxio.worker.master.connect.retry.timeout", kind: kindDuration, def: "1h",
		description: "How long a worker keeps trying to reach a leader."},
	{name: "alluxio.worker.block.heartbeat.timeout", kind: kindDuration, def: "${alluxio.worker.master.connect.retry.timeout}",
		description: "A worker exits after failing heartbeats this long.",
		field:       func(c *Config) any { return &c.WorkerHeartbeatTimeout }},
	{name: "alluxio.worker.ramdisk.size", kind: kindSize, def: "1GB",
		description: "Size of the worker's MEM tier."},
	{name: "alluxio.worker.tieredstore.levels", kind: kindCount, def: "1",
		description: "Number of worker storage tiers."},
	{name: "alluxio.master.tieredstore.global.levels", kind: kindCount, def: "3",
		description: "Number of storage tiers the master knows (MEM, SSD, HDD)."},

	// Worker tiered store (worker/blockstore). Alluxio defines three
	// levels; only level0 has a folder and quota by default.
	{name: "alluxio.worker.tieredstore.level0.alias", kind: kindString, def: "MEM",
		description: "Alias of the top storage tier: MEM, SSD or HDD."},
	{name: "alluxio.worker.tieredstore.level0.dirs.path", kind: kindString, def: "/mnt/ramdisk",
		description: "Comma-separated folders of the top storage tier; each must exist (a missing one is reported as lost storage)."},
	{name: "alluxio.worker.tieredstore.level0.dirs.quota", kind: kindString, def: "${alluxio.worker.ramdisk.size}",
		description: "Comma-separated capacities of the top tier's folders (e.g. 16GB); a folder without its own takes the last one."},
	{name: "alluxio.worker.tieredstore.level0.dirs.mediumtype", kind: kindString, def: "${alluxio.worker.tieredstore.level0.alias}",
		description: "Comma-separated medium types of the top tier's folders, as reported to the master."},
	{name: "alluxio.worker.tieredstore.level0.watermark.high.ratio", kind: kindString, def: "0.95",
		description: "Fraction of the top tier's capacity above which blocks are evicted to the next tier."},
	{name: "alluxio.worker.tieredstore.level0.watermark.low.ratio", kind: kindString, def: "0.7",
		description: "Fraction of the top tier's capacity that eviction brings it down to."},
	{name: "alluxio.worker.tieredstore.level1.alias", kind: kindString, def: "",
		description: "Alias of the second storage tier: MEM, SSD or HDD."},
	{name: "alluxio.worker.tieredstore.level1.dirs.path", kind: kindString, def: "",
		description: "Comma-separated folders of the second storage tier; each must exist (a missing one is reported as lost storage)."},
	{name: "alluxio.worker.tieredstore.level1.dirs.quota", kind: kindString, def: "",
		description: "Comma-separated capacities of the second tier's folders (e.g. 16GB); a folder without its own takes the last one."},
	{name: "alluxio.worker.tieredstore.level1.dirs.mediumtype", kind: kindString, def: "${alluxio.worker.tieredstore.level1.alias}",
		description: "Comma-separated medium types of the second tier's folders, as reported to the master."},
	{name: "alluxio.worker.tieredstore.level1.watermark.high.ratio", kind: kindString, def: "0.95",
		description: "Fraction of the second tier's capacity above which blocks are evicted to the next tier."},
	{name: "alluxio.worker.tieredstore.level1.watermark.low.ratio", kind: kindString, def: "0.7",
		description: "Fraction of the second tier's capacity that eviction brings it down to."},
	{name: "alluxio.worker.tieredstore.level2.alias", kind: kindString, def: "",
		description: "Alias of the third storage tier: MEM, SSD or HDD."},
	{name: "alluxio.worker.tieredstore.level2.dirs.path", kind: kindString, def: "",
		description: "Comma-separated folders of the third storage tier; each must exist (a missing one is reported as lost storage)."},
	{name: "alluxio.worker.tieredstore.level2.dirs.quota", kind: kindString, def: "",
		description: "Comma-separated capacities of the third tier's folders (e.g. 16GB); a folder without its own takes the last one."},
	{name: "alluxio.worker.tieredstore.level2.dirs.mediumtype", kind: kindString, def: "${alluxio.worker.tieredstore.level2.alias}",
		description: "Comma-separated medium types of the third tier's folders, as reported to the master."},
	{name: "alluxio.worker.tieredstore.level2.watermark.high.ratio", kind: kindString, def: "0.95",
		description: "Fraction of the third tier's capacity above which blocks are evicted to the next tier."},
	{name: "alluxio.worker.tieredstore.level2.watermark.low.ratio", kind: kindString, def: "0.7",
		description: "Fraction of the third tier's capacity that eviction brings it down to."},
	{name: "alluxio.worker.block.annotator.class", kind: kindString, def: "alluxio.worker.block.annotator.LRUAnnotator",
		description: "Eviction order: alluxio.worker.block.annotator.LRUAnnotator (least recently used first) or LRFUAnnotator (weighs frequency and recency); LRU and LRFU are accepted too."},
	{name: "alluxio.worker.block.annotator.lrfu.step.factor", kind: kindString, def: "0.25",
		description: "LRFU: how fast an access's weight decays with each later access (0 to 1)."},
	{name: "alluxio.worker.block.annotator.lrfu.attenuation.factor", kind: kindString, def: "2.0",
		description: "LRFU: the base of the decay (2 or more)."},
	{name: "halo.worker.tieredstore.verify.on.open", kind: kindBool, def: "true",
		description: "A starting worker reads every cached block through its checksums and drops the damaged ones before it registers; false checks only each block's metadata and length (a start no longer reads whole disks), leaving damaged data to be found, and dropped, by the read that meets it."},

	// The worker process (halo worker).
	{name: "alluxio.worker.hostname", kind: kindString, dynamicDefault: defaultWorkerHostname,
		description: "This worker's host name as masters and clients reach it; defaults to this machine's name.",
		field:       func(c *Config) any { return &c.WorkerHostname }},
	{name: "alluxio.worker.bind.host", kind: kindString, def: "${alluxio.worker.hostname}",
		description: "Host the worker's RPC and web listeners bind to.",
		field:       func(c *Config) any { return &c.WorkerBindHost }},
	{name: "halo.worker.identity.file", kind: kindString, def: "${alluxio.work.dir}/worker/identity",
		description: "File holding the worker's identity (its id and address), locked while the worker runs so that a second process cannot serve as the same worker.",
		field:       func(c *Config) any { return &c.WorkerIdentityFile }},

	// Client retries.
	{name: "alluxio.user.rpc.retry.base.sleep", kind: kindDuration, def: "50ms",
		description: "First backoff of a client retry.",
		field:       func(c *Config) any { return &c.ClientRetryBaseSleep }},
	{name: "alluxio.user.rpc.retry.max.sleep", kind: kindDuration, def: "3s",
		description: "Largest backoff of a client retry.",
		field:       func(c *Config) any { return &c.ClientRetryMaxSleep }},
	{name: KeyClientRetryMaxDuration, kind: kindDuration, def: "2min",
		description: "How long a client keeps retrying one call.",
		field:       func(c *Config) any { return &c.ClientRetryMaxDuration }},

	// Client data path.
	{name: "alluxio.user.file.writetype.default", kind: kindEnum, def: "ASYNC_THROUGH", enum: []string{"MUST_CACHE", "CACHE_THROUGH", "THROUGH", "ASYNC_THROUGH"},
		description: "Where a client's writes put the bytes: workers only, workers and the UFS, the UFS only, workers then the UFS by the leader's persister.",
		field:       func(c *Config) any { return &c.ClientWriteType }},
	{name: "alluxio.user.file.readtype.default", kind: kindEnum, def: "CACHE", enum: []string{"CACHE", "CACHE_PROMOTE", "NO_CACHE"},
		description: "Whether a client's reads cache what they read from the UFS (and promote it to the top tier).",
		field:       func(c *Config) any { return &c.ClientReadType }},
	{name: "alluxio.user.block.size.bytes.default", kind: kindSize, def: "64MB",
		description: "Block size of the files a client writes.",
		field:       func(c *Config) any { return &c.ClientBlockSize }},
	{name: "alluxio.user.file.metadata.load.type", kind: kindEnum, def: "ONCE", enum: []string{"NEVER", "ONCE", "ALWAYS"},
		description: "Whether a client's status and listing calls load what only the UFS has: never, a path or folder listing on first access, or a folder's listing on every listing.",
		field:       func(c *Config) any { return &c.ClientMetadataLoadType }},
	{name: "alluxio.user.short.circuit.enabled", kind: kindBool, def: "true",
		description: "Whether a client with a worker on its host reads and writes that worker's block files itself rather than through its streams.",
		field:       func(c *Config) any { return &c.ClientShortCircuit }},
}

// keyIndex finds a known key's spec by name.
var keyIndex = indexKeys(knownKeyTable)

func indexKeys(table []keySpec) map[string]*keySpec {
	index := make(map[string]*keySpec, len(table))
	for i := range table {
		index[table[i].name] = &table[i]
	}
	return index
}

func specsByName() map[string]*keySpec { return keyIndex }

// IsKnownKey reports whether Halo reads key or accepts it as part of a
// pass-through family.
func IsKnownKey(key string) bool {
	_, known := keyIndex[key]
	return known || isPassThrough(key)
}

// assign parses value by spec's kind and stores it in spec's field.
func assign(c *Config, spec *keySpec, value string) error {
	parsed, err := parseKind(c, spec, value)
	if err != nil {
		return &KeyError{Key: spec.name, Value: value, Err: err}
	}
	if spec.field == nil {
		return nil
	}
	switch field := spec.field(c).(type) {
	case *string:
		*field = parsed.(string)
	case *JournalType:
		*field = JournalType(parsed.(string))
	case *bool:
		*field = parsed.(bool)
	case *int:
		*field = parsed.(int)
	case *uint64:
		*field = parsed.(uint64)
	case *uint32:
		*field = parsed.(uint32)
	case *time.Duration:
		*field = parsed.(time.Duration)
	case *[]string:
		*field = parsed.([]string)
	default:
		panic(fmt.Sprintf("conf: key %s points at a field of unsupported type %T", spec.name, field))
	}
	return nil
}

func parseKind(c *Config, spec *keySpec, value string) (any, error) {
	switch spec.kind {
	case kindString:
		return value, nil
	case kindBool:
		return ParseBool(value)
	case kindCount:
		n, err := strconv.Atoi(strings.TrimSpace(value))
		if err != nil || n < 0 {
			return nil, errors.New("want a whole number of 0 or more")
		}
		return n, nil
	case kindUint64:
		n, err := strconv.ParseUint(strings.TrimSpace(value), 10, 64)
		if err != nil {
			return nil, errors.New("want a whole number of 0 or more")
		}
		return n, nil
	case kindPort:
		return ParsePort(value)
	case kindDuration:
		return ParseDuration(value)
	case kindSize:
		return ParseSize(value)
	case kindAddresses:
		return ParseAddresses(value, spec.portOf(c))
	case kindEnum:
		upper := strings.ToUpper(strings.TrimSpace(value))
		if !slices.Contains(spec.enum, upper) {
			return nil, fmt.Errorf("want one of %s", strings.Join(spec.enum, ", "))
		}
		return upper, nil
	case kindUmask:
		return ParseUmask(value)
	case kindTimeOfDay:
		return ParseTimeOfDay(value)
	}
	panic(fmt.Sprintf("conf: key %s has unknown kind %d", spec.name, spec.kind))
}
