// Package zookeeper owns the --ha=zookeeper mode: ZooKeeper elects the
// leading master, as Alluxio's masters do with Curator when
// alluxio.zookeeper.enabled is set, and the leader group-commits to the
// shared UFS journal that the standbys tail (Replicator); recovery from
// that journal (RecoverUFSJournal); and the finder clients use to look the
// leader up (ZNodeFinder).
//
// # Election
//
// Candidates use the standard recipe: each creates an ephemeral sequential
// znode under the election path (alluxio.zookeeper.election.path) and
// watches the one just before its own; the lowest sequence number leads.
// The leader then publishes its RPC address as an ephemeral child of the
// leader path (alluxio.zookeeper.leader.path), /alluxio/leader/<host:port>,
// where clients and standbys look for it (newest ctime wins).
//
// Every leadership carries an epoch: the zxid that created the winner's
// election znode. Zxids only grow, and a candidate's znode is created after
// every znode that led before it, so epochs grow from one leadership to the
// next. An election alone is a lock, and a lock cannot stop a paused or
// partitioned old leader from acting on a belief it no longer holds; the
// epoch is the token the shared journal (package journal/ufs) uses to
// fence such a leader out.
//
// Each candidacy runs in a ZooKeeper session of its own. The session ends a
// leadership: when it expires, when the library replaces it by a new one,
// or (policy STANDARD) when the connection is lost at all. Under policy
// SESSION (Alluxio's default) a lost connection only suspends the
// leadership, which resumes if the same session comes back within the
// session timeout; after that it is lost, as with Curator, even if no
// server could be reached to say the session expired. The loss is
// signalled from the ZooKeeper client's own event goroutine, before
// anything else runs, so a leader can stop serving at once.
package zookeeper
