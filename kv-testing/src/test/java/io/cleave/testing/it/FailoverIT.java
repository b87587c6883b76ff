package io.cleave.testing.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.cleave.api.RoutingKeys;
import io.cleave.api.v1.ShardDescriptor;
import io.cleave.client.Bytes;
import io.cleave.client.CleaveClient;
import io.cleave.client.KeyspaceOptions;
import io.cleave.internal.v1.ShardQuery;
import io.cleave.server.KvServer;
import io.cleave.server.config.NodeConfig;
import io.cleave.server.node.CleaveNode;
import io.cleave.server.raft.RaftSettings;
import io.cleave.server.raft.ShardGroups;
import io.cleave.server.storage.NodeStore;
import io.cleave.testing.MiniCluster;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Leader loss and whole-cluster restarts: writes go on after an election, and no acknowledged write
 * is lost. The tests build on each other's data, in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FailoverIT {
  private static MiniCluster cluster;
  private static CleaveClient client;
  private static final Map<String, String> acknowledged = new LinkedHashMap<>();

  @BeforeAll
  static void startCluster() {
    cluster = MiniCluster.start(3);
    client = cluster.client();
    client
        .blocking()
        .admin()
        .registerKeyspace("ha", KeyspaceOptions.builder().initialShards(2).build());
  }

  @AfterAll
  static void stopCluster() {
    cluster.close();
  }

  private static void write(int from, int to) {
    for (int i = from; i < to; i++) {
      String key = "key-" + i;
      String value = "value-" + i + "-" + System.nanoTime();
      client.blocking().put("ha", Bytes.utf8(key), Bytes.utf8(value));
      acknowledged.put(key, value);
    }
  }

  private static void assertEveryAcknowledgedWriteReadable() {
    for (Map.Entry<String, String> e : acknowledged.entrySet()) {
      assertThat(client.blocking().get("ha", Bytes.utf8(e.getKey())).value().toUtf8())
          .as("value of %s", e.getKey())
          .isEqualTo(e.getValue());
    }
  }

  @Test
  @Order(1)
  void writesGoOnAfterTheLeaderNodeStops() {
    write(0, 100);
    ShardDescriptor shard =
        client.blocking().admin().describeKeyspace("ha").getShards(0).getShard();
    int leader = cluster.leaderOf(shard.getShardId());
    assertThat(leader).isNotNegative();
    cluster.stopNode(leader);
    write(100, 200);
    assertEveryAcknowledgedWriteReadable();
    int newLeader = cluster.leaderOf(shard.getShardId());
    assertThat(newLeader).isNotEqualTo(leader).isNotNegative();
    cluster.startNode(leader);
    cluster.awaitNodesAlive();
  }

  @Test
  @Order(2)
  void everyAcknowledgedValueSurvivesAFullRestart() {
    write(200, 300);
    for (int i = 0; i < cluster.size(); i++) {
      cluster.stopNode(i);
    }
    for (int i = 0; i < cluster.size(); i++) {
      cluster.startNode(i);
    }
    cluster.awaitNodesAlive();
    assertEveryAcknowledgedWriteReadable();
    assertThat(client.blocking().admin().listKeyspaces())
        .extracting(k -> k.getName())
        .contains("ha");
  }

  @Test
  @Order(3)
  void writesGoOnWhileTheMetaLeaderIsDown() {
    int metaLeader = cluster.leaderOf(0);
    assertThat(metaLeader).isNotNegative();
    cluster.stopNode(metaLeader);
    write(300, 350);
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> cluster.leaderOf(0) >= 0 && cluster.leaderOf(0) != metaLeader);
    cluster.startNode(metaLeader);
    cluster.awaitNodesAlive();
    assertEveryAcknowledgedWriteReadable();
  }

  @Test
  @Order(4)
  void aNodeThatFailsToStartHoldsNothingAndStartsOnceItsPortIsFree() throws IOException {
    int node = cluster.size() - 1;
    cluster.stopNode(node);
    NodeConfig config = cluster.config(node);
    try (ServerSocket squatter = new ServerSocket()) {
      squatter.bind(new InetSocketAddress("127.0.0.1", config.self().clientPort()));
      // The store and the Raft port are taken before the client port fails to bind.
      assertThatThrownBy(() -> KvServer.start(config))
          .isInstanceOf(IOException.class)
          .hasStackTraceContaining("Address already in use");
      // Had the failed start kept the store open, RocksDB's lock would refuse this second open.
      assertThatThrownBy(() -> KvServer.start(config))
          .isInstanceOf(IOException.class)
          .hasStackTraceContaining("Address already in use");
    }
    cluster.startNode(node);
    cluster.awaitNodesAlive();
    write(400, 420);
    assertEveryAcknowledgedWriteReadable();
  }

  @Test
  @Order(5)
  void aNodeStartsAfterARemovalThatRatisLeftHalfDone() throws IOException {
    ShardDescriptor shard =
        client.blocking().admin().describeKeyspace("ha").getShards(0).getShard();
    long shardId = shard.getShardId();
    int node = (cluster.leaderOf(0) + 1) % cluster.size();
    NodeConfig config = cluster.config(node);
    cluster.stopNode(node);
    // A removal interrupted by the node stopping: Ratis kept the group's directory, the store's
    // half of the removal ran.
    try (NodeStore store = CleaveNode.openStore(config)) {
      CleaveNode.deleteReplicaFromStore(store, shardId, true);
    }
    Path groupDirectory =
        RaftSettings.storageDir(config).resolve(ShardGroups.groupId(shardId).getUuid().toString());
    assertThat(groupDirectory).isDirectory();

    // Before the fix, Ratis failed to open the group and the node did not start at all.
    cluster.startNode(node);
    // The shard still lists the node as a replica, so placement creates it again; it catches up.
    write(420, 440);
    Awaitility.await()
        .atMost(Duration.ofSeconds(60))
        .ignoreExceptions()
        .until(
            () ->
                cluster.appliedIndex(node, shardId)
                    >= cluster.appliedIndex(cluster.leaderOf(shardId), shardId));
    // The re-created replica holds every key of its range, as the leader's does.
    List<ByteString> keys =
        acknowledged.keySet().stream()
            .map(key -> key.getBytes(StandardCharsets.UTF_8))
            .filter(
                key ->
                    RoutingKeys.inRange(
                        RoutingKeys.hash(key),
                        shard.getStart().toByteArray(),
                        shard.getEnd().toByteArray()))
            .map(ByteString::copyFrom)
            .toList();
    assertThat(keys).isNotEmpty();
    ShardQuery query =
        ShardQuery.newBuilder().setKind(ShardQuery.Kind.GET).addAllKeys(keys).build();
    assertThat(cluster.answerLocally(node, shardId, query))
        .isEqualTo(cluster.answerLocally(cluster.leaderOf(shardId), shardId, query))
        .allMatch(result -> result.getFound());
    assertEveryAcknowledgedWriteReadable();
  }
}
