package io.cleave.testing.placement;

import static org.assertj.core.api.Assertions.assertThat;

import io.cleave.client.Bytes;
import io.cleave.client.CleaveClient;
import io.cleave.client.GetResult;
import io.cleave.client.KeyValue;
import io.cleave.client.KeyspaceOptions;
import io.cleave.testing.MiniCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A keyspace limited to 1,000 keys per shard splits itself as it fills and merges back as it
 * empties, while every value stays readable.
 */
class AutoSplitMergeIT {
  private static MiniCluster cluster;
  private static CleaveClient client;

  @BeforeAll
  static void startCluster() {
    cluster = MiniCluster.start(3);
    client = cluster.client();
    client
        .blocking()
        .admin()
        .registerKeyspace(
            "auto",
            KeyspaceOptions.builder()
                .initialShards(1)
                .maxShards(64)
                .minShards(1)
                .maxKeysPerShard(1000)
                .mergeThresholdRatio(0.5)
                .cooldown(Duration.ofSeconds(1))
                .build());
  }

  @AfterAll
  static void stopCluster() {
    cluster.close();
  }

  private static int shardCount() {
    return client.blocking().admin().describeKeyspace("auto").getShardsCount();
  }

  private static Bytes key(int i) {
    return Bytes.utf8("key-" + i);
  }

  private static Bytes value(int i) {
    return Bytes.utf8("value-" + i);
  }

  private static void assertValues(int from, int to, boolean present) {
    for (int start = from; start < to; start += 500) {
      List<Bytes> keys = new ArrayList<>();
      for (int i = start; i < Math.min(to, start + 500); i++) {
        keys.add(key(i));
      }
      List<GetResult> got = client.blocking().batchGet("auto", keys);
      for (int i = 0; i < keys.size(); i++) {
        if (present) {
          assertThat(got.get(i).value()).as("value of %s", keys.get(i)).isEqualTo(value(start + i));
        } else {
          assertThat(got.get(i).found()).as("%s deleted", keys.get(i)).isFalse();
        }
      }
    }
  }

  @Test
  void splitsAsItFillsAndMergesAsItEmpties() {
    assertThat(shardCount()).isEqualTo(1);
    for (int start = 0; start < 20_000; start += 250) {
      List<KeyValue> batch = new ArrayList<>();
      for (int i = start; i < start + 250; i++) {
        batch.add(new KeyValue(key(i), value(i)));
      }
      client.blocking().batchPut("auto", batch);
    }
    assertValues(0, 20_000, true);

    Awaitility.await()
        .atMost(Duration.ofMinutes(4))
        .pollInterval(Duration.ofSeconds(1))
        .until(() -> shardCount() >= 16);
    assertValues(0, 20_000, true);
    // Counted before the deletes: the controller may merge emptied shards while they still run.
    int split = shardCount();

    for (int start = 500; start < 20_000; start += 250) {
      List<Bytes> keys = new ArrayList<>();
      for (int i = start; i < start + 250; i++) {
        keys.add(key(i));
      }
      client.blocking().batchDelete("auto", keys);
    }
    Awaitility.await()
        .atMost(Duration.ofMinutes(4))
        .pollInterval(Duration.ofSeconds(1))
        .until(() -> shardCount() <= 4);
    assertThat(split).isGreaterThan(shardCount());
    assertValues(0, 500, true);
    assertValues(500, 20_000, false);
  }
}
