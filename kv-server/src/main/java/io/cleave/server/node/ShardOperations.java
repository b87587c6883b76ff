package io.cleave.server.node;

import com.google.common.util.concurrent.Striped;
import com.google.protobuf.ByteString;
import io.cleave.api.RoutingKeys;
import io.cleave.api.v1.KeyspaceDescriptor;
import io.cleave.api.v1.MergeShardsResponse;
import io.cleave.api.v1.Partitioning;
import io.cleave.api.v1.Replica;
import io.cleave.api.v1.ShardDescriptor;
import io.cleave.api.v1.SplitShardResponse;
import io.cleave.internal.v1.ClusterMap;
import io.cleave.internal.v1.CommitMerge;
import io.cleave.internal.v1.DescribeReplicasRequest;
import io.cleave.internal.v1.HostedReplica;
import io.cleave.internal.v1.MetaCommand;
import io.cleave.internal.v1.MetaResult;
import io.cleave.internal.v1.NodeServiceGrpc;
import io.cleave.internal.v1.PrepareMerge;
import io.cleave.internal.v1.ProposeRequest;
import io.cleave.internal.v1.ReplaceShards;
import io.cleave.internal.v1.RollbackMerge;
import io.cleave.internal.v1.ShardCommand;
import io.cleave.internal.v1.ShardReply;
import io.cleave.internal.v1.ShardState;
import io.cleave.internal.v1.SplitShard;
import io.cleave.placement.internal.RoutingSpace;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Executes splits and merges, run on the meta leader for the admin API and the automatic policy.
 * The shard's own log decides (split and merge are commands in it); the cluster map is updated
 * afterwards, and heartbeats would correct it if this node died in between.
 */
public final class ShardOperations {
  private static final Logger LOG = LoggerFactory.getLogger(ShardOperations.class);

  /** How long a merge step whose answer was lost is sent again before the merge gives up. */
  static final long MERGE_STEP_RESEND_MILLIS = 120_000;

  private final CleaveNode node;
  private final PlacementLoop loop;

  /**
   * One split or merge at a time per keyspace on this node. The admin API and the automatic policy
   * both run operations here (on the meta leader). Two at once on overlapping shards went wrong: a
   * manual merge of (40, 39) froze 39 while the policy merged 40 into 1, then resent its commit to
   * the vanished shard 40 while 39 stayed frozen and refused writes for 20 s (ShardChurnIT, session
   * 9). Each operation reads the map after taking the lock, so it sees what the one before did.
   * Keyspaces still split and merge side by side (up to lock striping).
   */
  private final Striped<Lock> keyspaceLocks = Striped.lock(64);

  public ShardOperations(CleaveNode node, PlacementLoop loop) {
    this.node = node;
    this.loop = loop;
  }

  /** Splits {@code shardId} at routing key {@code at} (empty: the middle of its range). */
  public SplitShardResponse split(long shardId, ByteString at) {
    return split(shardId, at, -1);
  }

  /**
   * Splits {@code shardId} at {@code at} if its epoch is still {@code expectedEpoch} (-1: any), the
   * check an automatic decision needs because the map may have moved on since it was made.
   */
  public SplitShardResponse split(long shardId, ByteString at, long expectedEpoch) {
    return oneAtATimeInKeyspaceOf(shardId, () -> splitNow(shardId, at, expectedEpoch));
  }

  private <T> T oneAtATimeInKeyspaceOf(long shardId, Supplier<T> operation) {
    int keyspaceId = shard(KeyspaceManager.await(node.readMap()), shardId).getKeyspaceId();
    Lock lock = keyspaceLocks.get(keyspaceId);
    lock.lock();
    try {
      return operation.get();
    } finally {
      lock.unlock();
    }
  }

  private SplitShardResponse splitNow(long shardId, ByteString at, long expectedEpoch) {
    ClusterMap map = KeyspaceManager.await(node.readMap());
    ShardDescriptor shard = shard(map, shardId);
    if (expectedEpoch >= 0 && shard.getEpoch() != expectedEpoch) {
      throw new AdminException(
          AdminException.Kind.FAILED_PRECONDITION,
          "shard " + shardId + " changed since the decision");
    }
    KeyspaceDescriptor keyspace = keyspaceOf(map, shard);
    if (at.isEmpty()) {
      if (keyspace.getPartitioning() == Partitioning.RANGE) {
        throw new AdminException(
            AdminException.Kind.INVALID_ARGUMENT, "a RANGE shard needs an explicit split key");
      }
      at =
          RoutingSpace.hashMidpoint(shard.getStart(), shard.getEnd())
              .orElseThrow(
                  () ->
                      new AdminException(
                          AdminException.Kind.FAILED_PRECONDITION,
                          "shard " + shardId + " is one routing key wide"));
    }
    if (!RoutingKeys.inRange(
            at.toByteArray(), shard.getStart().toByteArray(), shard.getEnd().toByteArray())
        || at.equals(shard.getStart())) {
      throw new AdminException(
          AdminException.Kind.INVALID_ARGUMENT, "split point is not inside shard " + shardId);
    }
    MetaResult reserved =
        KeyspaceManager.await(
            node.proposeMeta(MetaCommand.newBuilder().setReserveShardIds(1).build()));
    long childId = reserved.getMap().getNextShardId() - 1;
    ShardReply reply =
        propose(
            shard,
            ShardCommand.newBuilder()
                .setSplit(
                    SplitShard.newBuilder()
                        .setSplitAt(at)
                        .setChildShardId(childId)
                        .setExpectedEpoch(shard.getEpoch()))
                .build());
    if (!reply.hasState()) {
      throw new AdminException(
          AdminException.Kind.FAILED_PRECONDITION,
          "shard " + shardId + " refused the split: " + reply);
    }
    ShardDescriptor left = reply.getState().getShard();
    ShardDescriptor right =
        left.toBuilder()
            .setShardId(childId)
            .setStart(at)
            .setEnd(shard.getEnd())
            .clearLeaderNodeId()
            .build();
    record(ReplaceShards.newBuilder().addRemove(shard).addAdd(left).addAdd(right).build());
    LOG.info(
        "split shard {} at {} into {} and {}",
        shardId,
        PlacementLoop.range(left),
        shardId,
        childId);
    return SplitShardResponse.newBuilder().setLeft(left).setRight(right).build();
  }

  /** Merges adjacent shards with the same replicas; the left one absorbs the right one. */
  public MergeShardsResponse merge(long leftId, long rightId) {
    return merge(leftId, rightId, -1, -1);
  }

  /** Like {@link #merge(long, long)}, if both shards are still at the given epochs (-1: any). */
  public MergeShardsResponse merge(long leftId, long rightId, long leftEpoch, long rightEpoch) {
    return oneAtATimeInKeyspaceOf(leftId, () -> mergeNow(leftId, rightId, leftEpoch, rightEpoch));
  }

  private MergeShardsResponse mergeNow(long leftId, long rightId, long leftEpoch, long rightEpoch) {
    ClusterMap map = KeyspaceManager.await(node.readMap());
    ShardDescriptor left = shard(map, leftId);
    ShardDescriptor right = shard(map, rightId);
    if ((leftEpoch >= 0 && left.getEpoch() != leftEpoch)
        || (rightEpoch >= 0 && right.getEpoch() != rightEpoch)) {
      throw new AdminException(
          AdminException.Kind.FAILED_PRECONDITION,
          "shards " + leftId + " and " + rightId + " changed since the decision");
    }
    if (left.getKeyspaceId() != right.getKeyspaceId()
        || !left.getEnd().equals(right.getStart())
        || right.getStart().isEmpty()) {
      throw new AdminException(
          AdminException.Kind.FAILED_PRECONDITION,
          "shards "
              + leftId
              + " and "
              + rightId
              + " are not adjacent (left then right) in one keyspace");
    }
    if (!replicaNodes(left).equals(replicaNodes(right))) {
      throw new AdminException(
          AdminException.Kind.FAILED_PRECONDITION,
          "shards " + leftId + " and " + rightId + " have different replica nodes");
    }
    ShardReply prepared =
        proposeUntilAnswered(
            right,
            ShardCommand.newBuilder()
                .setPrepareMerge(
                    PrepareMerge.newBuilder()
                        .setLeftShardId(leftId)
                        .setExpectedEpoch(right.getEpoch()))
                .build());
    if (!prepared.hasState() || !prepared.getState().getFrozen()) {
      throw new AdminException(
          AdminException.Kind.FAILED_PRECONDITION,
          "shard " + rightId + " refused to freeze: " + prepared);
    }
    long frozenSinceNanos = System.nanoTime();
    ShardState frozen = prepared.getState();
    long frozenAt = frozen.getFrozenAtIndex();
    boolean caughtUp =
        KeyspaceManager.waitUntil(() -> everyReplicaApplied(right, frozenAt), 30_000);
    ShardReply committed = null;
    if (caughtUp) {
      committed =
          proposeUntilAnswered(
              left,
              ShardCommand.newBuilder()
                  .setCommitMerge(
                      CommitMerge.newBuilder()
                          .setRight(frozen.getShard())
                          .setRightFrozenIndex(frozenAt)
                          .setExpectedEpoch(left.getEpoch()))
                  .build());
    }
    Optional<ShardDescriptor> mergedShard =
        committed == null ? Optional.empty() : mergedShard(committed, leftId, right);
    if (mergedShard.isEmpty()) {
      // The commit was refused (or never sent), so it can never apply: the left shard's epoch
      // moved on or the shards are no longer adjacent. Thawing the right shard is safe.
      proposeUntilAnswered(
          right,
          ShardCommand.newBuilder()
              .setRollbackMerge(
                  RollbackMerge.newBuilder().setExpectedEpoch(frozen.getShard().getEpoch()))
              .build());
      throw new AdminException(
          AdminException.Kind.UNAVAILABLE,
          "merge of "
              + leftId
              + " and "
              + rightId
              + " rolled back"
              + (caughtUp ? ": " + committed : ": replicas of the right shard did not catch up"));
    }
    ShardDescriptor merged = mergedShard.get();
    record(ReplaceShards.newBuilder().addRemove(left).addRemove(right).addAdd(merged).build());
    LOG.info(
        "merged shard {} into {}: {} (right shard refused writes for {} ms)",
        rightId,
        leftId,
        PlacementLoop.range(merged),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - frozenSinceNanos));
    return MergeShardsResponse.newBuilder().setMerged(merged).build();
  }

  /**
   * The merged shard if the left shard's answer to a CommitMerge shows the merge happened: its new
   * state, or, for a resent commit whose first copy applied (its answer was lost), the refusal's
   * current descriptor of the left shard, which then ends where the right shard ended.
   */
  static Optional<ShardDescriptor> mergedShard(
      ShardReply commitReply, long leftId, ShardDescriptor right) {
    if (commitReply.hasState()) {
      return Optional.of(commitReply.getState().getShard());
    }
    return commitReply.getShardError().getCurrentShardsList().stream()
        .filter(s -> s.getShardId() == leftId && s.getEnd().equals(right.getEnd()))
        .findFirst();
  }

  /**
   * Whether every replica of {@code shard} has applied {@code index}. Each replica's node is asked
   * now (DescribeReplicas) rather than waiting for its next heartbeat: the right shard refuses
   * writes while frozen, and heartbeats a second apart made that window last seconds under load. A
   * node that cannot be asked counts with its last heartbeat.
   */
  private boolean everyReplicaApplied(ShardDescriptor shard, long index) {
    return replicaNodes(shard).stream()
        .allMatch(
            nodeId ->
                applied(
                    askNode(nodeId).orElseGet(() -> loop.hostedReplicas().get(nodeId)),
                    shard,
                    index));
  }

  private static boolean applied(List<HostedReplica> hosted, ShardDescriptor shard, long index) {
    return hosted != null
        && hosted.stream()
            .anyMatch(
                h ->
                    h.getShard().getShardId() == shard.getShardId()
                        && h.getAppliedIndex() >= index);
  }

  /** The replicas {@code nodeId} hosts, as it describes them now; empty if it cannot answer. */
  private Optional<List<HostedReplica>> askNode(String nodeId) {
    Optional<String> address = node.clientAddress(nodeId);
    if (address.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(
          NodeServiceGrpc.newBlockingStub(node.channelTo(address.get()))
              .withDeadlineAfter(1, TimeUnit.SECONDS)
              .describeReplicas(DescribeReplicasRequest.getDefaultInstance())
              .getReplicasList());
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  private void record(ReplaceShards replace) {
    MetaResult result =
        KeyspaceManager.await(
            node.proposeMeta(MetaCommand.newBuilder().setReplaceShards(replace).build()));
    if (!result.getOk()) {
      LOG.info("cluster map already newer: {}", result.getError());
    }
  }

  /**
   * Proposes {@code command} to the shard's leader. A node that answers that it does not lead the
   * shard did not propose it (leadership moved since the last heartbeat, e.g. by the balancer), so
   * the command goes again to the leader the next heartbeats name, for up to ten seconds. Giving up
   * there would strand a merge with its right shard frozen.
   */
  private ShardReply propose(ShardDescriptor shard, ShardCommand command) {
    long giveUpAt = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      String leader =
          loop.reportedLeaders().getOrDefault(shard.getShardId(), shard.getLeaderNodeId());
      String address =
          node.clientAddress(leader)
              .orElseThrow(
                  () ->
                      new AdminException(
                          AdminException.Kind.UNAVAILABLE,
                          "shard " + shard.getShardId() + " has no known leader"));
      try {
        return NodeServiceGrpc.newBlockingStub(node.channelTo(address))
            .withDeadlineAfter(30, TimeUnit.SECONDS)
            .withWaitForReady()
            .propose(
                ProposeRequest.newBuilder()
                    .setShardId(shard.getShardId())
                    .setCommand(command.toBuilder().setLeaderTimeMillis(System.currentTimeMillis()))
                    .build());
      } catch (RuntimeException e) {
        boolean notProposed =
            e instanceof StatusRuntimeException refused
                && refused.getStatus().getCode() == Status.Code.FAILED_PRECONDITION;
        if (!notProposed || System.nanoTime() > giveUpAt) {
          throw new AdminException(
              AdminException.Kind.UNAVAILABLE,
              "shard " + shard.getShardId() + ": " + e.getMessage());
        }
        LOG.info(
            "shard {}: {}; proposing again to its new leader", shard.getShardId(), e.getMessage());
        sleepQuietly(200);
      }
    }
  }

  /**
   * Proposes a merge step until some answer comes back. A step whose answer was lost (a timeout, a
   * leader that stepped down mid-call) may still apply, so giving up on it could leave the right
   * shard frozen with nobody to thaw it. Sending it again is safe because every step applies at
   * most once in effect: a resent PrepareMerge finds the shard frozen and keeps the first freeze; a
   * resent CommitMerge finds the left shard at a new epoch ({@link #mergedShard} recognises the
   * merge it made); a resent RollbackMerge finds the epoch it named gone. Gives up after {@link
   * #MERGE_STEP_RESEND_MILLIS} (the shard has had no leader that long; the error says so).
   */
  private ShardReply proposeUntilAnswered(ShardDescriptor shard, ShardCommand step) {
    long giveUpAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(MERGE_STEP_RESEND_MILLIS);
    while (true) {
      try {
        return propose(shard, step);
      } catch (AdminException e) {
        if (System.nanoTime() > giveUpAt) {
          LOG.error(
              "shard {}: no answer to merge step {} for {} s; the shard may stay frozen",
              shard.getShardId(),
              step.getBodyCase(),
              MERGE_STEP_RESEND_MILLIS / 1000,
              e);
          throw e;
        }
        LOG.warn(
            "shard {}: merge step {} got no answer ({}); sending it again",
            shard.getShardId(),
            step.getBodyCase(),
            e.getMessage());
        sleepQuietly(1000);
      }
    }
  }

  private static void sleepQuietly(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AdminException(AdminException.Kind.UNAVAILABLE, "interrupted");
    }
  }

  private static Set<String> replicaNodes(ShardDescriptor shard) {
    return shard.getReplicasList().stream().map(Replica::getNodeId).collect(Collectors.toSet());
  }

  private static ShardDescriptor shard(ClusterMap map, long shardId) {
    return map.getShardsList().stream()
        .filter(s -> s.getShardId() == shardId)
        .findFirst()
        .orElseThrow(
            () ->
                new AdminException(
                    AdminException.Kind.NOT_FOUND, "shard " + shardId + " does not exist"));
  }

  private static KeyspaceDescriptor keyspaceOf(ClusterMap map, ShardDescriptor shard) {
    return map.getKeyspacesList().stream()
        .filter(k -> k.getId() == shard.getKeyspaceId())
        .findFirst()
        .orElseThrow(
            () ->
                new AdminException(
                    AdminException.Kind.NOT_FOUND,
                    "keyspace of shard " + shard.getShardId() + " does not exist"));
  }
}
