package io.cleave.testing.chaos;

import java.util.EnumSet;
import org.junit.jupiter.api.Test;

/**
 * Register workload under kill -9 and restart of a random node every few seconds; the history must
 * be linearizable and no acknowledged write may be lost. {@code -Dchaos.seconds=120} for the
 * issue's 2-minute run, {@code -Dchaos.minutes=60} for the long one.
 */
class KillChaosIT {
  @Test
  void linearizableUnderKillAndRestart() throws Exception {
    ChaosRun.of("KillChaosIT", EnumSet.of(ChaosRun.Fault.KILL), false, ChaosSuite.DEFAULT_DURATION)
        .runAndCheck();
  }
}
