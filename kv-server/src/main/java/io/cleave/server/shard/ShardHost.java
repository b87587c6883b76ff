package io.cleave.server.shard;

import io.cleave.internal.v1.ShardState;
import io.cleave.server.storage.NodeStore;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.server.protocol.TermIndex;

/** What a shard replica needs from the node that hosts it. */
public interface ShardHost {
  NodeStore store();

  ValueTypes types();

  /** For work that must not run on a Raft apply thread. */
  Executor background();

  void replicaOpened(ShardStateMachine replica);

  void replicaClosed(ShardStateMachine replica);

  /**
   * A split was applied: start the child's group on this node with {@code peers}' members. Runs off
   * the apply thread; must be idempotent (a restart may ask again).
   */
  void startChild(ShardState child, RaftGroup parentGroup);

  /**
   * Pulls a consistent copy of the shard from the replica on {@code leaderNodeId}, replaces the
   * local copy with it, and returns the term and index it reflects.
   */
  CompletableFuture<TermIndex> installSnapshot(long shardId, String leaderNodeId);

  /** The local replica of another shard, if this node hosts one (merge waits on it). */
  java.util.Optional<ShardStateMachine> localReplica(long shardId);
}
