package io.cleave.placement.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.cleave.api.v1.SplitMergePolicy;
import io.cleave.placement.PlacementSettings;
import io.cleave.placement.sim.PlacementSimulator.Config;
import io.cleave.placement.sim.PlacementSimulator.Result;
import io.cleave.placement.sim.SimKeyspace.Level;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The decider on simulated clusters of 2,000 nodes and 100,000+ shards: uniform, Zipf, growing and
 * shrinking workloads. Rounds are 10 s apart and the cooldown is the default 30 s, so a flap window
 * of ten cooldowns (300 s) catches any range split and merged back by the policy itself.
 */
class PlacementSimulationTest {
  private static final int NODES = 2_000;
  private static final long ROUND_MILLIS = 10_000;
  private static final long FLAP_WINDOW_MILLIS = 10 * 30_000;
  private static final PlacementSettings SETTINGS =
      PlacementSettings.builder().maxConcurrentOperations(2_000).build();

  private static SplitMergePolicy.Builder keysPolicy(long maxKeys) {
    return SplitMergePolicy.newBuilder()
        .setMaxShards(1_000_000)
        .setMinShards(1)
        .setMaxKeysPerShard(maxKeys)
        .setMaxSizePerShard(maxKeys * 200); // bytes are 100 a key: size never binds first
  }

  private static Config config(String name, int maxRounds, List<SimKeyspace> keyspaces) {
    return new Config(
        name,
        keyspaces,
        NODES,
        SETTINGS,
        ROUND_MILLIS,
        maxRounds,
        10,
        0,
        FLAP_WINDOW_MILLIS,
        true,
        42);
  }

  private static Result run(Config config) {
    Result r = new PlacementSimulator(config).run();
    System.out.println(r.summary());
    assertThat(r.violations()).as("violations").isEmpty();
    assertThat(r.flaps()).as("flaps").isZero();
    assertThat(r.staleOperations()).as("operations on changed shards").isZero();
    assertThat(r.maxInFlight()).isLessThanOrEqualTo(SETTINGS.maxConcurrentOperations());
    assertThat(r.converged()).as("converged").isTrue();
    assertThat(r.overLimitUnreported()).as("shards left over a limit").isZero();
    return r;
  }

  /**
   * {@code keys} keys, each with a little load: real keys are read and written, and the keys that
   * carry load are the samples a RANGE keyspace's split points come from.
   */
  private static Level steady(double keys) {
    return new Level(keys, 0.001, 0);
  }

  @Test
  void uniformKeyspaceGrowsFromOneShardWhileOthersStayPut() {
    List<SimKeyspace> keyspaces =
        List.of(
            SimKeyspace.hash(1, keysPolicy(10_000).build(), 32_000, r -> steady(32_000 * 7_000.0)),
            SimKeyspace.hash(2, keysPolicy(10_000).build(), 32_000, r -> steady(32_000 * 6_000.0)),
            SimKeyspace.hash(3, keysPolicy(10_000).build(), 32_000, r -> steady(32_000 * 9_000.0)),
            // 4M uniform keys at 1,000 a shard: 12 rounds of halving end at 4,096 shards.
            SimKeyspace.hash(4, keysPolicy(1_000).build(), 1, r -> steady(4_000_000)));
    Result r = run(config("uniform", 300, keyspaces));
    assertThat(r.shardsPerKeyspace()).containsEntry(4, 4_096).containsEntry(1, 32_000);
    assertThat(r.finalShards()).isGreaterThanOrEqualTo(100_000);
    assertThat(r.merges()).isZero();
  }

  @Test
  void zipfLoadIsSplitByLoadAndSingleHotKeysAreReported() {
    SplitMergePolicy loadPolicy = keysPolicy(10_000).setMaxLoadPerShard(1_000).build();
    List<SimKeyspace> keyspaces =
        List.of(
            // 300 load/s spread evenly per shard, plus 2M/s over 10,000 Zipf(1.1) keys: the top
            // few hundred keys each pass the 1,000/s limit on their own.
            SimKeyspace.hash(
                    1, loadPolicy, 40_000, r -> new Level(40_000 * 5_000.0, 0.06, 2_000_000))
                .withZipfHotKeys(10_000, 1.1, 0, 1),
            SimKeyspace.range(
                    2, loadPolicy, 20_000, r -> new Level(20_000 * 5_000.0, 0.06, 500_000))
                .withZipfHotKeys(5_000, 1.0, 20_000 * 5_000L, 2),
            SimKeyspace.hash(3, keysPolicy(10_000).build(), 40_000, r -> steady(40_000 * 7_000.0)));
    Result r = run(config("zipf", 300, keyspaces));
    assertThat(r.hotKeyReports()).isPositive();
    assertThat(r.splits()).isPositive();
    assertThat(r.merges()).isZero();
    assertThat(r.shardsPerKeyspace()).containsEntry(3, 40_000);
  }

  @Test
  void growingWorkloadsSplitUpToMaxShards() {
    List<SimKeyspace> keyspaces =
        List.of(
            // Appends: 50M keys in 10,000 RANGE shards grow by 10M keys every 10 rounds to 100M;
            // every new key lands in the last shard.
            SimKeyspace.range(
                1,
                keysPolicy(10_000).build(),
                10_000,
                r -> steady(50_000_000 + 10_000_000.0 * Math.min(5, r / 10))),
            // Uniform growth: 6,000 keys a shard doubles in four steps.
            SimKeyspace.hash(
                2,
                keysPolicy(10_000).build(),
                40_000,
                r -> steady(40_000 * 6_000.0 * (1 + 0.25 * Math.min(4, r / 10)))),
            // Wants 8,000 shards but may have 5,000.
            SimKeyspace.hash(
                3,
                keysPolicy(10_000).setMaxShards(5_000).build(),
                1_000,
                r -> steady(r < 5 ? 8_000_000 : 64_000_000)));
    Result r = run(config("growing", 400, keyspaces));
    assertThat(r.shardsPerKeyspace()).containsEntry(3, 5_000);
    assertThat(r.shardsPerKeyspace().get(1)).isGreaterThanOrEqualTo(10_000);
    assertThat(r.shardsPerKeyspace().get(2)).isEqualTo(80_000);
    assertThat(r.finalShards()).isGreaterThan(100_000);
    assertThat(r.merges()).isZero();
  }

  @Test
  void shrinkingWorkloadsMergeDownToMinShards() {
    List<SimKeyspace> keyspaces =
        List.of(
            // 80,000 shards at 0.8 of their limit drop to 0.2: neighbours pair up (0.4) and stop.
            SimKeyspace.hash(
                1,
                keysPolicy(10_000).build(),
                80_000,
                r -> steady(80_000 * (r < 3 ? 8_000.0 : 2_000.0))),
            // Almost emptied: merges go on until min_shards.
            SimKeyspace.hash(
                2,
                keysPolicy(10_000).setMinShards(5_000).build(),
                20_000,
                r -> steady(r < 3 ? 20_000 * 7_000.0 : 20_000)));
    Result r = run(config("shrinking", 400, keyspaces));
    assertThat(r.shardsPerKeyspace()).containsEntry(2, 5_000);
    assertThat(r.shardsPerKeyspace().get(1)).isBetween(40_000, 48_000);
    assertThat(r.splits()).isZero();
  }
}
