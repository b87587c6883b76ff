package io.cleave.testing.chaos;

import java.util.EnumSet;
import org.junit.jupiter.api.Test;

/**
 * Register workload under kill -9 and restart of a random node every few seconds, while shards are
 * split and merged on a schedule; the history must be linearizable and no acknowledged write may be
 * lost.
 */
class KillChaosIT {
  @Test
  void linearizableUnderKillAndRestart() throws Exception {
    ChaosRun.of("KillChaosIT", EnumSet.of(ChaosRun.Fault.KILL), true, ChaosSuite.DEFAULT_DURATION)
        .runAndCheck();
  }
}
