package io.cleave.testing.chaos;

import java.time.Duration;

/** Settings shared by the chaos scenarios. */
final class ChaosSuite {
  /**
   * Fault time per scenario when neither {@code -Dchaos.seconds} nor {@code -Dchaos.minutes} is
   * given: the 2 minutes. Each scenario also spends about 20 s starting, healing and
   * checking, so the three scenarios take about 7 minutes on a 2-core machine.
   */
  static final Duration DEFAULT_DURATION = Duration.ofSeconds(120);

  /**
   * Whether a run fails when the cluster map's shards do not tile the keyspace after healing. Off
   * while the merged-shard resurrection bug is open (see {@link MergedShardMapIT}); the summary
   * still reports it. Turn on when that test passes.
   */
  static final boolean ASSERT_SHARD_MAP_TILES = false;

  private ChaosSuite() {}
}
