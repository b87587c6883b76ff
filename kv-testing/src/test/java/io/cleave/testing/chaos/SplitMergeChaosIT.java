package io.cleave.testing.chaos;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.EnumSet;
import org.junit.jupiter.api.Test;

/**
 * Register workload under kill -9, SIGSTOP and manual splits and merges of the keyspace's shards on
 * a schedule: keys move between Raft groups while nodes crash and freeze. Split and merge failures
 * (FAILED_PRECONDITION, UNAVAILABLE while a node is down) are counted, not fatal; the history must
 * still be linearizable.
 */
class SplitMergeChaosIT {
  @Test
  void linearizableUnderFaultsWithSplitsAndMerges() throws Exception {
    assumeTrue(ChaosSuite.extended(), ChaosSuite.NOT_EXTENDED);
    ChaosRun.of(
            "SplitMergeChaosIT",
            EnumSet.of(ChaosRun.Fault.KILL, ChaosRun.Fault.PAUSE),
            true,
            ChaosSuite.DEFAULT_DURATION)
        .runAndCheck();
  }
}
