package io.halo.minicluster;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.CountDownLatch;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.DFSConfigKeys;
import org.apache.hadoop.hdfs.HdfsConfiguration;
import org.apache.hadoop.hdfs.MiniDFSCluster;

/**
 * Starts a one-datanode HDFS on 127.0.0.1 for Halo's tests and keeps it up
 * until standard input reaches end of file or the process is told to stop.
 *
 * <pre>
 * java -cp ... io.halo.minicluster.MiniHdfs --port 9000 --dir /tmp/hdfs [--datanodes 1]
 * </pre>
 *
 * Once the name node leaves safe mode and the data nodes have registered it
 * prints one line, {@code READY hdfs://127.0.0.1:<port>}, so that a script or
 * test can wait for it instead of sleeping.
 */
public final class MiniHdfs {
  private MiniHdfs() {}

  public static void main(String[] args) throws Exception {
    int port = 0;
    int datanodes = 1;
    String dir = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--port" -> port = Integer.parseInt(args[++i]);
        case "--dir" -> dir = args[++i];
        case "--datanodes" -> datanodes = Integer.parseInt(args[++i]);
        default -> usage("unknown argument " + args[i]);
      }
    }
    if (dir == null) {
      usage("--dir is required");
    }

    Configuration conf = new HdfsConfiguration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, new File(dir).getAbsolutePath());
    // Loopback only, and one replica per block so that a single data node
    // completes every write.
    conf.set(DFSConfigKeys.DFS_NAMENODE_RPC_BIND_HOST_KEY, "127.0.0.1");
    conf.set(DFSConfigKeys.DFS_DATANODE_ADDRESS_KEY, "127.0.0.1:0");
    conf.set(DFSConfigKeys.DFS_DATANODE_HTTP_ADDRESS_KEY, "127.0.0.1:0");
    conf.set(DFSConfigKeys.DFS_DATANODE_IPC_ADDRESS_KEY, "127.0.0.1:0");
    conf.setInt(DFSConfigKeys.DFS_REPLICATION_KEY, 1);
    // Tests create many small files; a small block size keeps the data
    // node's preallocation small and exercises multi-block files.
    conf.setLong(DFSConfigKeys.DFS_BLOCK_SIZE_KEY, 32L << 20);
    conf.setBoolean(DFSConfigKeys.DFS_PERMISSIONS_ENABLED_KEY, true);
    // The client's lease expires soon after it dies, so a crashed writer
    // does not hold a path for an hour.
    conf.setLong("dfs.namenode.lease-recheck-interval-ms", 1000);

    MiniDFSCluster cluster = new MiniDFSCluster.Builder(conf)
        .nameNodePort(port)
        .nameNodeHttpPort(0)
        .numDataNodes(datanodes)
        .format(true)
        .build();
    cluster.waitActive();
    cluster.waitClusterUp();

    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      shutdown(cluster);
      stopped.countDown();
    }, "minicluster-shutdown"));

    System.out.println("READY hdfs://127.0.0.1:" + cluster.getNameNodePort());
    System.out.flush();

    waitForEOF(System.in);
    shutdown(cluster);
    System.exit(0);
  }

  private static synchronized void shutdown(MiniDFSCluster cluster) {
    if (cluster.isClusterUp()) {
      cluster.shutdown(true);
    }
  }

  private static void waitForEOF(InputStream in) {
    byte[] buf = new byte[256];
    try {
      while (in.read(buf) >= 0) {
        // Input is ignored; only its end matters.
      }
    } catch (IOException e) {
      // A broken stdin means the parent is gone: stop as for EOF.
    }
  }

  private static void usage(String why) {
    System.err.println("MiniHdfs: " + why);
    System.err.println("usage: MiniHdfs --dir DIR [--port PORT] [--datanodes N]");
    System.exit(2);
  }
}
