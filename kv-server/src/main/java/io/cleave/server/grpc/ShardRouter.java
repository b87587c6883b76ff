package io.cleave.server.grpc;

import io.cleave.api.Limits;
import io.cleave.api.RoutingKeys;
import io.cleave.api.v1.KeyspaceDescriptor;
import io.cleave.api.v1.Partitioning;
import io.cleave.api.v1.ShardDescriptor;
import io.cleave.api.v1.ShardError;
import io.cleave.internal.v1.ClusterMap;
import io.cleave.internal.v1.ShardState;
import io.cleave.server.node.CleaveNode;
import io.cleave.server.shard.ShardStateMachine;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Finds the local replica that owns a key, or says precisely why this node cannot serve it: the
 * keyspace does not exist (NOT_FOUND), another node holds the shard (SHARD_NOT_FOUND with the
 * cluster map's descriptor), or this replica does not lead (NOT_LEADER with the leader).
 */
final class ShardRouter {
  static final long MAP_READ_TIMEOUT_SECONDS = 5;

  private static final CompletableFuture<Void> KNOWN = CompletableFuture.completedFuture(null);

  private final CleaveNode node;

  ShardRouter(CleaveNode node) {
    this.node = node;
  }

  /** The local replica owning {@code key}, leader or not. */
  ShardStateMachine replicaFor(String keyspace, byte[] key) {
    validateKey(key);
    return ownerOf(keyspace(keyspace), key);
  }

  private ShardStateMachine ownerOf(KeyspaceDescriptor ks, byte[] key) {
    for (ShardStateMachine replica : node.localReplicas()) {
      ShardState state = replica.state();
      if (state != null
          && !state.getRetired()
          && state.getShard().getKeyspaceId() == ks.getId()
          && replica.owns(key)) {
        return replica;
      }
    }
    throw notHere(ks, key);
  }

  /**
   * The local replica owning the first key of a scan ({@code start}, empty for the keyspace's first
   * key), leader or not. Only RANGE keyspaces keep keys in key order; any node refuses a scan of a
   * HASH keyspace the same way, before routing.
   */
  ShardStateMachine replicaForScan(String keyspace, byte[] start) {
    KeyspaceDescriptor ks = keyspace(keyspace);
    if (ks.getPartitioning() != Partitioning.RANGE) {
      throw GrpcErrors.failedPrecondition(ShardStateMachine.notScannable(keyspace));
    }
    return ownerOf(ks, start);
  }

  /**
   * The keyspace named {@code name}, by this node's cached cluster map (call {@link #refreshFor}
   * first): replicas are matched by keyspace id, so a keyspace re-created under an old name is
   * never served by the old one's replicas.
   */
  KeyspaceDescriptor keyspace(String name) {
    validateKeyspaceName(name);
    return keyspace(node.cachedMap(), name)
        .orElseThrow(() -> GrpcErrors.notFound("keyspace '" + name + "' does not exist"));
  }

  /**
   * Completes once this node's cached cluster map is as fresh as routing a call to keyspace {@code
   * name} needs: at once when the map knows the keyspace; otherwise after reading the map afresh
   * (at most {@link #MAP_READ_TIMEOUT_SECONDS} s; on failure the cached map stands), since the
   * cached copy may predate a keyspace just created. Never fails and never blocks its caller: the
   * data service's handlers run on a pool of a few threads (docs/design/0009), where a thread
   * waiting seconds for the meta shard would stall every other call.
   */
  CompletableFuture<Void> refreshFor(String name) {
    if (keyspace(node.cachedMap(), name).isPresent()) {
      return KNOWN;
    }
    return node.readMap()
        .orTimeout(MAP_READ_TIMEOUT_SECONDS, TimeUnit.SECONDS)
        .handle((map, failure) -> null);
  }

  /** The value type of a keyspace; lets every node validate input before routing it. */
  String valueType(String keyspace) {
    return keyspace(keyspace).getValueType();
  }

  /** The local replica owning {@code key}, which must lead its shard. */
  ShardStateMachine leaderFor(String keyspace, byte[] key) {
    ShardStateMachine replica = replicaFor(keyspace, key);
    requireLeader(replica);
    return replica;
  }

  void requireLeader(ShardStateMachine replica) {
    if (node.isLeader(replica.shardId())) {
      return;
    }
    String leader = node.leaderOf(replica.shardId());
    ShardError.Builder error =
        ShardError.newBuilder()
            .setCode(ShardError.Code.NOT_LEADER)
            .setShardId(replica.shardId())
            .addCurrentShards(replica.state().getShard());
    if (leader != null && !leader.equals(node.nodeId())) {
      error.setLeaderNodeId(leader);
      node.clientAddress(leader).ifPresent(error::setLeaderAddress);
    }
    throw GrpcErrors.shardError(
        error.build(), "node " + node.nodeId() + " does not lead shard " + replica.shardId());
  }

  private RuntimeException notHere(KeyspaceDescriptor ks, byte[] key) {
    byte[] routingKey = RoutingKeys.routingKey(ks.getPartitioning(), key);
    ShardError.Builder error = ShardError.newBuilder().setCode(ShardError.Code.SHARD_NOT_FOUND);
    for (ShardDescriptor shard : node.cachedMap().getShardsList()) {
      if (shard.getKeyspaceId() == ks.getId()
          && RoutingKeys.inRange(
              routingKey, shard.getStart().toByteArray(), shard.getEnd().toByteArray())) {
        error.addCurrentShards(shard).setShardId(shard.getShardId());
        if (!shard.getLeaderNodeId().isEmpty()) {
          error.setLeaderNodeId(shard.getLeaderNodeId());
          node.clientAddress(shard.getLeaderNodeId()).ifPresent(error::setLeaderAddress);
        }
      }
    }
    return GrpcErrors.shardError(
        error.build(),
        "node " + node.nodeId() + " has no replica for this key of keyspace " + ks.getName());
  }

  private static Optional<KeyspaceDescriptor> keyspace(ClusterMap map, String name) {
    return map.getKeyspacesList().stream()
        .filter(k -> k.getName().equals(name) && !k.getDeleting())
        .findFirst();
  }

  static void validateKeyspaceName(String keyspace) {
    if (keyspace.isEmpty()) {
      throw GrpcErrors.invalidArgument("keyspace name is empty");
    }
    if (keyspace.startsWith("__")) {
      throw GrpcErrors.invalidArgument("keyspace names starting with __ are reserved: " + keyspace);
    }
  }

  static void validateKey(byte[] key) {
    if (key.length == 0) {
      throw GrpcErrors.invalidArgument("key is empty");
    }
    if (key.length > Limits.MAX_KEY_BYTES) {
      throw GrpcErrors.invalidArgument(
          "key is " + key.length + " bytes; the limit is " + Limits.MAX_KEY_BYTES);
    }
  }

  /**
   * A scan's start or end: empty (unbounded) or a key, or a resume key, which is a key with one
   * more byte.
   */
  static void validateScanBound(byte[] bound, String what) {
    if (bound.length > Limits.MAX_KEY_BYTES + 1) {
      throw GrpcErrors.invalidArgument(
          "scan "
              + what
              + " is "
              + bound.length
              + " bytes; the limit is "
              + (Limits.MAX_KEY_BYTES + 1));
    }
  }

  void validateValue(int length, String what) {
    int limit = node.config().maxValueBytes();
    if (length > limit) {
      throw GrpcErrors.invalidArgument(what + " is " + length + " bytes; the limit is " + limit);
    }
  }
}
