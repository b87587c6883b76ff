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
import java.util.function.IntFunction;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Load-based splitting: a shard over its load limit splits at the load-weighted median, and a shard
 * whose load is one key is reported hot instead of being split again and again.
 */
class LoadSplitIT {
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

  /** Reads keys chosen by {@code keyOf} for {@code millis}, 32 in flight: well over 100/s. */
  private static void load(String keyspace, IntFunction<Bytes> keyOf, long millis)
      throws InterruptedException {
    Semaphore inFlight = new Semaphore(32);
    long end = System.currentTimeMillis() + millis;
    for (int i = 0; System.currentTimeMillis() < end; i++) {
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
    load("spread", i -> Bytes.utf8("k" + (i % 200)), 20_000);
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> shards("spread") >= 2);
  }

  @Test
  void oneHotKeyIsReportedNotSplit() throws InterruptedException {
    register("hot");
    Bytes hot = Bytes.utf8("k7");
    ByteString hotRoutingKey = ByteString.copyFrom(RoutingKeys.hash(hot.toByteArray()));
    load("hot", i -> hot, 15_000);
    // The 200 writes of register() may themselves count as load spread over many keys and split
    // the shard once; the hot key is then reported by whichever shard holds it.
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                client.blocking().admin().describeKeyspace("hot").getShardsList().stream()
                    .anyMatch(s -> s.getHotRoutingKey().equals(hotRoutingKey)));
    int shards = shards("hot");
    assertThat(shards).isLessThanOrEqualTo(2);
    // Still hot, still reported, never split for it.
    load("hot", i -> hot, 5_000);
    assertThat(shards("hot")).isEqualTo(shards);
    assertThat(client.blocking().admin().describeKeyspace("hot").getShardsList())
        .anyMatch(s -> s.getHotRoutingKey().equals(hotRoutingKey));
  }
}
