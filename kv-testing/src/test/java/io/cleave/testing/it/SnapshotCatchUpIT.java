package io.cleave.testing.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.cleave.client.Bytes;
import io.cleave.client.CleaveClient;
import io.cleave.client.KeyValue;
import io.cleave.client.KeyspaceOptions;
import io.cleave.internal.v1.KeyResult;
import io.cleave.internal.v1.ShardQuery;
import io.cleave.server.shard.ShardStateMachine;
import io.cleave.testing.MiniCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A follower that misses more writes than the leaders keep in their logs catches up by pulling the
 * shard's range from the leader (Ratis notification mode), and then holds the same values.
 */
class SnapshotCatchUpIT {
  private static MiniCluster cluster;
  private static CleaveClient client;

  @BeforeAll
  static void startCluster() {
    // Snapshot every 100 entries and keep only 10 behind it, so the log is purged quickly,
    // and use small log segments: Ratis purges whole closed segments.
    cluster =
        MiniCluster.start(
            3, config -> config.withSnapshotThreshold(100, 10).withLogSegmentBytes(32 * 1024));
    client = cluster.client();
    client
        .blocking()
        .admin()
        .registerKeyspace("catchup", KeyspaceOptions.builder().initialShards(1).build());
  }

  @AfterAll
  static void stopCluster() {
    cluster.close();
  }

  @Test
  void stoppedFollowerCatchesUpPastThePurgedLog() {
    long shardId =
        client.blocking().admin().describeKeyspace("catchup").getShards(0).getShard().getShardId();
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> cluster.leaderOf(shardId) >= 0);
    int leader = cluster.leaderOf(shardId);
    int follower = (leader + 1) % cluster.size();
    cluster.stopNode(follower);

    List<Bytes> keys = new ArrayList<>();
    for (int batch = 0; batch < 60; batch++) {
      List<KeyValue> entries = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        Bytes key = Bytes.utf8("key-" + batch + "-" + i);
        keys.add(key);
        entries.add(new KeyValue(key, Bytes.utf8("value-" + batch + "-" + i)));
      }
      client.blocking().batchPut("catchup", entries);
    }
    // 60 log entries of data plus the meta traffic is not enough on its own: write single keys
    // until the leader's log no longer starts at the beginning.
    int extra = 0;
    while (firstLogIndex(cluster.leaderOf(shardId), shardId) <= 1 && extra < 2000) {
      client.blocking().put("catchup", Bytes.utf8("filler-" + extra), Bytes.utf8("x"));
      keys.add(Bytes.utf8("filler-" + extra));
      extra++;
    }
    int currentLeader = cluster.leaderOf(shardId);
    assertThat(firstLogIndex(currentLeader, shardId)).as("leader purged its log").isGreaterThan(1);

    cluster.startNode(follower);
    long leaderApplied = appliedIndex(currentLeader, shardId);
    Awaitility.await()
        .atMost(Duration.ofSeconds(60))
        .ignoreExceptions()
        .until(() -> appliedIndex(follower, shardId) >= leaderApplied);

    ShardStateMachine restarted =
        cluster.server(follower).node().localReplica(shardId).orElseThrow();
    ShardStateMachine reference =
        cluster.server(currentLeader).node().localReplica(shardId).orElseThrow();
    ShardQuery query =
        ShardQuery.newBuilder()
            .setKind(ShardQuery.Kind.GET)
            .addAllKeys(keys.stream().map(k -> ByteString.copyFrom(k.toByteArray())).toList())
            .build();
    List<KeyResult> onFollower = answer(restarted, query);
    List<KeyResult> onLeader = answer(reference, query);
    assertThat(onFollower).hasSize(keys.size());
    assertThat(onFollower).allMatch(KeyResult::getFound);
    assertThat(onFollower).isEqualTo(onLeader);
  }

  private static List<KeyResult> answer(ShardStateMachine replica, ShardQuery query) {
    try {
      return replica.answer(query).getResults().getResultsList();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static long firstLogIndex(int node, long shardId) {
    return cluster.server(node).node().division(shardId).orElseThrow().getRaftLog().getStartIndex();
  }

  private static long appliedIndex(int node, long shardId) {
    return cluster
        .server(node)
        .node()
        .division(shardId)
        .orElseThrow()
        .getInfo()
        .getLastAppliedIndex();
  }
}
