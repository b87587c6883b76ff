package io.cleave.bench;

import io.cleave.client.Bytes;
import io.cleave.client.CleaveClient;
import io.cleave.client.KeyValue;
import io.cleave.client.KeyspaceOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.HdrHistogram.Recorder;

/**
 * Larger-than-heap benchmark (bench/grow.sh): grows one keyspace in steps and after each step
 * measures a closed-loop mix of reads and writes over all keys loaded so far (uniform, so most
 * reads miss any cache once the data outgrows it).
 *
 * <pre>
 *   GrowBench ENDPOINTS DATA_DIR_OF_ONE_NODE STEPS KEYS_PER_STEP VALUE_BYTES THREADS SECS SHARDS
 * </pre>
 *
 * Prints one tab-separated row per step: keys, the node's data size on disk (its whole data dir:
 * RocksDB + Raft log), load rate of the step, then throughput and read/write p50/p99 of the mix.
 */
public final class GrowBench {
  private GrowBench() {}

  public static void main(String[] args) throws Exception {
    String endpoints = args[0];
    Path nodeDir = Path.of(args[1]);
    int steps = Integer.parseInt(args[2]);
    int perStep = Integer.parseInt(args[3]);
    int valueBytes = Integer.parseInt(args[4]);
    int threads = Integer.parseInt(args[5]);
    int secs = Integer.parseInt(args[6]);
    int shards = Integer.parseInt(args[7]);
    String ks = "grow";
    try (CleaveClient client =
        CleaveClient.builder()
            .endpoints(endpoints.split(","))
            .defaultTimeout(Duration.ofSeconds(30))
            .build()) {
      client
          .admin()
          .registerKeyspace(
              ks,
              KeyspaceOptions.builder()
                  .initialShards(shards)
                  .minShards(shards)
                  .maxShards(shards)
                  .build())
          .get(30, TimeUnit.SECONDS);
      Thread.sleep(3000);
      System.out.println(
          "step\tkeys\tnode_data_mib\tload_keys_per_s\tmix_ops_per_s\tread_p50_ms\tread_p99_ms"
              + "\twrite_p50_ms\twrite_p99_ms\terrors");
      int loaded = 0;
      for (int step = 1; step <= steps; step++) {
        long t0 = System.nanoTime();
        load(client, ks, loaded, loaded + perStep, valueBytes);
        double loadRate = perStep / ((System.nanoTime() - t0) / 1e9);
        loaded += perStep;
        Mix m = mix(client, ks, loaded, valueBytes, threads, secs);
        System.out.printf(
            "%d\t%d\t%d\t%.0f\t%.0f\t%.2f\t%.2f\t%.2f\t%.2f\t%d%n",
            step,
            loaded,
            sizeMib(nodeDir),
            loadRate,
            m.opsPerSec,
            m.reads.getValueAtPercentile(50) / 1000.0,
            m.reads.getValueAtPercentile(99) / 1000.0,
            m.writes.getValueAtPercentile(50) / 1000.0,
            m.writes.getValueAtPercentile(99) / 1000.0,
            m.errors);
      }
    }
  }

  static long sizeMib(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files
              .filter(Files::isRegularFile)
              .mapToLong(
                  p -> {
                    try {
                      return Files.size(p);
                    } catch (IOException e) {
                      return 0; // deleted meanwhile (compaction)
                    }
                  })
              .sum()
          >> 20;
    }
  }

  private static byte[] value(int bytes) {
    byte[] v = new byte[bytes];
    ThreadLocalRandom.current().nextBytes(v); // incompressible, so disk size = data size
    return v;
  }

  /** Keys [from, to) with batchPut: batches of up to 256 KiB, 4 in flight. */
  static void load(CleaveClient client, String ks, int from, int to, int valueBytes)
      throws Exception {
    int perBatch = Math.max(1, Math.min(500, (256 << 10) / valueBytes));
    Semaphore inFlight = new Semaphore(4);
    AtomicLong failed = new AtomicLong();
    for (int i = from; i < to; i += perBatch) {
      List<KeyValue> batch = new ArrayList<>();
      for (int j = i; j < Math.min(to, i + perBatch); j++) {
        batch.add(new KeyValue(SplitBench.key(j), Bytes.of(value(valueBytes))));
      }
      inFlight.acquire();
      client
          .batchPut(ks, batch)
          .whenComplete(
              (r, e) -> {
                if (e != null && failed.incrementAndGet() <= 3) {
                  System.err.println("batchPut failed: " + e);
                }
                inFlight.release();
              });
    }
    inFlight.acquire(4);
    if (failed.get() > 0) {
      throw new IllegalStateException(failed.get() + " load batches failed");
    }
  }

  record Mix(
      double opsPerSec,
      org.HdrHistogram.Histogram reads,
      org.HdrHistogram.Histogram writes,
      long errors) {}

  /** 90 % linearizable reads, 10 % puts, uniform over keys [0, keys). */
  static Mix mix(CleaveClient client, String ks, int keys, int valueBytes, int threads, int secs)
      throws Exception {
    Recorder reads = new Recorder(3);
    Recorder writes = new Recorder(3);
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong ops = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    byte[] value = value(valueBytes);
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread w =
          new Thread(
              () -> {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                while (!stop.get()) {
                  Bytes k = SplitBench.key(random.nextInt(keys));
                  boolean read = random.nextInt(10) != 0;
                  long s = System.nanoTime();
                  try {
                    if (read) {
                      client.get(ks, k).get(30, TimeUnit.SECONDS);
                    } else {
                      client.put(ks, k, Bytes.of(value)).get(30, TimeUnit.SECONDS);
                    }
                    (read ? reads : writes).recordValue((System.nanoTime() - s) / 1000);
                    ops.incrementAndGet();
                  } catch (Exception e) {
                    errors.incrementAndGet();
                  }
                }
              });
      w.start();
      workers.add(w);
    }
    Thread.sleep(2000);
    reads.reset();
    writes.reset();
    long o0 = ops.get();
    long t0 = System.nanoTime();
    Thread.sleep(TimeUnit.SECONDS.toMillis(secs));
    double rate = (ops.get() - o0) / ((System.nanoTime() - t0) / 1e9);
    var r = reads.getIntervalHistogram();
    var w = writes.getIntervalHistogram();
    stop.set(true);
    for (Thread x : workers) {
      x.join();
    }
    return new Mix(rate, r, w, errors.get());
  }
}
