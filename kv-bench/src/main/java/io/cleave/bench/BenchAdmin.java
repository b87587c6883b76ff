package io.cleave.bench;

import io.cleave.api.v1.ClusterStatusResponse;
import io.cleave.api.v1.DescribeKeyspaceResponse;
import io.cleave.api.v1.NodeDescriptor;
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

/**
 * Cluster set-up steps for bench/ycsb.sh, so the script needs nothing but this module's classpath.
 *
 * <pre>
 *   ready ENDPOINTS NODES TIMEOUT_S        wait until NODES nodes are alive and the meta shard leads
 *   keyspace ENDPOINTS NAME SHARDS         register a HASH keyspace with exactly SHARDS shards (min = max,
 *                                          so the placement loop neither splits nor merges it) and
 *                                          wait until every shard takes writes
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
        case "keyspace" -> keyspace(client, args[2], Integer.parseInt(args[3]));
        case "describe" -> System.out.println(describe(client, args[2]));
        default -> usage();
      }
    }
  }

  private static void usage() {
    System.err.println(
        "usage: BenchAdmin ready ENDPOINTS NODES TIMEOUT_S | keyspace ENDPOINTS NAME SHARDS"
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

  static void keyspace(CleaveClient client, String name, int shards) throws Exception {
    long t0 = System.nanoTime();
    try {
      client
          .admin()
          .registerKeyspace(
              name,
              KeyspaceOptions.builder()
                  .initialShards(shards)
                  .minShards(shards)
                  .maxShards(shards)
                  .build())
          .get(90, TimeUnit.SECONDS);
    } catch (Exception e) {
      // A slow register may have completed after the deadline: go on if the keyspace is there.
      System.err.println("registerKeyspace: " + e + "; checking whether it exists");
      describe(client, name);
    }
    System.out.printf(
        "registerKeyspace %s (%d shards) took %.0f ms%n",
        name, shards, (System.nanoTime() - t0) / 1e6);
    // Every shard has a leader once a write to each succeeds; 64 keys per shard hit all of them.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      List<CompletableFuture<Long>> puts = new ArrayList<>();
      for (int i = 0; i < 64 * shards; i++) {
        puts.add(client.put(name, Bytes.utf8("warmup" + i), Bytes.utf8("x")));
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
    for (int i = 0; i < 64 * shards; i++) {
      deletes.add(client.delete(name, Bytes.utf8("warmup" + i)));
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
