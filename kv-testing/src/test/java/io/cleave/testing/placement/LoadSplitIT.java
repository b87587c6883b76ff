package io.cleave.testing.placement;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.cleave.api.RoutingKeys;
import io.cleave.client.Bytes;
import io.cleave.client.CleaveClient;
import io.cleave.client.KeyValue;
import io.cleave.client.KeyspaceOptions;
import io.cleave.testing.MiniCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Load-based splitting: a shard over its load limit splits at the load-weighted median, and a shard
 * whose load is one key is reported hot instead of being split again and again.
 */
class LoadSplitIT {
  /** How long a load may run before what it should cause must have happened. */
  private static final Duration LIMIT = Duration.ofSeconds(60);

  private static MiniCluster cluster;
  private static CleaveClient client;

  @BeforeAll
  static void startCluster() {
    cluster = MiniCluster.start(3);
    // Registering a keyspace right after the hot-key test can take long on a loaded 2-core box.
    client = cluster.client(b -> b.defaultTimeout(Duration.ofSeconds(60)));
  }

  @AfterAll
  static void stopCluster() {
    cluster.close();
  }

  private static void register(String name) {
    client
        .blocking()
        .admin()
        .registerKeyspace(
            name,
            KeyspaceOptions.builder()
                .initialShards(1)
                .maxShards(8)
                .maxLoadPerShard(100)
                .cooldown(Duration.ofSeconds(1))
                .build());
    List<KeyValue> keys = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      keys.add(new KeyValue(Bytes.utf8("k" + i), Bytes.utf8("v")));
    }
    client.blocking().batchPut(name, keys);
  }

  /**
   * Reads keys chosen by {@code keyOf}, 32 in flight (well over 100/s), until {@code done} holds or
   * {@code max} has passed, whichever is first. Load is measured over a recent window, so a
   * condition it should cause is watched while the load runs, not after it stopped.
   */
  private static void loadUntil(
      String keyspace, IntFunction<Bytes> keyOf, BooleanSupplier done, Duration max)
      throws InterruptedException {
    Semaphore inFlight = new Semaphore(32);
    long start = System.currentTimeMillis();
    long nextCheck = start;
    for (int i = 0; System.currentTimeMillis() - start < max.toMillis(); i++) {
      if (System.currentTimeMillis() >= nextCheck) {
        if (done.getAsBoolean()) {
          break;
        }
        nextCheck = System.currentTimeMillis() + 500;
      }
      inFlight.acquire();
      CompletableFuture<?> get = client.get(keyspace, keyOf.apply(i));
      get.whenComplete((v, e) -> inFlight.release());
    }
    inFlight.acquire(32);
  }

  private static int shards(String keyspace) {
    return client.blocking().admin().describeKeyspace(keyspace).getShardsCount();
  }

  @Test
  void spreadLoadSplitsTheShard() throws InterruptedException {
    register("spread");
    loadUntil("spread", i -> Bytes.utf8("k" + (i % 200)), () -> shards("spread") >= 2, LIMIT);
    assertThat(shards("spread")).isGreaterThanOrEqualTo(2);
  }

  @Test
  void oneHotKeyIsReportedNotSplit() throws InterruptedException {
    register("hot");
    Bytes hot = Bytes.utf8("k7");
    ByteString hotRoutingKey = ByteString.copyFrom(RoutingKeys.hash(hot.toByteArray()));
    // The 200 writes of register() may themselves count as load spread over many keys and split
    // the shard once; the hot key is then reported by whichever shard holds it.
    BooleanSupplier reported =
        () ->
            client.blocking().admin().describeKeyspace("hot").getShardsList().stream()
                .anyMatch(s -> s.getHotRoutingKey().equals(hotRoutingKey));
    loadUntil("hot", i -> hot, reported, LIMIT);
    assertThat(reported.getAsBoolean()).isTrue();
    int shards = shards("hot");
    assertThat(shards).isLessThanOrEqualTo(2);
    // Still hot, still reported, never split for it.
    loadUntil("hot", i -> hot, () -> false, Duration.ofSeconds(5));
    assertThat(shards("hot")).isEqualTo(shards);
    assertThat(client.blocking().admin().describeKeyspace("hot").getShardsList())
        .anyMatch(s -> s.getHotRoutingKey().equals(hotRoutingKey));
  }
}
