package io.cleave.placement.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.cleave.api.v1.SplitMergePolicy;
import io.cleave.placement.PlacementSettings;
import io.cleave.placement.sim.PlacementSimulator.Config;
import io.cleave.placement.sim.PlacementSimulator.Result;
import io.cleave.placement.sim.SimKeyspace.Level;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Steady workloads that hover around a threshold, with every shard's stats jittering ±5% each round
 * for 400 rounds (more than an hour of 10 s rounds), never split a range and merge it back, or
 * merge one and split it again: the flap window here is forever.
 */
class HysteresisTest {
  private static final double NOISE = 0.05;
  private static final long LIMIT = 1_000;

  @ParameterizedTest(name = "merge_threshold_ratio {0} (effective {1})")
  @CsvSource({"0, 0.5", "0.3, 0.3", "0.5, 0.5", "0.7, 0.7"})
  void steadyWorkloadsNearAThresholdNeverFlap(double mergeRatio, double effective) {
    SplitMergePolicy keys =
        SplitMergePolicy.newBuilder()
            .setMaxShards(10_000)
            .setMaxKeysPerShard(LIMIT)
            .setMergeThresholdRatio(mergeRatio)
            .build();
    SplitMergePolicy load =
        keys.toBuilder().setMaxKeysPerShard(1_000_000).setMaxLoadPerShard(LIMIT).build();
    List<SimKeyspace> keyspaces =
        List.of(
            // One shard right at the split threshold.
            SimKeyspace.hash(1, keys, 1, r -> keysLevel(LIMIT)),
            // Sixteen shards right at the split threshold.
            SimKeyspace.hash(2, keys, 16, r -> keysLevel(16 * LIMIT)),
            // Pairs whose sum sits right at the merge threshold.
            SimKeyspace.hash(3, keys, 16, r -> keysLevel(8 * effective * LIMIT)),
            // RANGE shards at the split threshold: cuts come from samples, not the midpoint.
            SimKeyspace.range(4, keys, 4, r -> keysLevel(4 * LIMIT)),
            // Load at the split threshold, from Zipf hot keys and a uniform part.
            SimKeyspace.hash(5, load, 4, r -> new Level(40_000, 0.05, 4 * LIMIT - 2_000))
                .withZipfHotKeys(200, 0.8, 0, 5),
            // Load pairs at the merge threshold.
            SimKeyspace.hash(
                6, load, 16, r -> new Level(40_000, 8 * effective * LIMIT / 40_000, 0)));
    Config config =
        new Config(
            "hysteresis-" + effective,
            keyspaces,
            20,
            PlacementSettings.builder().maxConcurrentOperations(4).build(),
            10_000,
            400,
            10,
            NOISE,
            Long.MAX_VALUE,
            false,
            7);
    Result r = new PlacementSimulator(config).run();
    System.out.println(r.summary());
    assertThat(r.violations()).isEmpty();
    assertThat(r.flaps()).isZero();
    assertThat(r.splits() + r.merges()).as("operations").isPositive().isLessThan(100);
  }

  /** The detector is not vacuous: a workload that really swings back and forth does flap. */
  @Test
  void aSwingingWorkloadIsSeenAsFlapping() {
    SplitMergePolicy keys =
        SplitMergePolicy.newBuilder().setMaxShards(100).setMaxKeysPerShard(LIMIT).build();
    List<SimKeyspace> keyspaces =
        List.of(SimKeyspace.hash(1, keys, 1, r -> keysLevel(r % 20 < 10 ? 1.5 * LIMIT : 100)));
    Config config =
        new Config(
            "swinging",
            keyspaces,
            3,
            PlacementSettings.defaults(),
            10_000,
            100,
            10,
            0,
            Long.MAX_VALUE,
            false,
            7);
    Result r = new PlacementSimulator(config).run();
    System.out.println(r.summary());
    assertThat(r.flaps()).isPositive();
  }

  private static Level keysLevel(double keys) {
    return new Level(keys, 0.001, 0);
  }
}
