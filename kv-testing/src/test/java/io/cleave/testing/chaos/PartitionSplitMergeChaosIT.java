package io.cleave.testing.chaos;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.cleave.testing.NetnsNetwork;
import java.util.EnumSet;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Register workload under partitions, kill -9 and SIGSTOP mixed, with manual splits and merges on
 * their own schedule: keys move between Raft groups while links are cut (a split or merge may be
 * driven by a leader about to lose its majority). Split and merge failures are counted, not fatal.
 * Skipped unless root with iproute2 and iptables.
 */
class PartitionSplitMergeChaosIT {
  @Test
  void linearizableUnderPartitionsWithSplitsAndMerges() throws Exception {
    Optional<String> why = NetnsNetwork.unavailableReason();
    assumeTrue(why.isEmpty(), () -> "network namespaces unavailable: " + why.orElse(""));
    ChaosRun.of(
            "PartitionSplitMergeChaosIT",
            EnumSet.of(ChaosRun.Fault.PARTITION, ChaosRun.Fault.KILL, ChaosRun.Fault.PAUSE),
            true,
            ChaosSuite.DEFAULT_DURATION)
        .inNetworkNamespaces()
        .runAndCheck();
  }
}
