package io.cleave.testing.chaos;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.cleave.testing.ClockSkew;
import io.cleave.testing.NetnsNetwork;
import java.util.EnumSet;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Register workload with node n1's clocks running twice as fast as real time (libfaketime {@code
 * FAKETIME="+0 x2"}, wall and monotonic; {@link ClockSkew}), under partitions and pauses. Raft
 * timers and the leader lease are measured on each node's own clock: n1's election timeout and
 * lease end after half the real time, so n1 calls elections early, and reads served from a lease
 * are exactly what clock-rate skew could make stale. Partitions need network namespaces; without
 * them the run uses pauses only. Skipped unless libfaketime is installed ({@code apt-get install -y
 * faketime}).
 */
class ClockSkewChaosIT {
  static final String SPEC = System.getProperty("chaos.faketime", "+0 x2");

  @Test
  void linearizableWithOneFastClock() throws Exception {
    assumeTrue(
        ClockSkew.library().isPresent(),
        "libfaketime is not installed (apt-get install -y faketime)");
    Optional<String> noNetns = NetnsNetwork.unavailableReason();
    ChaosRun run =
        ChaosRun.of(
                "ClockSkewChaosIT",
                noNetns.isEmpty()
                    ? EnumSet.of(ChaosRun.Fault.PARTITION, ChaosRun.Fault.PAUSE)
                    : EnumSet.of(ChaosRun.Fault.PAUSE),
                false,
                ChaosSuite.DEFAULT_DURATION)
            .withClock(0, SPEC);
    if (noNetns.isEmpty()) {
      run.inNetworkNamespaces();
    } else {
      System.out.println("no partitions, network namespaces unavailable: " + noNetns.get());
    }
    run.runAndCheck();
  }
}
