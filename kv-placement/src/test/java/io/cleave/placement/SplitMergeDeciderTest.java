package io.cleave.placement;

import static io.cleave.placement.Views.evenHashShards;
import static io.cleave.placement.Views.hashAt;
import static io.cleave.placement.Views.hashKeyspace;
import static io.cleave.placement.Views.keyspace;
import static io.cleave.placement.Views.policy;
import static io.cleave.placement.Views.sample;
import static io.cleave.placement.Views.shard;
import static io.cleave.placement.Views.stats;
import static io.cleave.placement.Views.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.cleave.api.v1.KeySample;
import io.cleave.api.v1.Partitioning;
import io.cleave.api.v1.ShardDescriptor;
import io.cleave.api.v1.SplitMergePolicy;
import io.cleave.placement.PlacementOperation.HotKeyReport;
import io.cleave.placement.PlacementOperation.Merge;
import io.cleave.placement.PlacementOperation.Split;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The split/merge rules, one table per rule. Limits: 100 keys, 1000 bytes, 50 load/s. */
class SplitMergeDeciderTest {
  private static final long NOW = 10_000_000;
  private static final SplitMergePolicy LIMITS =
      policy().setMaxKeysPerShard(100).setMaxSizePerShard(1000).setMaxLoadPerShard(50).build();

  private static List<PlacementOperation> decide(ClusterView.Builder view) {
    return decide(view, PlacementSettings.defaults());
  }

  private static List<PlacementOperation> decide(
      ClusterView.Builder view, PlacementSettings settings) {
    return SplitMergeDecider.decide(view.build(), settings, NOW);
  }

  /** One HASH keyspace with the default limits cut into {@code n} equal shards, ids 0..n-1. */
  private static ClusterView.Builder hashCluster(SplitMergePolicy policy, int n) {
    return ClusterView.builder().keyspace(hashKeyspace(1, policy)).shards(evenHashShards(1, 0, n));
  }

  /** Operations rendered compactly: "split 0 KEYS", "merge 0+1", "hot 0". */
  private static String summary(List<PlacementOperation> ops) {
    return ops.stream().map(SplitMergeDeciderTest::summary).collect(Collectors.joining(", "));
  }

  private static String summary(PlacementOperation op) {
    if (op instanceof Split s) {
      return "split " + s.shardId() + " " + s.reason();
    }
    if (op instanceof Merge m) {
      return "merge " + m.leftShardId() + "+" + m.rightShardId();
    }
    return "hot " + ((HotKeyReport) op).shardId();
  }

  @ParameterizedTest(name = "{0}: keys={1} size={2} load={3} -> [{4}]")
  @CsvSource(
      delimiter = '|',
      value = {
        "keys over the limit       | 101  | 0    | 0   | split 0 KEYS",
        "keys at the limit         | 100  | 0    | 0   | ''",
        "size over the limit       | 2    | 1001 | 0   | split 0 SIZE",
        "size at the limit         | 2    | 1000 | 0   | ''",
        "load over the limit       | 2    | 0    | 51  | split 0 LOAD",
        "load at the limit         | 2    | 0    | 50  | ''",
        "load the largest ratio    | 150  | 0    | 100 | split 0 LOAD",
        "keys the largest ratio    | 300  | 1500 | 100 | split 0 KEYS",
        "a single key never splits | 1    | 9999 | 999 | ''",
        "no keys never splits      | 0    | 9999 | 999 | ''",
        "all under the limits      | 99   | 999  | 49  | ''",
      })
  void splitsWhenARatioPassesOne(String rule, long keys, long size, double load, String expected) {
    var view = hashCluster(LIMITS, 1).stats(stats(0, keys, size, load));
    assertThat(summary(decide(view))).isEqualTo(expected);
  }

  @Test
  void keyAndSizeSplitsOfHashShardsCutInTheMiddle() {
    var view =
        ClusterView.builder()
            .keyspace(hashKeyspace(1, LIMITS))
            .shard(shard(7, 1, hashAt(0.5), ByteString.EMPTY))
            .stats(stats(7, 500, 0, 0));
    assertThat(decide(view)).containsExactly(new Split(7, 70, hashAt(0.75), SplitReason.KEYS, 5.0));
  }

  @ParameterizedTest(name = "keys={0} size={1} load={2} limits k/s/l={3}/{4}/{5} -> [{6}]")
  @CsvSource({
    // keys,  size, load, maxKeys, maxSize, maxLoad, expected
    "1000000, 0,    0,    0,       0,       50,      ''",
    "1000000, 9999, 10,   0,       0,       50,      ''",
    "1000000, 9999, 51,   0,       0,       50,      split 0 LOAD",
    "2,       9999, 999,  100,     0,       0,       ''",
    "2,       9999, 999,  0,       0,       0,       ''",
  })
  void limitsOfZeroAreUnset(
      long keys,
      long size,
      double load,
      long maxKeys,
      long maxSize,
      long maxLoad,
      String expected) {
    SplitMergePolicy p =
        policy()
            .setMaxKeysPerShard(maxKeys)
            .setMaxSizePerShard(maxSize)
            .setMaxLoadPerShard(maxLoad)
            .build();
    var view = hashCluster(p, 1).stats(stats(0, keys, size, load));
    assertThat(summary(decide(view))).isEqualTo(expected);
  }

  @ParameterizedTest(name = "max {0}, {1} shards ({2} hot), {3} in flight -> {4} splits")
  @CsvSource({
    // maxShards, shards, hot, splitsInFlight, expectedSplits
    "4,  2, 2, 0, 2",
    "4,  3, 3, 0, 1",
    "4,  4, 4, 0, 0",
    "10, 4, 4, 0, 4",
    "4,  2, 2, 1, 1",
    "4,  3, 2, 1, 0",
    "1,  1, 1, 0, 0",
  })
  void neverSplitsPastMaxShards(
      int maxShards, int shards, int hot, int inFlight, int expectedSplits) {
    var view = hashCluster(LIMITS.toBuilder().setMaxShards(maxShards).build(), shards);
    for (int i = 0; i < shards; i++) {
      view.stats(stats(i, i < hot ? 200 : 60, 0, 0));
    }
    for (int i = 0; i < inFlight; i++) {
      // In flight on the last shard, which is cool: only its slot and shard count matter.
      view.inFlight(new Split(shards - 1, 0, hashAt(0.99), SplitReason.KEYS, 2));
    }
    assertThat(decide(view)).hasSize(expectedSplits).allMatch(op -> op instanceof Split);
  }

  @ParameterizedTest(name = "{0}: keys {1}+{2}, {3} shards, min {4} -> [{5}]")
  @CsvSource(
      delimiter = '|',
      value = {
        "both and sum under 0.5       | 20 | 20 | 3 | 1 | merge 0+1",
        "sum at 0.6                   | 30 | 30 | 3 | 1 | ''",
        "sum just under               | 49 | 0  | 3 | 1 | merge 0+1",
        "left at the threshold        | 50 | 0  | 3 | 1 | ''",
        "each under but sum over      | 10 | 45 | 3 | 1 | ''",
        "at min_shards                | 20 | 20 | 2 | 2 | ''",
        "above min_shards             | 20 | 20 | 3 | 2 | merge 0+1",
        "min_shards 0 means 1         | 20 | 20 | 2 | 0 | merge 0+1",
      })
  void mergesAdjacentShardsWhenEachAndTheSumAreUnderTheRatio(
      String rule, long left, long right, int shards, int minShards, String expected) {
    var view = hashCluster(LIMITS.toBuilder().setMinShards(minShards).build(), shards);
    view.stats(stats(0, left, 0, 0)).stats(stats(1, right, 0, 0));
    for (int i = 2; i < shards; i++) {
      view.stats(stats(i, 70, 0, 0)); // between the thresholds: neither splits nor merges
    }
    assertThat(summary(decide(view))).isEqualTo(expected);
  }

  @ParameterizedTest(name = "merge_threshold_ratio {0}: keys {1}+{2} -> [{3}]")
  @CsvSource({
    "0.0, 20, 20, merge 0+1",
    "0.3, 20, 20, ''",
    "0.3, 10, 19, merge 0+1",
    "0.9, 40, 40, merge 0+1",
    // Above 1 the ratio is capped at 1: a merged pair over a limit would split right back.
    "1.5, 60, 60, ''",
    "1.5, 50, 49, merge 0+1",
  })
  void mergeThresholdRatio(double ratio, long left, long right, String expected) {
    var view = hashCluster(LIMITS.toBuilder().setMergeThresholdRatio(ratio).build(), 2);
    view.stats(stats(0, left, 0, 0)).stats(stats(1, right, 0, 0));
    assertThat(summary(decide(view))).isEqualTo(expected);
  }

  @Test
  void mergesOnlyNeighboursOfTheSameKeyspace() {
    SplitMergePolicy p = LIMITS;
    ByteString a = hashAt(0.25);
    ByteString b = hashAt(0.5);
    ByteString c = hashAt(0.75);
    var view =
        ClusterView.builder()
            .keyspace(hashKeyspace(1, p))
            .keyspace(hashKeyspace(2, p))
            // keyspace 1: [.25,.5) and [.75,1) are not adjacent: [.5,.75) is missing from the view.
            .shard(shard(10, 1, ByteString.EMPTY, a))
            .shard(shard(11, 1, a, b))
            .shard(shard(12, 1, c, ByteString.EMPTY))
            // keyspace 2: same boundaries, its own shards.
            .shard(shard(20, 2, ByteString.EMPTY, a))
            .shard(shard(21, 2, a, b))
            .shard(shard(22, 2, b, ByteString.EMPTY))
            .stats(stats(10, 60, 0, 0))
            .stats(stats(11, 10, 0, 0))
            .stats(stats(12, 10, 0, 0))
            .stats(stats(20, 60, 0, 0))
            .stats(stats(21, 10, 0, 0))
            .stats(stats(22, 60, 0, 0));
    // 11 and 12 are cold but not adjacent; 11 and 21 touch the same boundary in different
    // keyspaces; nothing merges.
    assertThat(decide(view)).isEmpty();
  }

  @ParameterizedTest(name = "{0}: changed {1} ms ago, cooldown {2} -> [{3}]")
  @CsvSource(
      delimiter = '|',
      value = {
        "never changed           | -1     | 0     | split 0 KEYS, merge 1+2",
        "inside default 30 s     | 29999  | 0     | ''",
        "default 30 s over       | 30000  | 0     | split 0 KEYS, merge 1+2",
        "inside policy cooldown  | 9999   | 10000 | ''",
        "policy cooldown over    | 10000  | 10000 | split 0 KEYS, merge 1+2",
        "short policy cooldown   | 2000   | 1000  | split 0 KEYS, merge 1+2",
      })
  void waitsOutTheCooldownAfterAChange(String rule, long ago, long cooldown, String expected) {
    var view = hashCluster(LIMITS.toBuilder().setCooldownMillis(cooldown).build(), 3);
    view.stats(stats(0, 200, 0, 0)).stats(stats(1, 10, 0, 0)).stats(stats(2, 10, 0, 0));
    if (ago >= 0) {
      for (long id = 0; id < 3; id++) {
        view.lastChange(id, NOW - ago);
      }
    }
    assertThat(summary(decide(view))).isEqualTo(expected);
  }

  @Test
  void cooldownOfOneShardBlocksOnlyPairsWithIt() {
    var view = hashCluster(LIMITS, 4);
    for (int i = 0; i < 4; i++) {
      view.stats(stats(i, 10, 0, 0));
    }
    view.lastChange(1, NOW - 1000);
    assertThat(summary(decide(view))).isEqualTo("merge 2+3");
  }

  @Test
  void aShardIsInOneOperationAtATime() {
    // Five cold shards in a row: 0+1 and 2+3 merge; 1+2 and 3+4 would reuse a shard.
    var view = hashCluster(LIMITS, 5);
    for (int i = 0; i < 5; i++) {
      view.stats(stats(i, 10 + i, 0, 0));
    }
    assertThat(summary(decide(view))).isEqualTo("merge 0+1, merge 2+3");
  }

  @Test
  void shardsInFlightAreLeftAlone() {
    var view = hashCluster(LIMITS, 4);
    view.stats(stats(0, 500, 0, 0));
    for (int i = 1; i < 4; i++) {
      view.stats(stats(i, 10, 0, 0));
    }
    view.inFlight(new Split(0, 0, hashAt(0.1), SplitReason.KEYS, 5));
    view.inFlight(new Merge(1, 10, 2, 20, 0.2));
    assertThat(decide(view)).isEmpty();
  }

  @Test
  void shardsWithoutStatsOrInDeletingKeyspacesAreLeftAlone() {
    var view =
        ClusterView.builder()
            .keyspace(hashKeyspace(1, LIMITS))
            .keyspace(hashKeyspace(2, LIMITS).toBuilder().setDeleting(true).build())
            .shards(evenHashShards(1, 0, 2))
            .shards(evenHashShards(2, 10, 2))
            .stats(stats(1, 500, 0, 0)) // its neighbour 0 has no stats
            .stats(stats(10, 500, 0, 0))
            .stats(stats(11, 1, 0, 0));
    assertThat(summary(decide(view))).isEqualTo("split 1 KEYS");
  }

  @ParameterizedTest(name = "limit {0}, {1} in flight -> [{2}]")
  @CsvSource(
      delimiter = '|',
      value = {
        // Hot shards 0..4 have ratios 1.1..1.5; cold pair 5+6 merges last.
        "1 | 0 | split 4 KEYS",
        "2 | 0 | split 4 KEYS, split 3 KEYS",
        "5 | 0 | split 4 KEYS, split 3 KEYS, split 2 KEYS, split 1 KEYS, split 0 KEYS",
        "6 | 0 | split 4 KEYS, split 3 KEYS, split 2 KEYS, split 1 KEYS, split 0 KEYS, merge 5+6",
        "5 | 3 | split 4 KEYS, split 3 KEYS",
        "3 | 3 | ''",
        "2 | 3 | ''",
      })
  void limitsConcurrentOperationsCountingThoseInFlight(int limit, int inFlight, String expected) {
    var view = hashCluster(LIMITS, 7);
    for (int i = 0; i < 5; i++) {
      view.stats(stats(i, 110 + 10 * i, 0, 0));
    }
    view.stats(stats(5, 10, 0, 0)).stats(stats(6, 10, 0, 0));
    // In-flight operations on shards of another keyspace: they take slots, not shards here.
    view.keyspace(hashKeyspace(2, LIMITS)).shards(evenHashShards(2, 100, 3));
    for (int i = 0; i < inFlight; i++) {
      view.inFlight(new Split(100 + i, 0, hashAt(0.5), SplitReason.KEYS, 2));
    }
    var settings = PlacementSettings.builder().maxConcurrentOperations(limit).build();
    assertThat(summary(decide(view, settings))).isEqualTo(expected);
  }

  @Test
  void mergesColdestPairFirst() {
    var view = hashCluster(LIMITS, 4);
    view.stats(stats(0, 20, 0, 0)).stats(stats(1, 20, 0, 0));
    view.stats(stats(2, 5, 0, 0)).stats(stats(3, 5, 0, 0));
    var settings = PlacementSettings.builder().maxConcurrentOperations(1).build();
    assertThat(summary(decide(view, settings))).isEqualTo("merge 2+3");
  }

  /** Samples written "fraction:load" in the hash space, e.g. "0.25:10". */
  private static KeySample[] samples(String spec) {
    List<KeySample> out = new ArrayList<>();
    for (String part : spec.trim().split("\\s+")) {
      String[] kv = part.split(":");
      out.add(sample(hashAt(Double.parseDouble(kv[0])), Double.parseDouble(kv[1])));
    }
    return out.toArray(KeySample[]::new);
  }

  @ParameterizedTest(name = "[{0}, 1) samples {1} -> cut at {2}")
  @CsvSource({
    // start, samples (fraction:load),              expected cut
    "0,    0.1:10 0.2:10 0.3:10 0.4:10,             0.3",
    "0,    0.1:30 0.2:10 0.3:10 0.4:10,             0.2",
    "0,    0.4:10 0.3:10 0.2:10 0.1:10,             0.3", // order of samples does not matter
    "0,    0.1:10 0.1:10 0.2:10 0.3:10,             0.2", // a repeated key sums
    "0,    0.05:1 0.06:1 0.07:1 0.9:3,              0.9", // load-weighted, not the range midpoint
    "0.5,  0.5:40 0.8:20,                           0.8", // never at start
    "0.5,  0.1:500 0.6:10 0.7:10 0.8:10 0.9:10,     0.8", // samples outside the shard are ignored
  })
  void loadSplitsCutAtTheLoadWeightedMedian(double start, String spec, double expected) {
    ByteString startKey = start == 0 ? ByteString.EMPTY : hashAt(start);
    var view =
        ClusterView.builder()
            .keyspace(hashKeyspace(1, LIMITS))
            .shard(shard(1, 1, startKey, ByteString.EMPTY))
            .stats(stats(1, 50, 0, 100, samples(spec)));
    assertThat(decide(view))
        .singleElement()
        .isInstanceOfSatisfying(
            Split.class,
            s -> {
              assertThat(s.reason()).isEqualTo(SplitReason.LOAD);
              assertThat(s.splitAt()).isEqualTo(hashAt(expected));
            });
  }

  @ParameterizedTest(name = "{0}: keys={1}, samples {2}, reported={3} -> [{4}]")
  @CsvSource(
      delimiter = '|',
      value = {
        "one key has 90%            | 50  | 0.2:90 0.6:5 0.7:5    | false | hot 1",
        "already reported           | 50  | 0.2:90 0.6:5 0.7:5    | true  | ''",
        "exactly 80% still splits   | 50  | 0.2:80 0.6:10 0.7:10  | false | split 1 LOAD",
        "hot key but too many keys  | 500 | 0.2:90 0.6:5 0.7:5    | false | split 1 KEYS",
        "one sample only            | 50  | 0.2:90                | false | hot 1",
        "a single key, hot          | 1   | 0.2:60 0.3:40         | false | hot 1",
        "a single key, reported     | 1   | 0.2:60 0.3:40         | true  | ''",
      })
  void aKeyTooHotToSplitIsReportedOnce(
      String rule, long keys, String spec, boolean reported, String expected) {
    // Load stays the largest ratio, so the split would be a load split but for the hot key.
    var view =
        ClusterView.builder()
            .keyspace(hashKeyspace(1, LIMITS))
            .shard(shard(1, 1, ByteString.EMPTY, ByteString.EMPTY))
            .stats(stats(1, keys, 0, keys > 100 ? 600 : 100, samples(spec)));
    if (reported) {
      view.reportedHotKey(1, hashAt(0.2));
    }
    List<PlacementOperation> ops = decide(view);
    assertThat(summary(ops)).isEqualTo(expected);
    ops.stream()
        .filter(op -> op instanceof HotKeyReport)
        .map(HotKeyReport.class::cast)
        .forEach(
            h -> {
              assertThat(h.routingKey()).isEqualTo(hashAt(0.2));
              assertThat(h.share()).isGreaterThan(0.5); // the top sample's fraction
            });
  }

  @Test
  void hotKeyReportsTakeNoSlot() {
    var view = hashCluster(LIMITS, 2);
    view.stats(stats(0, 50, 0, 100, samples("0.2:95 0.3:5")));
    view.stats(stats(1, 500, 0, 0));
    var settings = PlacementSettings.builder().maxConcurrentOperations(1).build();
    assertThat(summary(decide(view, settings))).isEqualTo("split 1 KEYS, hot 0");
  }

  @ParameterizedTest(name = "RANGE [{0}, {1}) samples {2} -> cut {3}")
  @CsvSource(
      nullValues = "-",
      value = {
        // start,   end,    samples (comma-free, space separated), expected cut
        "'',        '',     -,                                     '\u0080'",
        "user/,     user0,  -,                                     user/\u0080",
        "'',        '',     user/1 user/5 user/9,                  user/5",
        "user/3,    user/7, user/1 user/3 user/4 user/6 user/9,    user/6",
        "user/3,    user/7, user/3,                                user/5",
      })
  void rangeKeyspacesCutAtTheMedianSampleOrTheByteMiddle(
      String start, String end, String sampleKeys, String expected) {
    var ks = keyspace(1, Partitioning.RANGE, LIMITS);
    List<KeySample> samples = new ArrayList<>();
    if (sampleKeys != null) {
      for (String k : sampleKeys.split(" ")) {
        samples.add(sample(utf8(k), 1));
      }
    }
    ShardDescriptor shard = shard(1, 1, utf8(start), utf8(end));
    var view =
        ClusterView.builder()
            .keyspace(ks)
            .shard(shard)
            .stats(stats(1, 500, 0, 0, samples.toArray(KeySample[]::new)));
    assertThat(decide(view))
        .singleElement()
        .isInstanceOfSatisfying(
            Split.class,
            s ->
                assertThat(s.splitAt())
                    .isEqualTo(
                        ByteString.copyFrom(
                            expected, java.nio.charset.StandardCharsets.ISO_8859_1)));
  }

  @Test
  void rangeLoadSplitsCutAtTheLoadWeightedMedian() {
    var view =
        ClusterView.builder()
            .keyspace(keyspace(1, Partitioning.RANGE, LIMITS))
            .shard(shard(1, 1, ByteString.EMPTY, ByteString.EMPTY))
            .stats(
                stats(
                    1,
                    50,
                    0,
                    100,
                    sample(utf8("a"), 10),
                    sample(utf8("b"), 10),
                    sample(utf8("c"), 30),
                    sample(utf8("d"), 10)));
    assertThat(decide(view))
        .singleElement()
        .isInstanceOfSatisfying(Split.class, s -> assertThat(s.splitAt()).isEqualTo(utf8("c")));
  }

  @Test
  void aRangeOfOneHashCannotBeCut() {
    var view =
        ClusterView.builder()
            .keyspace(hashKeyspace(1, LIMITS))
            .shard(
                shard(
                    1,
                    1,
                    io.cleave.placement.internal.RoutingSpace.fromUnsignedLong(5),
                    io.cleave.placement.internal.RoutingSpace.fromUnsignedLong(6)))
            .stats(stats(1, 2, 5000, 0));
    assertThat(decide(view)).isEmpty();
  }

  @Test
  void sameInputSameOutput() {
    var view = hashCluster(LIMITS, 50);
    java.util.Random random = new java.util.Random(7);
    for (int i = 0; i < 50; i++) {
      view.stats(stats(i, random.nextInt(250), 0, random.nextInt(80)));
    }
    ClusterView built = view.build();
    var settings = PlacementSettings.builder().maxConcurrentOperations(10).build();
    assertThat(SplitMergeDecider.decide(built, settings, NOW))
        .isEqualTo(SplitMergeDecider.decide(built, settings, NOW))
        .hasSize(10);
  }
}
