package io.cleave.testing.chaos;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.cleave.testing.NetnsNetwork;
import java.util.EnumSet;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Register workload while network partitions come and go: each node runs in its own network
 * namespace ({@link NetnsNetwork}) and iptables rules cut a shard leader off from its peers (while
 * clients can still reach it), a node off from everyone, or one link between two nodes. A leader
 * cut off from its majority must stop answering before a new leader accepts writes. Skipped unless
 * root with iproute2 and iptables ({@code apt-get install -y iptables}).
 */
class PartitionChaosIT {
  @Test
  void linearizableUnderPartitions() throws Exception {
    assumeTrue(ChaosSuite.extended(), ChaosSuite.NOT_EXTENDED);
    Optional<String> why = NetnsNetwork.unavailableReason();
    assumeTrue(why.isEmpty(), () -> "network namespaces unavailable: " + why.orElse(""));
    ChaosRun.of(
            "PartitionChaosIT",
            EnumSet.of(ChaosRun.Fault.PARTITION),
            false,
            ChaosSuite.DEFAULT_DURATION)
        .inNetworkNamespaces()
        .runAndCheck();
  }
}
