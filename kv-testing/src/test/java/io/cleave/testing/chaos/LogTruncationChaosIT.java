package io.cleave.testing.chaos;

import java.util.EnumSet;
import org.junit.jupiter.api.Test;

/**
 * Register workload under kill -9 with a torn Raft log tail on the killed node (every group's open
 * segment loses part of its last record or two: lost unsynced writes) while the keyspace splits and
 * merges both on a schedule (admin calls) and on its own (low load thresholds). After each tear the
 * run waits until every replica caught up with its leader before the next fault: a tear can cut an
 * entry the node had acknowledged, which is more than a crash does (docs/reliability.md, failure
 * model).
 */
class LogTruncationChaosIT {
  @Test
  void linearizableWithTornLogTailsSplitsAndMerges() throws Exception {
    ChaosRun.of(
            "LogTruncationChaosIT",
            EnumSet.of(ChaosRun.Fault.KILL_AND_TEAR_LOG),
            true,
            ChaosSuite.DEFAULT_DURATION)
        .withAutomaticSplitsAndMerges()
        .runAndCheck();
  }
}
