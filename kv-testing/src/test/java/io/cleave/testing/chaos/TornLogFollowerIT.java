package io.cleave.testing.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.cleave.client.CleaveClient;
import io.cleave.client.KeyspaceOptions;
import io.cleave.internal.v1.HostedReplica;
import io.cleave.testing.ProcessCluster;
import io.cleave.testing.RaftSegmentTail;
import java.time.Duration;
import java.util.Optional;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Regression test for a follower left behind for good after it lost the tail of its Raft log (found
 * by {@link LogTruncationChaosIT}). The meta shard's leader had recorded, as Ratis 3.3.0 does, that
 * the follower matched its last entries; after the follower came back without them, every heartbeat
 * got an INCONSISTENCY reply and the leader never resent them (it does not move a follower's next
 * index below its recorded match index). The placement loop's remedy, a new leader term, did not
 * cover the meta shard, which is not in the cluster map.
 */
class TornLogFollowerIT {
  @Test
  void aMetaFollowerThatLostAcknowledgedEntriesCatchesUp() throws Exception {
    try (ProcessCluster cluster = ProcessCluster.start(3)) {
      CleaveClient admin = cluster.client();
      // Meta entries: a keyspace with its shards, on every replica.
      admin.blocking().admin().registerKeyspace("torn", KeyspaceOptions.builder().build());
      cluster.awaitReplicasCaughtUp(Duration.ofSeconds(30));
      int follower =
          IntStream.range(0, cluster.size())
              .filter(i -> metaReplica(cluster, i).map(r -> !r.getLeader()).orElse(false))
              .findFirst()
              .orElseThrow();
      long appliedBefore = metaReplica(cluster, follower).orElseThrow().getAppliedIndex();

      cluster.kill(follower);
      RaftSegmentTail.Tear tear =
          cluster.dropLastRaftLogRecords(follower, 0, 2).orElseThrow(); // acknowledged entries
      System.out.println("meta follower " + cluster.nodeId(follower) + ": " + tear);
      cluster.restart(follower);
      cluster.awaitReady();

      // Without a remedy the follower stays at appliedBefore - 2 (or below) for good.
      cluster.awaitReplicasCaughtUp(Duration.ofSeconds(60));
      assertThat(metaReplica(cluster, follower).orElseThrow().getAppliedIndex())
          .isGreaterThanOrEqualTo(appliedBefore);
      String logs =
          IntStream.range(0, cluster.size())
              .mapToObj(i -> ProcessCluster.tail(cluster.logFile(i), 2000))
              .reduce("", String::concat);
      System.out.println(
          "placement loop restarted replication: "
              + logs.contains("stuck at")
              + " (Ratis INCONSISTENCY replies seen: "
              + logs.contains("INCONSISTENCY")
              + ")");
    }
  }

  private static Optional<HostedReplica> metaReplica(ProcessCluster cluster, int index) {
    return cluster.replicasOn(index).getReplicasList().stream()
        .filter(r -> r.getShard().getShardId() == 0)
        .findFirst();
  }
}
