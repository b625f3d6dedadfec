// PeerBench measures one workload through Alluxio 2.9.3's own Java client,
// with one FileSystem shared by every thread as StressMasterBench does, so
// that Alluxio's masters and Halo's are compared through the same client.
// Arguments: create|read, threads, warmup ms, measured ms, a root folder.
// It prints one JSON line: ops, errors, ops_per_sec, p50_ns, p99_ns and
// first_error. With "writer ROOT OK_FILE STOP_FILE" instead, one thread
// creates files until STOP_FILE exists, appending the wall-clock time in
// ms of each successful create to OK_FILE, which a failover measurement
// reads while it kills masters. A create is createFile then close of the empty stream
// (which completes the file), as the shell's touch; a read is getStatus.
import alluxio.AlluxioURI;
import alluxio.client.file.FileSystem;
import alluxio.conf.Configuration;
import alluxio.exception.FileAlreadyExistsException;
import alluxio.grpc.CreateFilePOptions;
import alluxio.grpc.WritePType;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReference;

public class PeerBench {
  // MUST_CACHE with nothing written touches no worker and no UFS: the
  // create is the masters' work alone.
  static final CreateFilePOptions CREATE =
      CreateFilePOptions.newBuilder().setWriteType(WritePType.MUST_CACHE).setRecursive(true).build();

  public static void main(String[] args) throws Exception {
    if (args[0].equals("writer")) {
      writer(args[1], Paths.get(args[2]), Paths.get(args[3]));
      System.exit(0);
    }
    String op = args[0];
    int threads = Integer.parseInt(args[1]);
    long warmupNs = Long.parseLong(args[2]) * 1_000_000L;
    long durationNs = Long.parseLong(args[3]) * 1_000_000L;
    String root = args[4];
    FileSystem fs = FileSystem.Factory.create(Configuration.global());
    AlluxioURI readPath = new AlluxioURI(root + "/read");
    try {
      fs.createFile(readPath, CREATE).close();
    } catch (FileAlreadyExistsException e) {
      // An earlier point made it.
    }
    long start = System.nanoTime();
    long from = start + warmupNs, end = from + durationNs;
    long[][] latencies = new long[threads][];
    int[] counts = new int[threads];
    long[] errors = new long[threads];
    AtomicReference<String> firstError = new AtomicReference<>("");
    Thread[] workers = new Thread[threads];
    for (int t = 0; t < threads; t++) {
      final int id = t;
      workers[t] = new Thread(() -> {
        long[] mine = new long[1 << 12];
        int n = 0;
        for (long seq = 0; ; seq++) {
          long began = System.nanoTime();
          if (began >= end) {
            break;
          }
          boolean failed = false;
          try {
            if (op.equals("create")) {
              fs.createFile(new AlluxioURI(root + "/c" + id + "-" + seq), CREATE).close();
            } else {
              fs.getStatus(readPath);
            }
          } catch (Exception e) {
            failed = true;
            firstError.compareAndSet("", e.toString());
          }
          long done = System.nanoTime();
          if (began < from || done > end) {
            continue;
          }
          if (n == mine.length) {
            mine = Arrays.copyOf(mine, n * 2);
          }
          mine[n++] = done - began;
          if (failed) {
            errors[id]++;
          }
        }
        latencies[id] = mine;
        counts[id] = n;
      });
      workers[t].start();
    }
    for (Thread w : workers) {
      w.join();
    }
    int total = 0;
    long failed = 0;
    for (int t = 0; t < threads; t++) {
      total += counts[t];
      failed += errors[t];
    }
    long[] all = new long[total];
    int at = 0;
    for (int t = 0; t < threads; t++) {
      System.arraycopy(latencies[t], 0, all, at, counts[t]);
      at += counts[t];
    }
    Arrays.sort(all);
    double rate = (total - failed) / (durationNs / 1e9);
    System.out.printf("{\"ops\": %d, \"errors\": %d, \"ops_per_sec\": %.1f, \"p50_ns\": %d, \"p99_ns\": %d, \"first_error\": \"%s\"}%n",
        total, failed, rate, rank(all, 0.50), rank(all, 0.99),
        firstError.get().replace("\\", "\\\\").replace("\"", "'").replace("\n", " "));
    fs.close();
    System.exit(0);
  }

  static void writer(String root, Path okFile, Path stopFile) throws Exception {
    FileSystem fs = FileSystem.Factory.create(Configuration.global());
    try (Writer ok = Files.newBufferedWriter(okFile)) {
      for (long seq = 0; !Files.exists(stopFile); seq++) {
        try {
          fs.createFile(new AlluxioURI(root + "/f" + seq), CREATE).close();
        } catch (Exception e) {
          System.err.println(System.currentTimeMillis() + " " + e);
          continue;
        }
        ok.write(System.currentTimeMillis() + "\n");
        ok.flush();
      }
    }
  }

  static long rank(long[] sorted, double q) {
    if (sorted.length == 0) {
      return 0;
    }
    int i = (int) Math.ceil(q * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }
}
