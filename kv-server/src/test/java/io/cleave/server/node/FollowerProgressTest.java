package io.cleave.server.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FollowerProgressTest {
  private static final long SHARD = 7;
  private final FollowerProgress progress = new FollowerProgress();
  private final Map<Long, String> leaders = Map.of(SHARD, "n1");

  private FollowerProgress.Round report(long now, Map<String, Long> applied) {
    return progress.update(Map.of(SHARD, applied), leaders, now);
  }

  @Test
  void aFollowerBehindAndNotMovingLagsAfterThreeSecondsAndIsStuckAfterFifteen() {
    report(0, Map.of("n1", 50L, "n2", 10L, "n3", 50L));
    assertThat(report(2_000, Map.of("n1", 52L, "n2", 10L, "n3", 52L)).lagging()).isEmpty();

    FollowerProgress.Round lagging = report(3_000, Map.of("n1", 53L, "n2", 10L, "n3", 53L));
    assertThat(lagging.lagging()).containsExactly(SHARD + "/n2");
    assertThat(lagging.stuck()).isEmpty();

    FollowerProgress.Round stuck = report(15_000, Map.of("n1", 60L, "n2", 10L, "n3", 60L));
    assertThat(stuck.stuck()).isEqualTo(Map.of(SHARD, Set.of("n2")));
  }

  @Test
  void aFollowerThatMovesIsNeverStuck() {
    for (long t = 0; t <= 30_000; t += 1_000) {
      FollowerProgress.Round round =
          report(t, Map.of("n1", 1_000 + t, "n2", t / 1_000, "n3", 1_000 + t));
      assertThat(round.stuck()).isEmpty();
      assertThat(round.lagging()).isEmpty();
    }
  }

  @Test
  void aFollowerBackFromAnOutageStartsAFreshClock() {
    report(0, Map.of("n1", 50L, "n2", 50L, "n3", 50L));
    // n2 is down for 20 s (no fresh heartbeat) while the shard moves on.
    for (long t = 1_000; t < 21_000; t += 1_000) {
      report(t, Map.of("n1", 50 + t / 100, "n3", 50 + t / 100));
    }
    // Back, still at the index it stopped at: news, not an index unmoved for 21 s.
    FollowerProgress.Round back = report(21_000, Map.of("n1", 300L, "n2", 50L, "n3", 300L));
    assertThat(back.stuck()).isEmpty();
    assertThat(back.lagging()).isEmpty();
    // If it then really does not move, the usual thresholds apply from its return.
    assertThat(report(24_000, Map.of("n1", 310L, "n2", 50L, "n3", 310L)).lagging())
        .containsExactly(SHARD + "/n2");
    assertThat(report(36_000, Map.of("n1", 320L, "n2", 50L, "n3", 320L)).stuck())
        .isEqualTo(Map.of(SHARD, Set.of("n2")));
  }

  @Test
  void followersAtMostTwoEntriesBehindAnIdleLeaderAreNeverStuck() {
    report(0, Map.of("n1", 12L, "n2", 10L, "n3", 10L));
    FollowerProgress.Round round = report(60_000, Map.of("n1", 12L, "n2", 10L, "n3", 10L));
    assertThat(round.stuck()).isEmpty();
    assertThat(round.lagging()).isEmpty();
    // Three behind is more than an idle shard explains.
    report(61_000, Map.of("n1", 13L, "n2", 10L, "n3", 13L));
    assertThat(report(76_000, Map.of("n1", 13L, "n2", 10L, "n3", 13L)).stuck())
        .isEqualTo(Map.of(SHARD, Set.of("n2")));
  }

  @Test
  void aRestartedReplicationGetsAFreshClock() {
    report(0, Map.of("n1", 50L, "n2", 10L));
    assertThat(report(15_000, Map.of("n1", 60L, "n2", 10L)).stuck()).containsKey(SHARD);
    progress.restarted(SHARD, Set.of("n2"), 15_000);
    assertThat(report(16_000, Map.of("n1", 61L, "n2", 10L)).stuck()).isEmpty();
  }
}
