package io.cleave.server.node;

import io.cleave.api.v1.NodeDescriptor;
import io.cleave.internal.v1.HostedReplica;
import io.cleave.internal.v1.NodeHeartbeat;
import io.cleave.internal.v1.NodeServiceGrpc;
import io.cleave.internal.v1.ShardState;
import io.cleave.server.shard.ShardStateMachine;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the meta leader, every interval, that this node lives and what it hosts: each replica's own
 * descriptor (newer than the map's after a split or merge), whether it leads, and the leader's
 * statistics. A node that is not yet in the map registers itself this way.
 */
public final class HeartbeatSender {
  private static final Logger LOG = LoggerFactory.getLogger(HeartbeatSender.class);

  private final CleaveNode node;
  private final PlacementLoop loop;

  public HeartbeatSender(CleaveNode node, PlacementLoop loop) {
    this.node = node;
    this.loop = loop;
  }

  public NodeHeartbeat build() {
    NodeHeartbeat.Builder heartbeat =
        NodeHeartbeat.newBuilder()
            .setNode(
                NodeDescriptor.newBuilder()
                    .setNodeId(node.nodeId())
                    .setClientAddress(node.config().self().clientAddress())
                    .setRaftAddress(node.config().self().raftAddress())
                    .setAlive(true));
    long now = System.currentTimeMillis();
    for (ShardStateMachine replica : node.localReplicas()) {
      ShardState state = replica.state();
      if (state == null) {
        continue;
      }
      boolean leader = node.isLeader(replica.shardId());
      long applied =
          replica.getLastAppliedTermIndex() == null
              ? -1
              : replica.getLastAppliedTermIndex().getIndex();
      HostedReplica.Builder hosted =
          HostedReplica.newBuilder()
              .setShard(state.getShard())
              .setLeader(leader)
              .setRetired(state.getRetired())
              .setFrozen(state.getFrozen())
              .setAppliedIndex(Math.max(0, applied))
              .setTerm(
                  node.division(replica.shardId())
                      .map(d -> d.getInfo().getCurrentTerm())
                      .orElse(0L));
      if (leader && replica.stats().countedFor(state.getShard())) {
        hosted.setStats(replica.stats().snapshot(replica.shardId(), Math.max(0, applied), now));
      }
      heartbeat.addReplicas(hosted);
    }
    // Replicas being removed still report until their data is gone, so the meta leader does not
    // forget a keyspace while a node still holds its keys.
    for (ShardState removing : node.replicasBeingRemoved()) {
      heartbeat.addReplicas(
          HostedReplica.newBuilder().setShard(removing.getShard()).setRetired(true));
    }
    return heartbeat.build();
  }

  /** Sends one heartbeat; failures are logged and the next round tries again. */
  public void send() {
    // Keep the node's copy of the cluster map fresh: routing errors hand it to clients.
    node.readMap();
    NodeHeartbeat heartbeat = build();
    if (node.isMetaLeader()) {
      loop.onHeartbeat(heartbeat);
      return;
    }
    String leader = node.metaLeaderId();
    if (leader == null) {
      // Nobody known yet: a read through the meta client finds the leader.
      node.readMap();
      return;
    }
    node.clientAddress(leader)
        .ifPresent(
            address -> {
              try {
                NodeServiceGrpc.newBlockingStub(node.channelTo(address))
                    .withDeadlineAfter(2, TimeUnit.SECONDS)
                    .withWaitForReady()
                    .heartbeat(heartbeat);
              } catch (RuntimeException e) {
                LOG.debug("heartbeat to {} failed: {}", leader, e.getMessage());
                node.readMap();
              }
            });
  }
}
