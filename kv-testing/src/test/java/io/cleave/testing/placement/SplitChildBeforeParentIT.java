package io.cleave.testing.placement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.cleave.api.v1.DescribeKeyspaceResponse;
import io.cleave.api.v1.ShardDescriptor;
import io.cleave.client.CleaveClient;
import io.cleave.client.KeyspaceOptions;
import io.cleave.internal.v1.EnsureReplicaRequest;
import io.cleave.internal.v1.NodeServiceGrpc;
import io.cleave.internal.v1.ShardState;
import io.cleave.testing.ProcessCluster;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Regression test for lost writes found by LogTruncationChaosIT: the placement loop created a
 * node's replica of a new split child while that node's replica of the parent had not applied the
 * split yet (it was catching up after a restart). Both share the node's store, so the parent's
 * replay of entries older than the split overwrote what the child had applied since, and the node
 * served old values once it led. A node must refuse a replica whose range a live local replica of
 * an older epoch still owns; the parent starts the child when it applies the split.
 */
class SplitChildBeforeParentIT {
  @Test
  void aNodeRefusesASplitChildWhileItsParentStillOwnsTheRange() throws Exception {
    try (ProcessCluster cluster = ProcessCluster.start(3)) {
      CleaveClient admin = cluster.client();
      admin
          .blocking()
          .admin()
          .registerKeyspace("child", KeyspaceOptions.builder().initialShards(1).build());
      DescribeKeyspaceResponse keyspace = admin.blocking().admin().describeKeyspace("child");
      ShardDescriptor parent = keyspace.getShards(0).getShard();
      // What the map holds after a split the node has not applied yet: a child of the next epoch
      // covering the upper half of the parent's range.
      ShardDescriptor child =
          parent.toBuilder()
              .setShardId(parent.getShardId() + 1000)
              .setStart(ByteString.copyFrom(new byte[] {(byte) 0x80}))
              .setEpoch(parent.getEpoch() + 1)
              .clearLeaderNodeId()
              .build();
      EnsureReplicaRequest request =
          EnsureReplicaRequest.newBuilder()
              .setState(
                  ShardState.newBuilder()
                      .setShard(child)
                      .setKeyspaceName("child")
                      .setValueType(keyspace.getKeyspace().getValueType())
                      .setPartitioning(keyspace.getKeyspace().getPartitioning()))
              .addAllPeers(admin.blocking().admin().clusterStatus().getNodesList())
              .build();

      ManagedChannel channel =
          ManagedChannelBuilder.forTarget(cluster.endpoint(0)).usePlaintext().build();
      try {
        assertThatThrownBy(
                () ->
                    NodeServiceGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(10, TimeUnit.SECONDS)
                        .ensureReplica(request))
            .isInstanceOfSatisfying(
                StatusRuntimeException.class,
                e ->
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION));
      } finally {
        channel.shutdownNow();
      }
      assertThat(cluster.replicasOn(0).getReplicasList())
          .noneMatch(r -> r.getShard().getShardId() == child.getShardId());
    }
  }
}
