package io.cleave.testing.chaos;

import java.time.Duration;

/** Settings shared by the chaos scenarios. */
final class ChaosSuite {
  /**
   * Fault time per scenario when neither {@code -Dchaos.seconds} nor {@code -Dchaos.minutes} is
   * given: the 2 minutes, for every scenario. Each also spends 20-40 s starting, healing
   * and checking, so the seven scenarios take about 17 minutes on a 2-core machine; pass {@code
   * -Dchaos.seconds=45} for a quicker pass.
   */
  static final Duration DEFAULT_DURATION = Duration.ofSeconds(120);

  /**
   * Whether a run fails when the cluster map's shards do not tile the keyspace after healing. On
   * since the merged-shard resurrection fix (commit 7d83a69, {@link MergedShardMapIT}); turn off
   * only to get a run past a known map bug, the summary still reports the tiling.
   */
  static final boolean ASSERT_SHARD_MAP_TILES = true;

  private ChaosSuite() {}
}
