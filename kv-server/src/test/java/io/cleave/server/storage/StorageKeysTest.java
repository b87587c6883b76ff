package io.cleave.server.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.cleave.api.RoutingKeys;
import io.cleave.api.v1.Partitioning;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class StorageKeysTest {
  private static final int KEYSPACE = 7;

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static boolean inStoreRange(byte[] dataKey, byte[] lo, byte[] hi) {
    return Arrays.compareUnsigned(dataKey, lo) >= 0 && Arrays.compareUnsigned(dataKey, hi) < 0;
  }

  /** User keys chosen to hit the edges: empty, 0x00, 0xFF, prefixes of each other, random. */
  private static List<byte[]> sampleKeys() {
    List<byte[]> keys = new ArrayList<>();
    keys.add(new byte[0]);
    keys.add(new byte[] {0});
    keys.add(new byte[] {(byte) 0xFF});
    keys.add(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF});
    keys.add(utf8("a"));
    keys.add(utf8("ab"));
    keys.add(utf8("b"));
    keys.add(utf8("m"));
    keys.add(utf8("user:42"));
    Random random = new Random(42);
    for (int i = 0; i < 300; i++) {
      byte[] key = new byte[random.nextInt(12)];
      random.nextBytes(key);
      keys.add(key);
    }
    return keys;
  }

  @ParameterizedTest
  @EnumSource(
      value = Partitioning.class,
      names = {"HASH", "RANGE"})
  void dataKeyRoundTripsUserKeyAndRoutingKey(Partitioning partitioning) {
    for (byte[] userKey : sampleKeys()) {
      byte[] dataKey = StorageKeys.dataKey(KEYSPACE, partitioning, userKey);

      assertThat(StorageKeys.userKey(partitioning, dataKey)).isEqualTo(userKey);
      assertThat(StorageKeys.routingKey(partitioning, dataKey))
          .isEqualTo(RoutingKeys.routingKey(partitioning, userKey));
    }
  }

  @Test
  void hashDataKeyIsKeyspaceThenHashThenUserKey() {
    byte[] dataKey = StorageKeys.dataKey(KEYSPACE, Partitioning.HASH, utf8("k"));

    assertThat(dataKey).startsWith(0x01, 0, 0, 0, KEYSPACE);
    assertThat(Arrays.copyOfRange(dataKey, 5, 13)).isEqualTo(RoutingKeys.hash(utf8("k")));
    assertThat(Arrays.copyOfRange(dataKey, 13, dataKey.length)).isEqualTo(utf8("k"));
  }

  /** Routing bounds of a shard: empty means the start or end of the routing space. */
  private static List<byte[][]> rangeBounds() {
    byte[] e = new byte[0];
    return List.of(
        new byte[][] {e, e},
        new byte[][] {e, utf8("m")},
        new byte[][] {utf8("m"), e},
        new byte[][] {utf8("a"), utf8("ab")},
        new byte[][] {new byte[] {0}, new byte[] {(byte) 0xFF}},
        new byte[][] {e, new byte[] {(byte) 0x80, 0, 0, 0, 0, 0, 0, 0}},
        new byte[][] {new byte[] {(byte) 0x80, 0, 0, 0, 0, 0, 0, 0}, e},
        new byte[][] {
          new byte[] {0x40, 0, 0, 0, 0, 0, 0, 0}, new byte[] {(byte) 0xC0, 0, 0, 0, 0, 0, 0, 0}
        });
  }

  @ParameterizedTest
  @EnumSource(
      value = Partitioning.class,
      names = {"HASH", "RANGE"})
  void shardRangeHoldsExactlyTheKeysWhoseRoutingKeyItOwns(Partitioning partitioning) {
    for (byte[][] bounds : rangeBounds()) {
      byte[] lo = StorageKeys.rangeStart(KEYSPACE, bounds[0]);
      byte[] hi = StorageKeys.rangeEnd(KEYSPACE, bounds[1]);
      for (byte[] userKey : sampleKeys()) {
        byte[] routing = RoutingKeys.routingKey(partitioning, userKey);
        byte[] dataKey = StorageKeys.dataKey(KEYSPACE, partitioning, userKey);

        assertThat(inStoreRange(dataKey, lo, hi))
            .as(
                "%s key %s in [%s, %s)",
                partitioning,
                Arrays.toString(userKey),
                Arrays.toString(bounds[0]),
                Arrays.toString(bounds[1]))
            .isEqualTo(RoutingKeys.inRange(routing, bounds[0], bounds[1]));
      }
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = Partitioning.class,
      names = {"HASH", "RANGE"})
  void outcomeRangeHoldsExactlyTheOutcomesOfKeysTheShardOwns(Partitioning partitioning) {
    // The request id after the routing key must never carry an outcome across a range bound.
    byte[] clientId = new byte[16];
    Arrays.fill(clientId, (byte) 0xFF);
    for (byte[][] bounds : rangeBounds()) {
      StorageKeys.Range range = StorageKeys.outcomeRange(KEYSPACE, bounds[0], bounds[1]);
      for (byte[] userKey : sampleKeys()) {
        byte[] routing = RoutingKeys.routingKey(partitioning, userKey);
        for (byte[] id : List.of(new byte[16], clientId)) {
          byte[] outcome = StorageKeys.outcomeKey(KEYSPACE, routing, id, -1L, Integer.MAX_VALUE);

          assertThat(inStoreRange(outcome, range.start(), range.end()))
              .as("%s key %s", partitioning, Arrays.toString(userKey))
              .isEqualTo(RoutingKeys.inRange(routing, bounds[0], bounds[1]));
        }
      }
    }
  }

  @Test
  void orderedEncodingKeepsOrderAndNoEncodingIsAPrefixOfAnother() {
    List<byte[]> keys = sampleKeys();
    for (byte[] a : keys) {
      for (byte[] b : keys) {
        byte[] ea = StorageKeys.ordered(a);
        byte[] eb = StorageKeys.ordered(b);
        assertThat(Integer.signum(Arrays.compareUnsigned(ea, eb)))
            .as("%s vs %s", Arrays.toString(a), Arrays.toString(b))
            .isEqualTo(Integer.signum(Arrays.compareUnsigned(a, b)));
        if (!Arrays.equals(a, b)) {
          assertThat(Arrays.mismatch(ea, eb)).isLessThan(Math.min(ea.length, eb.length));
        }
      }
    }
  }

  @Test
  void aShardsRangesAreItsDataAndItsOutcomesAndNothingElse() {
    var shard =
        io.cleave.api.v1.ShardDescriptor.newBuilder()
            .setKeyspaceId(KEYSPACE)
            .setStart(com.google.protobuf.ByteString.copyFrom(utf8("b")))
            .setEnd(com.google.protobuf.ByteString.copyFrom(utf8("m")))
            .build();
    List<StorageKeys.Range> ranges = StorageKeys.shardRanges(shard);
    byte[] data = StorageKeys.dataKey(KEYSPACE, Partitioning.RANGE, utf8("c"));
    byte[] outcome = StorageKeys.outcomeKey(KEYSPACE, utf8("c"), new byte[16], 1, 0);
    byte[] meta = StorageKeys.stateKey(1);

    assertThat(ranges).hasSize(2);
    assertThat(ranges).anyMatch(r -> inStoreRange(data, r.start(), r.end()));
    assertThat(ranges).anyMatch(r -> inStoreRange(outcome, r.start(), r.end()));
    assertThat(ranges).noneMatch(r -> inStoreRange(meta, r.start(), r.end()));
  }

  @ParameterizedTest
  @EnumSource(
      value = Partitioning.class,
      names = {"HASH", "RANGE"})
  void keysOfNeighbourKeyspacesAreNeverInsideTheWholeRange(Partitioning partitioning) {
    byte[] lo = StorageKeys.rangeStart(KEYSPACE, new byte[0]);
    byte[] hi = StorageKeys.rangeEnd(KEYSPACE, new byte[0]);
    for (byte[] userKey : sampleKeys()) {
      assertThat(inStoreRange(StorageKeys.dataKey(KEYSPACE, partitioning, userKey), lo, hi))
          .isTrue();
      assertThat(inStoreRange(StorageKeys.dataKey(KEYSPACE + 1, partitioning, userKey), lo, hi))
          .as("keyspace %d key inside keyspace %d", KEYSPACE + 1, KEYSPACE)
          .isFalse();
      assertThat(inStoreRange(StorageKeys.dataKey(KEYSPACE - 1, partitioning, userKey), lo, hi))
          .isFalse();
    }
  }

  @Test
  void keyspaceBoundaryHoldsAcrossAByteCarry() {
    // 255 + 1 carries into the next byte of the id: the end must still be the next keyspace's
    // start.
    byte[] lo = StorageKeys.rangeStart(255, new byte[0]);
    byte[] hi = StorageKeys.rangeEnd(255, new byte[0]);
    byte[] maxKey = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF};

    assertThat(inStoreRange(StorageKeys.dataKey(255, Partitioning.RANGE, maxKey), lo, hi)).isTrue();
    assertThat(inStoreRange(StorageKeys.dataKey(256, Partitioning.RANGE, new byte[0]), lo, hi))
        .isFalse();
  }

  @Test
  void metaKeysSortBeforeEveryDataKey() {
    byte[] firstData = StorageKeys.rangeStart(0, new byte[0]);
    for (long shardId : new long[] {0, 1, 42, Long.MAX_VALUE, -1}) {
      for (byte[] meta :
          List.of(
              StorageKeys.appliedKey(shardId),
              StorageKeys.stateKey(shardId),
              StorageKeys.snapshotKey(shardId))) {
        assertThat(Arrays.compareUnsigned(meta, firstData)).isNegative();
        assertThat(StorageKeys.shardIdOfMetaKey(meta)).isEqualTo(shardId);
      }
    }
  }

  @Test
  void stateKeyRangeHoldsOnlyStateKeys() {
    byte[] lo = StorageKeys.stateKeysStart();
    byte[] hi = StorageKeys.stateKeysEnd();
    for (long shardId : new long[] {0, 1, Long.MAX_VALUE, -1}) {
      assertThat(inStoreRange(StorageKeys.stateKey(shardId), lo, hi)).isTrue();
      assertThat(inStoreRange(StorageKeys.appliedKey(shardId), lo, hi)).isFalse();
      assertThat(inStoreRange(StorageKeys.snapshotKey(shardId), lo, hi)).isFalse();
    }
  }
}
