// Package ha owns what every high-availability mode of the master shares:
// the Replicator contract the RPC service programs against, the read
// barrier that batches leadership confirmations, and the group-commit queue
// through which the local and ZooKeeper modes journal concurrent proposals
// with one write. The modes themselves (a local journal, embedded Raft,
// ZooKeeper with a shared UFS journal) implement Replicator; package
// ha/hatest holds the contract test every one of them passes.
package ha
