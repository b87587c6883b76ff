package io.cleave.client.internal;

import io.cleave.api.RoutingKeys;
import io.cleave.api.v1.Replica;
import io.cleave.api.v1.RouteHint;
import io.cleave.api.v1.ShardDescriptor;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * A cached shard: its descriptor (immutable; a split or merge brings a new route) plus what the
 * client learned since about who leads it. Leader knowledge changes far more often than ranges, so
 * it is kept here, mutable, rather than by replacing the descriptor.
 */
public final class ShardRoute {
  private final ShardDescriptor descriptor;
  private volatile String leaderNodeId;
  // Set from a NOT_LEADER hint: the node may be newer than the cached node list.
  private volatile String leaderAddress;
  // Where to start among the replicas when the leader is unknown; moves past nodes that failed.
  private final AtomicInteger cursor = new AtomicInteger();
  // Where the next read that any replica may answer goes.
  private final AtomicInteger readCursor = new AtomicInteger();

  /** A route for {@code descriptor}, trusting its leader hint until a node says otherwise. */
  public ShardRoute(ShardDescriptor descriptor) {
    this.descriptor = descriptor;
    this.leaderNodeId = descriptor.getLeaderNodeId();
    this.leaderAddress = "";
  }

  /** Where a node should go, and which node it is, for reporting failures back. */
  public record Target(String nodeId, String address) {}

  public ShardDescriptor descriptor() {
    return descriptor;
  }

  public long shardId() {
    return descriptor.getShardId();
  }

  public long epoch() {
    return descriptor.getEpoch();
  }

  /** The route hint every request carries, so a node can detect that the cache is stale. */
  public RouteHint hint() {
    return RouteHint.newBuilder().setShardId(shardId()).setEpoch(epoch()).build();
  }

  /** Whether {@code routingKey} lies in this shard's range (unsigned order, empty end = open). */
  public boolean contains(byte[] routingKey) {
    return RoutingKeys.inRange(
        routingKey, descriptor.getStart().toByteArray(), descriptor.getEnd().toByteArray());
  }

  /** Whether this shard's range and {@code other}'s intersect. */
  public boolean overlaps(ShardDescriptor other) {
    return startsBeforeEnd(descriptor, other) && startsBeforeEnd(other, descriptor);
  }

  private static boolean startsBeforeEnd(ShardDescriptor a, ShardDescriptor b) {
    return b.getEnd().isEmpty()
        || RoutingKeys.compare(a.getStart().toByteArray(), b.getEnd().toByteArray()) < 0;
  }

  /** A node named the leader (NOT_LEADER hint): go there next. */
  public void leaderIs(String nodeId, String address) {
    leaderNodeId = nodeId == null ? "" : nodeId;
    leaderAddress = address == null ? "" : address;
  }

  /**
   * {@code failedNodeId} could not serve and named no leader: forget the leader and move the cursor
   * past that node, so the next attempt asks another replica.
   */
  public void leaderUnknown(String failedNodeId) {
    if (failedNodeId.equals(leaderNodeId)) {
      leaderNodeId = "";
      leaderAddress = "";
    }
    List<Replica> replicas = descriptor.getReplicasList();
    for (int i = 0; i < replicas.size(); i++) {
      if (replicas.get(i).getNodeId().equals(failedNodeId)) {
        cursor.set(i + 1);
        return;
      }
    }
    cursor.incrementAndGet();
  }

  /**
   * Picks the node to send to: the leader when known and not marked down, else the replicas from
   * the cursor on, skipping down ones; a down node is still chosen when it is all there is, because
   * the mark is a guess and the deadline bounds the cost.
   *
   * @param addressOf node id to client address, or null when the node is unknown
   * @param down whether an address failed recently
   * @return the target, or null when no replica has a known address (reload the map)
   */
  public Target target(Function<String, String> addressOf, Predicate<String> down) {
    String leader = leaderNodeId;
    if (!leader.isEmpty()) {
      String address = leaderAddress.isEmpty() ? addressOf.apply(leader) : leaderAddress;
      if (address != null && !down.test(address)) {
        return new Target(leader, address);
      }
    }
    List<Replica> replicas = descriptor.getReplicasList();
    Target fallback = null;
    int start = Math.floorMod(cursor.get(), Math.max(1, replicas.size()));
    for (int i = 0; i < replicas.size(); i++) {
      String nodeId = replicas.get((start + i) % replicas.size()).getNodeId();
      String address = addressOf.apply(nodeId);
      if (address == null) {
        continue;
      }
      if (!down.test(address)) {
        return new Target(nodeId, address);
      }
      if (fallback == null) {
        fallback = new Target(nodeId, address);
      }
    }
    return fallback;
  }

  /**
   * Picks the node for a read any replica may answer (a stale read): the replicas in turn, skipping
   * nodes marked down, so these reads spread over every node instead of queueing at the leader.
   * Falls back to {@link #target} when no replica has a known address that is up.
   */
  public Target anyReplica(Function<String, String> addressOf, Predicate<String> down) {
    List<Replica> replicas = descriptor.getReplicasList();
    int start = Math.floorMod(readCursor.getAndIncrement(), Math.max(1, replicas.size()));
    for (int i = 0; i < replicas.size(); i++) {
      String nodeId = replicas.get((start + i) % replicas.size()).getNodeId();
      String address = addressOf.apply(nodeId);
      if (address != null && !down.test(address)) {
        return new Target(nodeId, address);
      }
    }
    return target(addressOf, down);
  }

  @Override
  public String toString() {
    return "shard " + shardId() + "@" + epoch() + " leader=" + leaderNodeId;
  }
}
