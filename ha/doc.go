// Package ha owns what every high-availability mode of the master shares:
// the Replicator contract the RPC service programs against, the read
// barrier that batches leadership confirmations, and the group-commit queue
// through which the local and ZooKeeper modes journal concurrent proposals
// with one write. The modes themselves implement Replicator, one package
// each: ha/local (a local journal), ha/raft (embedded Raft) and
// ha/zookeeper (ZooKeeper election with the shared UFS journal of
// journal/ufs); package ha/hatest holds the contract test every one of
// them passes. No package here imports package master: what
// the master shares with a mode goes through the mode's Options.
package ha
