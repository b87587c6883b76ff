package io.cleave.server.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.primitives.Longs;
import com.google.common.primitives.UnsignedLong;
import com.google.protobuf.ByteString;
import io.cleave.api.RoutingKeys;
import io.cleave.api.v1.Partitioning;
import io.cleave.api.v1.RegisterKeyspaceRequest;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code KeyspaceManager.ranges}: how a new keyspace's routing space is cut into shards. */
class KeyspaceRangesTest {
  private static final BigInteger SPACE = BigInteger.ONE.shiftLeft(64);

  private static RegisterKeyspaceRequest.Builder request() {
    return RegisterKeyspaceRequest.newBuilder().setName("ks");
  }

  private static List<ByteString[]> hash(int initialShards) {
    return KeyspaceManager.ranges(
        request().setInitialShards(initialShards).build(), Partitioning.HASH);
  }

  private static List<ByteString[]> range(String... splitKeys) {
    RegisterKeyspaceRequest.Builder request = request();
    for (String key : splitKeys) {
      request.addSplitKeys(ByteString.copyFromUtf8(key));
    }
    return KeyspaceManager.ranges(request.build(), Partitioning.RANGE);
  }

  private static BigInteger position(ByteString bound, boolean isEnd) {
    if (bound.isEmpty()) {
      return isEnd ? SPACE : BigInteger.ZERO;
    }
    if (bound.size() != RoutingKeys.HASH_LENGTH) {
      throw new AssertionError("a HASH bound of " + bound.size() + " bytes");
    }
    return UnsignedLong.fromLongBits(Longs.fromByteArray(bound.toByteArray())).bigIntegerValue();
  }

  /** The ranges start and end on the empty bound and each starts where the previous ended. */
  private static void assertTiles(List<ByteString[]> ranges) {
    assertThat(ranges.get(0)[0]).isEmpty();
    assertThat(ranges.get(ranges.size() - 1)[1]).isEmpty();
    List<Integer> gaps = new ArrayList<>();
    for (int i = 1; i < ranges.size(); i++) {
      if (ranges.get(i)[0].isEmpty() || !ranges.get(i)[0].equals(ranges.get(i - 1)[1])) {
        gaps.add(i);
      }
    }
    assertThat(gaps).as("ranges not starting where the previous one ended").isEmpty();
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 2, 3, 7, 16, 1000, 1024})
  void hashCutsTheSpaceEvenlyAndCoversIt(int initialShards) {
    List<ByteString[]> ranges = hash(initialShards);

    int n = Math.max(1, initialShards);
    assertThat(ranges).hasSize(n);
    assertTiles(ranges);
    BigInteger ideal = SPACE.divide(BigInteger.valueOf(n));
    List<BigInteger> uneven = new ArrayList<>();
    for (ByteString[] r : ranges) {
      BigInteger width = position(r[1], true).subtract(position(r[0], false));
      // Every shard is within n positions (the rounding of the cut) of an even share.
      if (width.subtract(ideal).abs().compareTo(BigInteger.valueOf(n)) > 0) {
        uneven.add(width);
      }
    }
    assertThat(uneven).as("widths off an even share of %s", ideal).isEmpty();
  }

  @Test
  void everyHashLandsInExactlyOneShard() {
    List<ByteString[]> ranges = hash(7);
    Random random = new Random(7);
    int[] hits = new int[ranges.size()];
    for (int i = 0; i < 7_000; i++) {
      byte[] routing = RoutingKeys.hash(Longs.toByteArray(random.nextLong()));
      int owners = 0;
      for (int s = 0; s < ranges.size(); s++) {
        if (RoutingKeys.inRange(
            routing, ranges.get(s)[0].toByteArray(), ranges.get(s)[1].toByteArray())) {
          owners++;
          hits[s]++;
        }
      }
      assertThat(owners).isEqualTo(1);
    }
    for (int h : hits) {
      assertThat(h).isBetween(800, 1200);
    }
  }

  @Test
  void hashRefusesSplitKeys() {
    assertThatThrownBy(
            () ->
                KeyspaceManager.ranges(
                    request().addSplitKeys(ByteString.copyFromUtf8("m")).build(),
                    Partitioning.HASH))
        .isInstanceOf(AdminException.class)
        .hasMessageContaining("split_keys are for RANGE keyspaces");
  }

  @Test
  void rangeCutsAtTheSplitKeys() {
    List<ByteString[]> ranges = range("g", "p");

    assertThat(ranges).hasSize(3);
    assertTiles(ranges);
    assertThat(ranges.get(0)[1].toStringUtf8()).isEqualTo("g");
    assertThat(ranges.get(1)[1].toStringUtf8()).isEqualTo("p");
  }

  @Test
  void rangeWithoutSplitKeysIsOneShard() {
    List<ByteString[]> ranges = range();

    assertThat(ranges).hasSize(1);
    assertTiles(ranges);
  }

  @Test
  void rangeSplitKeysMustBeStrictlyAscendingAndNonEmpty() {
    assertThatThrownBy(() -> range("p", "g")).hasMessageContaining("strictly ascending");
    assertThatThrownBy(() -> range("g", "g")).hasMessageContaining("strictly ascending");
    assertThatThrownBy(() -> range("", "g")).hasMessageContaining("non-empty");
  }

  @Test
  void rangeSplitKeysAreComparedUnsigned() {
    RegisterKeyspaceRequest request =
        request()
            .addSplitKeys(ByteString.copyFrom(new byte[] {0x7F}))
            .addSplitKeys(ByteString.copyFrom(new byte[] {(byte) 0x80}))
            .build();

    assertThat(KeyspaceManager.ranges(request, Partitioning.RANGE)).hasSize(3);
  }

  @Test
  void rangeInitialShardsMustMatchTheSplitKeys() {
    RegisterKeyspaceRequest mismatch =
        request().setInitialShards(4).addSplitKeys(ByteString.copyFromUtf8("m")).build();
    RegisterKeyspaceRequest matching =
        request().setInitialShards(2).addSplitKeys(ByteString.copyFromUtf8("m")).build();

    assertThatThrownBy(() -> KeyspaceManager.ranges(mismatch, Partitioning.RANGE))
        .hasMessageContaining("4 initial shards needs 3 split keys");
    assertThat(KeyspaceManager.ranges(matching, Partitioning.RANGE)).hasSize(2);
  }
}
