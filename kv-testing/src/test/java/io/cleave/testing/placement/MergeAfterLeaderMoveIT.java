package io.cleave.testing.placement;

import static org.assertj.core.api.Assertions.assertThat;

import io.cleave.api.v1.ShardDescriptor;
import io.cleave.api.v1.ShardStatus;
import io.cleave.client.Bytes;
import io.cleave.client.CleaveClient;
import io.cleave.client.KeyspaceOptions;
import io.cleave.testing.MiniCluster;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A merge right after the left shard's leadership moved: the meta leader still believes the old
 * leader (it learns leaders from heartbeats, here 3 s apart), so the merge's commit reaches a node
 * that refuses it because it does not lead the shard. The controller must propose it again to the
 * new leader: giving up there left the right shard frozen, refusing every write, for good.
 */
class MergeAfterLeaderMoveIT {
  @Test
  void aMergeCommitsAndTheRightRangeTakesWritesEvenIfTheLeftLeaderJustMoved() throws Exception {
    try (MiniCluster cluster =
        MiniCluster.start(3, c -> c.toBuilder().heartbeatInterval(Duration.ofSeconds(3)).build())) {
      CleaveClient client = cluster.client();
      client
          .blocking()
          .admin()
          .registerKeyspace("moved", KeyspaceOptions.builder().initialShards(2).build());
      for (int i = 0; i < 50; i++) {
        client.blocking().put("moved", Bytes.utf8("k" + i), Bytes.utf8("before-" + i));
      }
      List<ShardDescriptor> shards =
          client.blocking().admin().describeKeyspace("moved").getShardsList().stream()
              .map(ShardStatus::getShard)
              .toList();
      ShardDescriptor left = shards.get(0);
      ShardDescriptor right = shards.get(1);
      int from = cluster.leaderOf(left.getShardId());
      int to = (from + 1) % cluster.size();
      cluster
          .server(from)
          .node()
          .transferLeader(left.getShardId(), cluster.config(to).self().nodeId())
          .get(20, TimeUnit.SECONDS);
      Awaitility.await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> cluster.leaderOf(left.getShardId()) == to);

      ShardDescriptor merged =
          client.blocking().admin().mergeShards(left.getShardId(), right.getShardId()).getMerged();

      assertThat(merged.getStart().isEmpty() && merged.getEnd().isEmpty()).isTrue();
      for (int i = 0; i < 50; i++) {
        client.blocking().put("moved", Bytes.utf8("k" + i), Bytes.utf8("after-" + i));
        assertThat(client.blocking().get("moved", Bytes.utf8("k" + i)).value().toUtf8())
            .isEqualTo("after-" + i);
      }
    }
  }
}
