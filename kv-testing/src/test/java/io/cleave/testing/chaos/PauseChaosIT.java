package io.cleave.testing.chaos;

import java.util.EnumSet;
import org.junit.jupiter.api.Test;

/**
 * Register workload while a random node is frozen with SIGSTOP for a few seconds at a time (a long
 * GC pause or a stalled VM: sockets stay open, nothing answers). A paused leader must not serve
 * stale or lost data once it resumes.
 */
class PauseChaosIT {
  @Test
  void linearizableUnderPauses() throws Exception {
    ChaosRun.of("PauseChaosIT", EnumSet.of(ChaosRun.Fault.PAUSE), true, ChaosSuite.DEFAULT_DURATION)
        .runAndCheck();
  }
}
