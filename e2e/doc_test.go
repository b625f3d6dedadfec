// Package e2e holds the tests that run real `halo master` processes (and,
// where a process is not the point, masters in the test's process): every
// HA mode, crashes and failover, backups and imports, TLS and secrets, UFS
// journals on MinIO and HDFS, and the real Alluxio 2.9.3 shell, admin shell,
// Hadoop client and worker against Halo masters.
package e2e
