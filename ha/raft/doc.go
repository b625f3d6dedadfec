// Package raft owns the embedded-journal mode (--ha=raft): a replicator
// that replicates the namespace's entries through hashicorp/raft among the
// masters named in alluxio.master.embedded.journal.addresses, with its
// snapshots, the recovery from a damaged one, the election gate of a
// member that lost entries, the transports of the journal port (shared
// secret or mutual TLS), the quorum administration, the cluster id and the
// optional checkpoint archive on a UFS.
package raft
