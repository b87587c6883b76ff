package io.cleave.bench;

import io.cleave.api.v1.DescribeKeyspaceResponse;
import io.cleave.api.v1.ShardDescriptor;
import io.cleave.api.v1.ShardStatus;
import io.cleave.api.v1.SplitShardResponse;
import io.cleave.client.Bytes;
import io.cleave.client.CleaveClient;
import io.cleave.client.KeyValue;
import io.cleave.client.KeyspaceOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Recorder;

/**
 * Split benchmarks against a running cluster (bench/split.sh starts one).
 *
 * <pre>
 *   split-time ENDPOINTS KEYS         load KEYS keys (100 B values) into a 1-shard keyspace, then
 *                                     split it: time of the SplitShard call and until both halves
 *                                     take a write
 *   split-latency ENDPOINTS KEYS THREADS SECS SPLIT_EVERY_S
 *                                     closed-loop 50/50 get/put from THREADS threads for SECS
 *                                     without splits, then SECS while the largest shard is split
 *                                     every SPLIT_EVERY_S seconds; p50/p99/p99.9 of each phase
 * </pre>
 */
public final class SplitBench {
  private SplitBench() {}

  public static void main(String[] args) throws Exception {
    try (CleaveClient client =
        CleaveClient.builder()
            .endpoints(args[1].split(","))
            .defaultTimeout(Duration.ofSeconds(30))
            .build()) {
      switch (args[0]) {
        case "split-time" -> splitTime(client, Integer.parseInt(args[2]));
        case "split-latency" ->
            splitLatency(
                client,
                Integer.parseInt(args[2]),
                Integer.parseInt(args[3]),
                Integer.parseInt(args[4]),
                Integer.parseInt(args[5]));
        default -> throw new IllegalArgumentException("unknown mode " + args[0]);
      }
    }
  }

  static Bytes key(long i) {
    return Bytes.utf8("user" + Long.toUnsignedString(i * 0x9E3779B97F4A7C15L));
  }

  /** Loads keys 0..n-1 with batchPut, 500 keys a batch, 8 batches in flight. */
  static void load(CleaveClient client, String keyspace, int n) throws Exception {
    byte[] value = new byte[100];
    Semaphore inFlight = new Semaphore(8);
    AtomicLong failed = new AtomicLong();
    long t0 = System.nanoTime();
    long lastReport = t0;
    for (int i = 0; i < n; i += 500) {
      List<KeyValue> batch = new ArrayList<>();
      for (int j = i; j < Math.min(n, i + 500); j++) {
        batch.add(new KeyValue(key(j), Bytes.of(value)));
      }
      inFlight.acquire();
      client
          .batchPut(keyspace, batch)
          .whenComplete(
              (r, e) -> {
                if (e != null && failed.incrementAndGet() <= 3) {
                  System.err.println("batchPut failed: " + e);
                }
                inFlight.release();
              });
      if (System.nanoTime() - lastReport > TimeUnit.SECONDS.toNanos(10)) {
        lastReport = System.nanoTime();
        System.out.printf("  loaded %,d keys, %.0f keys/s%n", i, i / ((lastReport - t0) / 1e9));
      }
    }
    inFlight.acquire(8);
    double secs = (System.nanoTime() - t0) / 1e9;
    System.out.printf(
        "loaded %,d keys in %.1f s (%.0f keys/s), %d failed batches%n",
        n, secs, n / secs, failed.get());
    if (failed.get() > 0) {
      throw new IllegalStateException(failed.get() + " batches failed");
    }
  }

  static void register(CleaveClient client, String name, int maxShards) throws Exception {
    try {
      client.admin().deregisterKeyspace(name).get(60, TimeUnit.SECONDS);
    } catch (Exception ignored) {
      // not there
    }
    // No split/merge limits: only this benchmark splits.
    client
        .admin()
        .registerKeyspace(
            name, KeyspaceOptions.builder().initialShards(1).maxShards(maxShards).build())
        .get(30, TimeUnit.SECONDS);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try {
        client.put(name, Bytes.utf8("probe"), Bytes.utf8("x")).get(10, TimeUnit.SECONDS);
        return;
      } catch (Exception e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(200);
      }
    }
  }

  static void splitTime(CleaveClient client, int keys) throws Exception {
    String ks = "splittime";
    register(client, ks, 64);
    load(client, ks, keys);
    long shardId = client.admin().describeKeyspace(ks).get().getShards(0).getShard().getShardId();
    long t0 = System.nanoTime();
    SplitShardResponse r =
        client.admin().splitShard(shardId, Bytes.EMPTY).get(120, TimeUnit.SECONDS);
    long called = System.nanoTime();
    // Both halves serve: a write to a key on each side succeeds.
    awaitWritable(client, ks, r.getLeft());
    awaitWritable(client, ks, r.getRight());
    long serving = System.nanoTime();
    System.out.printf(
        "split of a shard holding %,d keys: SplitShard call %.1f ms, both halves taking writes after"
            + " %.1f ms%n",
        keys, (called - t0) / 1e6, (serving - t0) / 1e6);
    Thread.sleep(5000); // the new shard's stats: key counts after the background recount
    System.out.println("after: " + BenchAdmin.describe(client, ks));
  }

  private static void awaitWritable(CleaveClient client, String ks, ShardDescriptor shard)
      throws Exception {
    // Find a key that routes into the shard: try keys until one's hash falls in the range.
    for (long i = 0; ; i++) {
      Bytes k = Bytes.utf8("probe" + i);
      byte[] rk =
          io.cleave.api.RoutingKeys.routingKey(io.cleave.api.v1.Partitioning.HASH, k.toByteArray());
      if (io.cleave.api.RoutingKeys.inRange(
          rk, shard.getStart().toByteArray(), shard.getEnd().toByteArray())) {
        client.put(ks, k, Bytes.utf8("x")).get(60, TimeUnit.SECONDS);
        return;
      }
    }
  }

  static void splitLatency(CleaveClient client, int keys, int threads, int secs, int splitEvery)
      throws Exception {
    String ks = "splitlat";
    register(client, ks, 1024);
    load(client, ks, keys);
    Phase quiet = runPhase(client, ks, keys, threads, secs, 0);
    Phase splitting = runPhase(client, ks, keys, threads, secs, splitEvery);
    System.out.println(
        "phase\tops_per_s\tp50_ms\tp99_ms\tp999_ms\tmax_ms\terrors\tsplits\tshards_after");
    System.out.println(quiet.row("no-splits"));
    System.out.println(splitting.row("splitting"));
  }

  record Phase(
      double opsPerSec,
      double p50,
      double p99,
      double p999,
      double max,
      long errors,
      int splits,
      int shards) {
    String row(String name) {
      return String.format(
          "%s\t%.0f\t%.2f\t%.2f\t%.2f\t%.2f\t%d\t%d\t%d",
          name, opsPerSec, p50, p99, p999, max, errors, splits, shards);
    }
  }

  static Phase runPhase(
      CleaveClient client, String ks, int keys, int threads, int secs, int splitEvery)
      throws Exception {
    Recorder recorder = new Recorder(3);
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong errors = new AtomicLong();
    AtomicLong ops = new AtomicLong();
    byte[] value = new byte[100];
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread w =
          new Thread(
              () -> {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                while (!stop.get()) {
                  Bytes k = key(random.nextInt(keys));
                  long s = System.nanoTime();
                  try {
                    if (random.nextBoolean()) {
                      client.get(ks, k).get(30, TimeUnit.SECONDS);
                    } else {
                      client.put(ks, k, Bytes.of(value)).get(30, TimeUnit.SECONDS);
                    }
                    recorder.recordValue((System.nanoTime() - s) / 1000);
                    ops.incrementAndGet();
                  } catch (Exception e) {
                    errors.incrementAndGet();
                  }
                }
              });
      w.start();
      workers.add(w);
    }
    Thread.sleep(3000); // warm-up, not measured
    recorder.reset();
    long o0 = ops.get();
    long t0 = System.nanoTime();
    int splits = 0;
    long end = t0 + TimeUnit.SECONDS.toNanos(secs);
    long nextSplit = splitEvery > 0 ? t0 : Long.MAX_VALUE;
    while (System.nanoTime() < end) {
      if (System.nanoTime() >= nextSplit) {
        nextSplit += TimeUnit.SECONDS.toNanos(splitEvery);
        DescribeKeyspaceResponse d = client.admin().describeKeyspace(ks).get(30, TimeUnit.SECONDS);
        ShardStatus biggest =
            d.getShardsList().stream()
                .max(
                    Comparator.comparingLong((ShardStatus s) -> s.getStats().getKeyCount())
                        .thenComparingLong(s -> -s.getShard().getShardId()))
                .orElseThrow();
        try {
          client
              .admin()
              .splitShard(biggest.getShard().getShardId(), Bytes.EMPTY)
              .get(60, TimeUnit.SECONDS);
          splits++;
        } catch (Exception e) {
          System.err.println("split failed: " + e);
        }
      }
      Thread.sleep(50);
    }
    long elapsed = System.nanoTime() - t0;
    var h = recorder.getIntervalHistogram();
    long done = ops.get() - o0;
    stop.set(true);
    for (Thread w : workers) {
      w.join();
    }
    int shards = client.admin().describeKeyspace(ks).get().getShardsCount();
    return new Phase(
        done / (elapsed / 1e9),
        h.getValueAtPercentile(50) / 1000.0,
        h.getValueAtPercentile(99) / 1000.0,
        h.getValueAtPercentile(99.9) / 1000.0,
        h.getMaxValue() / 1000.0,
        errors.get(),
        splits,
        shards);
  }
}
