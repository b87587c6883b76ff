package io.cleave.testing.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.cleave.api.v1.DescribeKeyspaceResponse;
import io.cleave.api.v1.ShardStatus;
import io.cleave.client.Bytes;
import io.cleave.client.CleaveClient;
import io.cleave.client.CleaveException;
import io.cleave.client.GetResult;
import io.cleave.client.KeyspaceOptions;
import io.cleave.client.UnknownOutcomeException;
import io.cleave.testing.ProcessCluster;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * Durability across a crash: kill -9 a node (the leader of a shard) in the middle of a stream of
 * writes, restart it, and check that every acknowledged write is readable from every node's own
 * replica once it has caught up.
 *
 * <p>One writer thread cycles over 200 keys with unique values, so per key the writes are
 * sequential and the expected final value is exact: the last acknowledged one, unless a later write
 * of that key ended without an acknowledgement (then that value is allowed too, since it may have
 * been applied). A write whose call failed after any attempt reached a node is treated as possibly
 * applied whatever its final code: the client retries UNAVAILABLE, so the first attempt may have
 * landed.
 */
class NodeKillIT {
  private static final String KEYSPACE = "durable";
  private static final int KEYS = 200;
  private static final Duration WRITE_FOR = Duration.ofSeconds(20);
  private static final Duration KILL_AFTER = Duration.ofSeconds(7);
  private static final Duration DOWN_FOR = Duration.ofSeconds(4);

  private ProcessCluster cluster;

  @AfterEach
  void stop(TestInfo test) {
    if (cluster != null) {
      cluster.copyLogsTo(
          Path.of("target", "chaos", test.getTestClass().orElseThrow().getSimpleName()));
      cluster.close();
    }
  }

  /** What the writer did to one key, in order. */
  private record Attempt(long seq, String value, boolean acknowledged) {}

  @Test
  void everyAcknowledgedWriteSurvivesKillOfLeader() throws Exception {
    cluster = ProcessCluster.start(3);
    CleaveClient client = cluster.client(b -> b.defaultTimeout(Duration.ofSeconds(5)));
    client
        .blocking()
        .admin()
        .registerKeyspace(KEYSPACE, KeyspaceOptions.builder().initialShards(2).build());

    Map<Integer, List<Attempt>> attempts = new ConcurrentHashMap<>();
    AtomicBoolean stop = new AtomicBoolean();
    AtomicReference<Throwable> writerDied = new AtomicReference<>();
    AtomicLongArray counts = new AtomicLongArray(3); // ok, unknown, failed
    Thread writer =
        new Thread(
            () -> {
              long seq = 0;
              try {
                while (!stop.get()) {
                  int k = (int) (seq % KEYS);
                  String value = "v" + seq;
                  boolean ok;
                  try {
                    client.blocking().put(KEYSPACE, key(k), Bytes.utf8(value));
                    ok = true;
                    counts.incrementAndGet(0);
                  } catch (UnknownOutcomeException e) {
                    ok = false;
                    counts.incrementAndGet(1);
                  } catch (CleaveException e) {
                    ok = false;
                    counts.incrementAndGet(2);
                  }
                  attempts
                      .computeIfAbsent(k, x -> new ArrayList<>())
                      .add(new Attempt(seq, value, ok));
                  seq++;
                }
              } catch (Throwable t) {
                writerDied.set(t);
              }
            },
            "writer");
    long start = System.nanoTime();
    writer.start();

    Thread.sleep(KILL_AFTER.toMillis()); // let a stream of writes build up before the fault
    int victim = leaderOfFirstShard(client);
    String victimId = cluster.nodeId(victim);
    long okBeforeKill = counts.get(0);
    cluster.kill(victim);
    System.out.printf(
        "killed %s (leader of the first shard) after %d acknowledged writes%n",
        victimId, okBeforeKill);
    Thread.sleep(DOWN_FOR.toMillis()); // the fault itself: the node stays dead this long
    cluster.restart(victim);
    cluster.awaitReady();
    System.out.printf(
        "%s restarted and ready after %d acknowledged writes%n", victimId, counts.get(0));

    long remaining = WRITE_FOR.toNanos() - (System.nanoTime() - start);
    if (remaining > 0) {
      Thread.sleep(remaining / 1_000_000);
    }
    stop.set(true);
    writer.join(30_000);
    assertThat(writer.isAlive()).as("writer stopped").isFalse();
    assertThat(writerDied.get()).as("writer thread error").isNull();
    System.out.printf(
        "writes: %d acknowledged, %d unknown outcome, %d failed%n",
        counts.get(0), counts.get(1), counts.get(2));
    assertThat(counts.get(0)).as("acknowledged writes").isGreaterThan(200);

    // Linearizable read of every key through the cluster: the reference each replica must reach.
    Map<Integer, Optional<String>> finalValues = new TreeMap<>();
    List<String> lost = new ArrayList<>();
    for (int k = 0; k < KEYS; k++) {
      Set<String> allowed = allowedFinalValues(attempts.getOrDefault(k, List.of()));
      Optional<String> value = linearizableRead(client, k);
      finalValues.put(k, value);
      boolean acknowledgedAny =
          attempts.getOrDefault(k, List.of()).stream().anyMatch(Attempt::acknowledged);
      boolean fine = value.map(allowed::contains).orElse(!acknowledgedAny);
      if (!fine) {
        lost.add("key " + k + ": read " + value.orElse("<absent>") + ", allowed " + allowed);
      }
    }
    assertThat(lost).as("lost or wrong values through a linearizable read").isEmpty();

    // Every node's own replica (STALE, straight to the node) must catch up to the same values.
    for (int node = 0; node < cluster.size(); node++) {
      int n = node;
      List<String> behind = new ArrayList<>();
      try {
        Awaitility.await(cluster.nodeId(n) + " caught up")
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(500))
            .until(
                () -> {
                  behind.clear();
                  for (int k = 0; k < KEYS; k++) {
                    Optional<String> local;
                    try {
                      local =
                          cluster
                              .readLocal(n, KEYSPACE, key(k).toByteArray())
                              .map(b -> new String(b, StandardCharsets.UTF_8));
                    } catch (RuntimeException e) {
                      behind.add("key " + k + ": " + Status.fromThrowable(e));
                      continue;
                    }
                    if (!local.equals(finalValues.get(k))) {
                      behind.add(
                          "key "
                              + k
                              + ": replica has "
                              + local.orElse("<absent>")
                              + ", cluster "
                              + finalValues.get(k).orElse("<absent>"));
                    }
                  }
                  return behind.isEmpty();
                });
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        throw new AssertionError(
            cluster.nodeId(n)
                + " never caught up; first differences: "
                + behind.subList(0, Math.min(10, behind.size())),
            e);
      }
      System.out.printf("%s: all %d keys match the cluster%n", cluster.nodeId(n), KEYS);
    }
  }

  private static Bytes key(int k) {
    return Bytes.utf8(String.format("key-%03d", k));
  }

  /**
   * The last acknowledged value of a key, plus every value written after it without an
   * acknowledgement (each may have been applied, and a later one may have overwritten an earlier).
   */
  private static Set<String> allowedFinalValues(List<Attempt> history) {
    Set<String> allowed = new LinkedHashSet<>();
    for (Attempt a : history) {
      if (a.acknowledged()) {
        allowed.clear();
      }
      allowed.add(a.value());
    }
    return allowed;
  }

  private Optional<String> linearizableRead(CleaveClient client, int k) {
    AtomicReference<GetResult> result = new AtomicReference<>();
    Awaitility.await("linearizable read of key " + k)
        .atMost(Duration.ofSeconds(30))
        .ignoreExceptions()
        .until(
            () -> {
              result.set(client.blocking().get(KEYSPACE, key(k)));
              return true;
            });
    GetResult r = result.get();
    return r.found() ? Optional.of(r.value().toUtf8()) : Optional.empty();
  }

  private int leaderOfFirstShard(CleaveClient client) {
    AtomicReference<String> leader = new AtomicReference<>();
    Awaitility.await("a leader for the first shard")
        .atMost(Duration.ofSeconds(20))
        .ignoreExceptions()
        .until(
            () -> {
              DescribeKeyspaceResponse d = client.blocking().admin().describeKeyspace(KEYSPACE);
              ShardStatus first = d.getShards(0);
              leader.set(first.getShard().getLeaderNodeId());
              return !leader.get().isEmpty();
            });
    int index = cluster.indexOf(leader.get());
    return index >= 0 ? index : 0;
  }
}
