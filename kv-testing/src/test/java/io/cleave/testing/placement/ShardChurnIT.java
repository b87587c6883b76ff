package io.cleave.testing.placement;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.cleave.api.RoutingKeys;
import io.cleave.api.v1.ShardDescriptor;
import io.cleave.api.v1.ShardStatus;
import io.cleave.client.Bytes;
import io.cleave.client.CleaveClient;
import io.cleave.client.KeyspaceOptions;
import io.cleave.internal.v1.KeyResult;
import io.cleave.internal.v1.ShardQuery;
import io.cleave.internal.v1.ShardState;
import io.cleave.server.KvServer;
import io.cleave.server.shard.ShardStateMachine;
import io.cleave.testing.MiniCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Clients see nothing of splits and merges: 4 writers and 2 readers run while shards split and
 * merge, automatically and by hand, and no call fails, no acknowledged write is lost, and no key is
 * ever owned by two replicas' ranges on one node.
 */
class ShardChurnIT {
  private static MiniCluster cluster;
  private static CleaveClient client;

  @BeforeAll
  static void startCluster() {
    cluster = MiniCluster.start(3);
    client = cluster.client();
  }

  @AfterAll
  static void stopCluster() {
    cluster.close();
  }

  private static List<ShardStatus> shards(String keyspace) {
    return client.blocking().admin().describeKeyspace(keyspace).getShardsList();
  }

  /** Every node's live replicas of the keyspace must have disjoint ranges. */
  private static void assertNoKeyOwnedTwice(int keyspaceId) {
    for (int i = 0; i < cluster.size(); i++) {
      KvServer server = cluster.server(i);
      if (server == null) {
        continue;
      }
      List<ShardDescriptor> owned = new ArrayList<>();
      for (ShardStateMachine replica : server.node().localReplicas()) {
        ShardState state = replica.state();
        if (state != null
            && !state.getRetired()
            && state.getShard().getKeyspaceId() == keyspaceId) {
          owned.add(state.getShard());
        }
      }
      owned.sort(
          Comparator.comparing(
              s -> s.getStart(), (a, b) -> RoutingKeys.compare(a.toByteArray(), b.toByteArray())));
      for (int k = 1; k < owned.size(); k++) {
        ByteString previousEnd = owned.get(k - 1).getEnd();
        assertThat(
                !previousEnd.isEmpty()
                    && RoutingKeys.compare(
                            previousEnd.toByteArray(), owned.get(k).getStart().toByteArray())
                        <= 0)
            .as("node %d owns overlapping %s and %s", i, owned.get(k - 1), owned.get(k))
            .isTrue();
      }
    }
  }

  @Test
  void clientsSeeNothingOfTenSplitsAndTenMerges() throws Exception {
    client
        .blocking()
        .admin()
        .registerKeyspace(
            "churn",
            KeyspaceOptions.builder()
                .initialShards(1)
                .maxShards(12)
                .minShards(1)
                .maxKeysPerShard(400)
                .cooldown(Duration.ofSeconds(1))
                .build());
    int keyspaceId = client.blocking().admin().describeKeyspace("churn").getKeyspace().getId();
    Map<String, String> acknowledged = new ConcurrentHashMap<>();
    ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger manualSplits = new AtomicInteger();
    AtomicInteger manualMerges = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    List<Future<?>> tasks = new ArrayList<>();
    for (int w = 0; w < 4; w++) {
      int writer = w;
      tasks.add(
          pool.submit(
              () -> {
                Random random = new Random(writer);
                for (int n = 0; !stop.get(); n++) {
                  String key = "w" + writer + "-" + random.nextInt(600);
                  String value = key + "@" + n;
                  try {
                    client.blocking().put("churn", Bytes.utf8(key), Bytes.utf8(value));
                    acknowledged.put(key, value);
                  } catch (RuntimeException e) {
                    errors.add(e);
                  }
                }
              }));
    }
    for (int r = 0; r < 2; r++) {
      tasks.add(
          pool.submit(
              () -> {
                Random random = new Random();
                while (!stop.get()) {
                  String key = "w" + random.nextInt(4) + "-" + random.nextInt(600);
                  try {
                    client.blocking().get("churn", Bytes.utf8(key));
                  } catch (RuntimeException e) {
                    errors.add(e);
                  }
                }
              }));
    }
    // By hand, beside the automatic ones: split the largest shard, merge the smallest neighbours.
    tasks.add(
        pool.submit(
            () -> {
              Random random = new Random(7);
              while (!stop.get()) {
                try {
                  List<ShardStatus> now = shards("churn");
                  if (random.nextBoolean() && now.size() < 12) {
                    ShardStatus target = now.get(random.nextInt(now.size()));
                    client
                        .blocking()
                        .admin()
                        .splitShard(target.getShard().getShardId(), Bytes.of(new byte[0]));
                    manualSplits.incrementAndGet();
                  } else if (now.size() > 1) {
                    int left = random.nextInt(now.size() - 1);
                    client
                        .blocking()
                        .admin()
                        .mergeShards(
                            now.get(left).getShard().getShardId(),
                            now.get(left + 1).getShard().getShardId());
                    manualMerges.incrementAndGet();
                  }
                } catch (RuntimeException e) {
                  // Refused (a shard changed meanwhile, no leader yet): the next round tries
                  // another.
                }
                assertNoKeyOwnedTwice(keyspaceId);
                TimeUnit.MILLISECONDS.sleep(500); // the pace of the manual operations, not a wait
              }
              return null;
            }));
    Awaitility.await()
        .atMost(Duration.ofMinutes(5))
        .pollInterval(Duration.ofSeconds(1))
        .until(() -> manualSplits.get() >= 10 && manualMerges.get() >= 10);
    stop.set(true);
    for (Future<?> task : tasks) {
      task.get(60, TimeUnit.SECONDS);
    }
    pool.shutdown();

    assertThat(errors).as("errors seen by clients").isEmpty();
    assertNoKeyOwnedTwice(keyspaceId);
    for (Map.Entry<String, String> e : acknowledged.entrySet()) {
      assertThat(client.blocking().get("churn", Bytes.utf8(e.getKey())).value().toUtf8())
          .as("last acknowledged value of %s", e.getKey())
          .isEqualTo(e.getValue());
    }
  }

  @Test
  void replicaStoppedDuringASplitCatchesUp() {
    client
        .blocking()
        .admin()
        .registerKeyspace("behind", KeyspaceOptions.builder().initialShards(1).build());
    for (int i = 0; i < 300; i++) {
      client.blocking().put("behind", Bytes.utf8("k" + i), Bytes.utf8("before-" + i));
    }
    ShardDescriptor parent = shards("behind").get(0).getShard();
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> cluster.leaderOf(parent.getShardId()) >= 0);
    int leader = cluster.leaderOf(parent.getShardId());
    int stopped = (leader + 1) % cluster.size();
    int metaLeader = cluster.leaderOf(0);
    if (stopped == metaLeader) {
      stopped = (leader + 2) % cluster.size();
    }
    cluster.stopNode(stopped);
    try {
      var split = client.blocking().admin().splitShard(parent.getShardId(), Bytes.of(new byte[0]));
      for (int i = 0; i < 300; i++) {
        client.blocking().put("behind", Bytes.utf8("k" + i), Bytes.utf8("after-" + i));
      }
      cluster.startNode(stopped);
      int restarted = stopped;
      for (ShardDescriptor shard : List.of(split.getLeft(), split.getRight())) {
        Awaitility.await()
            .atMost(Duration.ofSeconds(60))
            .ignoreExceptions()
            .until(
                () ->
                    cluster.appliedIndex(restarted, shard.getShardId())
                        >= cluster.appliedIndex(
                            cluster.leaderOf(shard.getShardId()), shard.getShardId()));
        ShardQuery everyKey = ShardQuery.newBuilder().setKind(ShardQuery.Kind.GET).build();
        List<ByteString> owned = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
          byte[] key = ("k" + i).getBytes();
          if (RoutingKeys.inRange(
              RoutingKeys.hash(key),
              shard.getStart().toByteArray(),
              shard.getEnd().toByteArray())) {
            owned.add(ByteString.copyFrom(key));
          }
        }
        assertThat(owned).isNotEmpty();
        ShardQuery query = everyKey.toBuilder().addAllKeys(owned).build();
        List<KeyResult> onRestarted = cluster.answerLocally(restarted, shard.getShardId(), query);
        List<KeyResult> onLeader =
            cluster.answerLocally(cluster.leaderOf(shard.getShardId()), shard.getShardId(), query);
        assertThat(onRestarted).isEqualTo(onLeader);
        assertThat(onRestarted).allMatch(r -> r.getPayload().toStringUtf8().startsWith("after-"));
      }
    } finally {
      if (cluster.server(stopped) == null) {
        cluster.startNode(stopped);
      }
    }
  }
}
