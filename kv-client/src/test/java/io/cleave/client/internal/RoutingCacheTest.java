package io.cleave.client.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.cleave.api.RoutingKeys;
import io.cleave.api.v1.GetClusterMapResponse;
import io.cleave.api.v1.KeyspaceDescriptor;
import io.cleave.api.v1.NodeDescriptor;
import io.cleave.api.v1.Partitioning;
import io.cleave.api.v1.Replica;
import io.cleave.api.v1.ShardDescriptor;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RoutingCacheTest {
  private static final KeyspaceDescriptor RANGE =
      KeyspaceDescriptor.newBuilder()
          .setId(1)
          .setName("r")
          .setPartitioning(Partitioning.RANGE)
          .build();
  private static final KeyspaceDescriptor HASH =
      KeyspaceDescriptor.newBuilder()
          .setId(2)
          .setName("h")
          .setPartitioning(Partitioning.HASH)
          .build();

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static ShardDescriptor shard(
      int keyspace, long id, long epoch, byte[] start, byte[] end, String... replicas) {
    ShardDescriptor.Builder d =
        ShardDescriptor.newBuilder()
            .setKeyspaceId(keyspace)
            .setShardId(id)
            .setEpoch(epoch)
            .setStart(ByteString.copyFrom(start))
            .setEnd(ByteString.copyFrom(end));
    for (String r : replicas) {
      d.addReplicas(Replica.newBuilder().setNodeId(r));
    }
    if (replicas.length > 0) {
      d.setLeaderNodeId(replicas[0]);
    }
    return d.build();
  }

  private static long idOf(KeyspaceRoutes routes, byte[] key) {
    ShardRoute route = routes.find(routes.routingKey(key));
    return route == null ? -1 : route.shardId();
  }

  @Test
  void rangeKeyspaceRoutesByTheKeyItself() {
    KeyspaceRoutes routes =
        new KeyspaceRoutes(
            RANGE,
            List.of(
                shard(1, 10, 1, new byte[0], b("g")),
                shard(1, 11, 1, b("g"), b("p")),
                shard(1, 12, 1, b("p"), new byte[0])));
    assertThat(idOf(routes, b("apple"))).isEqualTo(10);
    assertThat(idOf(routes, b("g"))).isEqualTo(11); // start is inclusive
    assertThat(idOf(routes, b("oz"))).isEqualTo(11);
    assertThat(idOf(routes, b("p"))).isEqualTo(12); // end is exclusive
    assertThat(idOf(routes, new byte[] {(byte) 0xff})).isEqualTo(12);
  }

  @Test
  void startsAreOrderedUnsignedSoHighBytesGoToTheLastShard() {
    // Signed order would put 0x80 before 0x7f and route every "negative" byte to the first shard.
    KeyspaceRoutes routes =
        new KeyspaceRoutes(
            RANGE,
            List.of(
                shard(1, 10, 1, new byte[0], new byte[] {0x7f}),
                shard(1, 11, 1, new byte[] {0x7f}, new byte[] {(byte) 0x80}),
                shard(1, 12, 1, new byte[] {(byte) 0x80}, new byte[0])));
    assertThat(idOf(routes, new byte[] {0x10})).isEqualTo(10);
    assertThat(idOf(routes, new byte[] {0x7f, (byte) 0xff})).isEqualTo(11);
    assertThat(idOf(routes, new byte[] {(byte) 0x80})).isEqualTo(12);
    assertThat(idOf(routes, new byte[] {(byte) 0xfe, 1})).isEqualTo(12);
  }

  @Test
  void hashKeyspaceRoutesByTheMurmurHash() {
    byte[] middle = {(byte) 0x80, 0, 0, 0, 0, 0, 0, 0};
    KeyspaceRoutes routes =
        new KeyspaceRoutes(
            HASH,
            List.of(shard(2, 20, 1, new byte[0], middle), shard(2, 21, 1, middle, new byte[0])));
    int low = 0;
    int high = 0;
    for (int i = 0; i < 200; i++) {
      byte[] key = b("key-" + i);
      boolean upper = Byte.toUnsignedInt(RoutingKeys.hash(key)[0]) >= 0x80;
      assertThat(idOf(routes, key)).isEqualTo(upper ? 21 : 20);
      if (upper) {
        high++;
      } else {
        low++;
      }
    }
    assertThat(low).isPositive();
    assertThat(high).isPositive();
  }

  @Test
  void splitDescriptorsReplaceTheShardTheyCameFrom() {
    KeyspaceRoutes routes =
        new KeyspaceRoutes(RANGE, List.of(shard(1, 10, 1, new byte[0], new byte[0])));
    boolean changed =
        routes.replace(
            List.of(shard(1, 10, 2, new byte[0], b("m")), shard(1, 11, 2, b("m"), new byte[0])));
    assertThat(changed).isTrue();
    assertThat(routes.shards()).extracting(ShardRoute::shardId).containsExactly(10L, 11L);
    assertThat(routes.shards()).extracting(ShardRoute::epoch).containsExactly(2L, 2L);
    assertThat(idOf(routes, b("a"))).isEqualTo(10);
    assertThat(idOf(routes, b("z"))).isEqualTo(11);
  }

  @Test
  void mergedDescriptorReplacesBothHalves() {
    KeyspaceRoutes routes =
        new KeyspaceRoutes(
            RANGE,
            List.of(
                shard(1, 9, 4, new byte[0], b("c")),
                shard(1, 10, 2, b("c"), b("m")),
                shard(1, 11, 7, b("m"), b("t")),
                shard(1, 12, 1, b("t"), new byte[0])));
    // The survivor's epoch (3) is below the absorbed shard's (7): epochs of different shards do
    // not compare, so the merge must still win.
    assertThat(routes.replace(List.of(shard(1, 10, 3, b("c"), b("t"))))).isTrue();
    assertThat(routes.shards()).extracting(ShardRoute::shardId).containsExactly(9L, 10L, 12L);
    assertThat(idOf(routes, b("p"))).isEqualTo(10);
  }

  @Test
  void olderNewsOfTheSameShardIsIgnored() {
    KeyspaceRoutes routes =
        new KeyspaceRoutes(RANGE, List.of(shard(1, 10, 3, new byte[0], b("m"))));
    assertThat(routes.replace(List.of(shard(1, 10, 2, new byte[0], new byte[0])))).isFalse();
    assertThat(routes.replace(List.of(shard(1, 10, 3, new byte[0], b("m"))))).isFalse();
    assertThat(routes.shards()).hasSize(1);
    assertThat(routes.shards().get(0).epoch()).isEqualTo(3);
  }

  @Test
  void aPartialRepairLeavesAHoleThatLookupsReport() {
    KeyspaceRoutes routes =
        new KeyspaceRoutes(RANGE, List.of(shard(1, 10, 1, new byte[0], new byte[0])));
    routes.replace(List.of(shard(1, 11, 2, b("m"), new byte[0])));
    assertThat(idOf(routes, b("a"))).isEqualTo(-1); // the caller reloads the map
    assertThat(idOf(routes, b("z"))).isEqualTo(11);
  }

  @Test
  void cacheAppliesNewerMapsOnlyAndRepairsPerKeyspace() {
    RoutingCache cache = new RoutingCache();
    GetClusterMapResponse v2 =
        GetClusterMapResponse.newBuilder()
            .setVersion(2)
            .addNodes(NodeDescriptor.newBuilder().setNodeId("n1").setClientAddress("a1"))
            .addKeyspaces(RANGE)
            .addKeyspaces(HASH)
            .addShards(shard(1, 10, 1, new byte[0], new byte[0], "n1"))
            .addShards(shard(2, 20, 1, new byte[0], new byte[0], "n1"))
            .build();
    cache.apply(v2);
    cache.apply(v2.toBuilder().setVersion(1).clearKeyspaces().build());
    assertThat(cache.keyspace("r")).isNotNull();
    assertThat(cache.addressOf("n1")).isEqualTo("a1");

    assertThat(
            cache.repair(
                List.of(
                    shard(2, 20, 2, new byte[0], b("x")), shard(2, 21, 2, b("x"), new byte[0]))))
        .isTrue();
    assertThat(cache.keyspace("h").shards()).hasSize(2);
    assertThat(cache.keyspace("r").shards()).hasSize(1);
    // Descriptors of a keyspace id the cache does not know (re-created keyspace) change nothing.
    assertThat(cache.repair(List.of(shard(3, 30, 1, new byte[0], new byte[0])))).isFalse();
  }

  @Test
  void targetPrefersTheLeaderThenWalksLiveReplicas() {
    ShardRoute route = new ShardRoute(shard(1, 10, 1, new byte[0], new byte[0], "n1", "n2", "n3"));
    Map<String, String> addresses = Map.of("n1", "a1", "n2", "a2", "n3", "a3");
    assertThat(route.target(addresses::get, a -> false).nodeId()).isEqualTo("n1");

    // Leader's node is down: the next live replica.
    assertThat(route.target(addresses::get, Set.of("a1")::contains).nodeId()).isEqualTo("n2");

    // n1 says "not leader, don't know who": the cursor moves past it.
    route.leaderUnknown("n1");
    assertThat(route.target(addresses::get, a -> false).nodeId()).isEqualTo("n2");
    route.leaderUnknown("n2");
    assertThat(route.target(addresses::get, a -> false).nodeId()).isEqualTo("n3");

    // A hint with an address the node list does not have yet is used as is.
    route.leaderIs("n9", "a9");
    assertThat(route.target(addresses::get, a -> false))
        .isEqualTo(new ShardRoute.Target("n9", "a9"));

    // Everything down: still pick something, the deadline bounds the cost.
    route.leaderIs("", "");
    assertThat(route.target(addresses::get, a -> true)).isNotNull();
    assertThat(route.target(id -> null, a -> false)).isNull();
  }

  @Test
  void backoffGrowsWithJitterUpToTheCap() {
    Backoff backoff = new Backoff(java.time.Duration.ofMillis(10), java.time.Duration.ofMillis(80));
    for (int i = 0; i < 50; i++) {
      assertThat(backoff.delayNanos(0)).isBetween(5_000_000L, 10_000_000L);
      assertThat(backoff.delayNanos(2)).isBetween(20_000_000L, 40_000_000L);
      assertThat(backoff.delayNanos(40)).isBetween(40_000_000L, 80_000_000L);
    }
  }
}
