package io.cleave.bench;

import io.cleave.api.v1.ClusterStatusResponse;
import io.cleave.api.v1.DescribeKeyspaceResponse;
import io.cleave.api.v1.NodeDescriptor;
import io.cleave.api.v1.Partitioning;
import io.cleave.api.v1.ShardStatus;
import io.cleave.client.Bytes;
import io.cleave.client.CleaveClient;
import io.cleave.client.KeyspaceOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import site.ycsb.Utils;

/**
 * Cluster set-up steps for bench/ycsb.sh, so the script needs nothing but this module's classpath.
 *
 * <pre>
 *   ready ENDPOINTS NODES TIMEOUT_S        wait until NODES nodes are alive and the meta shard leads
 *   keyspace ENDPOINTS NAME SHARDS [hash|range]
 *                                          register a keyspace with exactly SHARDS shards (min = max,
 *                                          so the placement loop neither splits nor merges it) and
 *                                          wait until every shard takes writes; HASH by default,
 *                                          RANGE (for scans, workload E) split where YCSB's keys
 *                                          are spread evenly ({@link #ycsbSplitKeys})
 *   describe ENDPOINTS NAME                one line: shards, keys, leaders per node
 * </pre>
 */
public final class BenchAdmin {
  private BenchAdmin() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      usage();
    }
    try (CleaveClient client =
        CleaveClient.builder()
            .endpoints(args[1].split(","))
            .defaultTimeout(Duration.ofSeconds(60))
            .build()) {
      switch (args[0]) {
        case "ready" -> ready(client, Integer.parseInt(args[2]), Integer.parseInt(args[3]));
        case "keyspace" ->
            keyspace(
                client,
                args[2],
                Integer.parseInt(args[3]),
                args.length > 4 && args[4].equalsIgnoreCase("range")
                    ? Partitioning.RANGE
                    : Partitioning.HASH);
        case "describe" -> System.out.println(describe(client, args[2]));
        default -> usage();
      }
    }
  }

  private static void usage() {
    System.err.println(
        "usage: BenchAdmin ready ENDPOINTS NODES TIMEOUT_S | keyspace ENDPOINTS NAME SHARDS"
            + " [hash|range]"
            + " | describe ENDPOINTS NAME");
    System.exit(2);
  }

  static void ready(CleaveClient client, int nodes, int timeoutSeconds) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    String last = "no answer";
    while (System.nanoTime() < deadline) {
      try {
        ClusterStatusResponse s = client.admin().clusterStatus().get(5, TimeUnit.SECONDS);
        long alive = s.getNodesList().stream().filter(NodeDescriptor::getAlive).count();
        if (alive >= nodes && !s.getMetaLeaderNodeId().isEmpty()) {
          System.out.println(
              "cluster ready: " + alive + " nodes, meta leader " + s.getMetaLeaderNodeId());
          return;
        }
        last = alive + " nodes alive, meta leader '" + s.getMetaLeaderNodeId() + "'";
      } catch (Exception e) {
        last = e.toString();
      }
      Thread.sleep(250);
    }
    throw new IllegalStateException("cluster not ready after " + timeoutSeconds + " s: " + last);
  }

  /**
   * Split keys that cut YCSB's key space into {@code shards} ranges of about equal size: quantiles
   * of the names YCSB gives its first 10,000 records ({@code "user" + hash(n)}, the hash printed in
   * decimal, so the digits are not spread evenly), cut to {@code "user"} and three digits.
   */
  static List<Bytes> ycsbSplitKeys(int shards) {
    int sample = 10_000;
    List<String> names = new ArrayList<>(sample);
    for (long n = 0; n < sample; n++) {
      names.add("user" + Utils.hash(n));
    }
    names.sort(null); // the names are ASCII: String order is Cleave's byte order
    List<Bytes> keys = new ArrayList<>();
    for (int i = 1; i < shards; i++) {
      String name = names.get(i * sample / shards);
      keys.add(Bytes.utf8(name.substring(0, Math.min(name.length(), 7))));
    }
    return keys;
  }

  static void keyspace(CleaveClient client, String name, int shards, Partitioning partitioning)
      throws Exception {
    long t0 = System.nanoTime();
    List<Bytes> splitKeys = partitioning == Partitioning.RANGE ? ycsbSplitKeys(shards) : List.of();
    try {
      KeyspaceOptions.Builder options =
          KeyspaceOptions.builder()
              .partitioning(partitioning)
              .initialShards(shards)
              .minShards(shards)
              .maxShards(shards);
      if (!splitKeys.isEmpty()) {
        options.splitKeys(splitKeys);
      }
      client.admin().registerKeyspace(name, options.build()).get(90, TimeUnit.SECONDS);
    } catch (Exception e) {
      // A slow register may have completed after the deadline: go on if the keyspace is there.
      System.err.println("registerKeyspace: " + e + "; checking whether it exists");
      describe(client, name);
    }
    System.out.printf(
        "registerKeyspace %s (%d shards, %s) took %.0f ms%n",
        name, shards, partitioning, (System.nanoTime() - t0) / 1e6);
    // Every shard has a leader once a write to each succeeds: with HASH 64 keys per shard hit all
    // of them; with RANGE each shard gets keys of its own range.
    List<Bytes> warmupKeys = new ArrayList<>();
    for (int i = 0; i < 64 * shards; i++) {
      String prefix =
          splitKeys.isEmpty()
              ? ""
              : i % shards == 0 ? "user0" : splitKeys.get(i % shards - 1).toUtf8();
      warmupKeys.add(Bytes.utf8(prefix + "warmup" + i));
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      List<CompletableFuture<Long>> puts = new ArrayList<>();
      for (Bytes key : warmupKeys) {
        puts.add(client.put(name, key, Bytes.utf8("x")));
      }
      try {
        CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        break;
      } catch (Exception e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(500);
      }
    }
    List<CompletableFuture<Boolean>> deletes = new ArrayList<>();
    for (Bytes key : warmupKeys) {
      deletes.add(client.delete(name, key));
    }
    CompletableFuture.allOf(deletes.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    System.out.println("keyspace " + name + " ready: " + describe(client, name));
  }

  static String describe(CleaveClient client, String name) throws Exception {
    DescribeKeyspaceResponse d = client.admin().describeKeyspace(name).get(10, TimeUnit.SECONDS);
    Map<String, Integer> leaders = new TreeMap<>();
    long keys = 0;
    for (ShardStatus s : d.getShardsList()) {
      leaders.merge(
          s.getShard().getLeaderNodeId().isEmpty() ? "?" : s.getShard().getLeaderNodeId(),
          1,
          Integer::sum);
      keys += s.getStats().getKeyCount();
    }
    return d.getShardsCount() + " shards, " + keys + " keys (last report), leaders " + leaders;
  }
}
