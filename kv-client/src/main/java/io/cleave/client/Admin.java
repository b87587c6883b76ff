package io.cleave.client;

import io.cleave.api.v1.AdminServiceGrpc;
import io.cleave.api.v1.ClusterStatusRequest;
import io.cleave.api.v1.ClusterStatusResponse;
import io.cleave.api.v1.DeregisterKeyspaceRequest;
import io.cleave.api.v1.DescribeKeyspaceRequest;
import io.cleave.api.v1.DescribeKeyspaceResponse;
import io.cleave.api.v1.GetClusterMapRequest;
import io.cleave.api.v1.GetClusterMapResponse;
import io.cleave.api.v1.KeyspaceDescriptor;
import io.cleave.api.v1.ListKeyspacesRequest;
import io.cleave.api.v1.MergeShardsRequest;
import io.cleave.api.v1.MergeShardsResponse;
import io.cleave.api.v1.RegisterKeyspaceResponse;
import io.cleave.api.v1.SplitShardRequest;
import io.cleave.api.v1.SplitShardResponse;
import io.cleave.client.internal.AnyNode;
import io.cleave.client.internal.Backoff;
import io.cleave.client.internal.Dispatcher;
import io.cleave.client.internal.Errors;
import io.grpc.Deadline;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Keyspace and cluster administration, from {@link CleaveClient#admin()}. Any node answers these
 * (it forwards to the meta shard), so each call asks the endpoints in turn until one answers; only
 * UNAVAILABLE moves on. Answers are the contract's own response messages. Calls use the client's
 * default timeout. Failures complete the future with a {@link CleaveException} (NOT_FOUND as {@link
 * KeyspaceNotFoundException}).
 */
public final class Admin {
  private final AnyNode anyNode;
  private final Function<Duration, Deadline> deadlines;
  private final Backoff backoff;
  private final ScheduledExecutorService scheduler;

  Admin(
      AnyNode anyNode,
      Function<Duration, Deadline> deadlines,
      Backoff backoff,
      ScheduledExecutorService scheduler) {
    this.anyNode = anyNode;
    this.deadlines = deadlines;
    this.backoff = backoff;
    this.scheduler = scheduler;
  }

  /** Creates keyspace {@code name}. Fails with ALREADY_EXISTS or INVALID_ARGUMENT. */
  public CompletableFuture<RegisterKeyspaceResponse> registerKeyspace(
      String name, KeyspaceOptions options) {
    Dispatcher.checkKeyspace(name);
    return call(AdminServiceGrpc.getRegisterKeyspaceMethod(), options.toRequest(name), name);
  }

  /** Removes keyspace {@code name} and every key in it. */
  public CompletableFuture<Void> deregisterKeyspace(String name) {
    Dispatcher.checkKeyspace(name);
    return call(
            AdminServiceGrpc.getDeregisterKeyspaceMethod(),
            DeregisterKeyspaceRequest.newBuilder().setName(name).build(),
            name)
        .thenApply(r -> null);
  }

  /** Every keyspace. */
  public CompletableFuture<List<KeyspaceDescriptor>> listKeyspaces() {
    return call(
            AdminServiceGrpc.getListKeyspacesMethod(),
            ListKeyspacesRequest.getDefaultInstance(),
            null)
        .thenApply(r -> r.getKeyspacesList());
  }

  /** Keyspace {@code name} with its shards and their statistics. */
  public CompletableFuture<DescribeKeyspaceResponse> describeKeyspace(String name) {
    Dispatcher.checkKeyspace(name);
    return call(
        AdminServiceGrpc.getDescribeKeyspaceMethod(),
        DescribeKeyspaceRequest.newBuilder().setName(name).build(),
        name);
  }

  /** Nodes, the meta leader, and keyspace and shard counts. */
  public CompletableFuture<ClusterStatusResponse> clusterStatus() {
    return call(
        AdminServiceGrpc.getClusterStatusMethod(), ClusterStatusRequest.getDefaultInstance(), null);
  }

  /**
   * Splits a shard at routing key {@code splitAt}; {@link Bytes#EMPTY} lets the node choose (by
   * load, else the middle). For a HASH keyspace the routing key is the 8-byte hash, not a user key.
   */
  public CompletableFuture<SplitShardResponse> splitShard(long shardId, Bytes splitAt) {
    return call(
        AdminServiceGrpc.getSplitShardMethod(),
        SplitShardRequest.newBuilder()
            .setShardId(shardId)
            .setSplitAt(Objects.requireNonNull(splitAt).toByteString())
            .build(),
        null);
  }

  /**
   * Merges two adjacent shards of one keyspace; {@code left} must end where {@code right} starts.
   */
  public CompletableFuture<MergeShardsResponse> mergeShards(long leftShardId, long rightShardId) {
    return call(
        AdminServiceGrpc.getMergeShardsMethod(),
        MergeShardsRequest.newBuilder()
            .setLeftShardId(leftShardId)
            .setRightShardId(rightShardId)
            .build(),
        null);
  }

  /** The cluster map: nodes, keyspaces, shards, as routing sees them. */
  public CompletableFuture<GetClusterMapResponse> getClusterMap() {
    return call(
        AdminServiceGrpc.getGetClusterMapMethod(), GetClusterMapRequest.getDefaultInstance(), null);
  }

  private <Q, A> CompletableFuture<A> call(MethodDescriptor<Q, A> method, Q request, String name) {
    CompletableFuture<A> result = new CompletableFuture<>();
    attempt(method, request, name, deadlines.apply(null), 0, result);
    return result;
  }

  /**
   * One round over the nodes. When no node could answer (all UNAVAILABLE: the meta shard is
   * electing a leader, or a new meta leader has not heard from the nodes yet) the next round
   * follows after a backoff, until the call's deadline, as etcd's client retries an unavailable
   * cluster.
   */
  private <Q, A> void attempt(
      MethodDescriptor<Q, A> method,
      Q request,
      String name,
      Deadline deadline,
      int round,
      CompletableFuture<A> result) {
    anyNode
        .call(method, request, deadline)
        .whenComplete(
            (response, error) -> {
              if (error == null) {
                result.complete(response);
                return;
              }
              CleaveException failure = Errors.toException(error, false);
              long delay = backoff.delayNanos(round);
              if (failure.code() == Status.Code.UNAVAILABLE
                  && deadline.timeRemaining(TimeUnit.NANOSECONDS) > delay) {
                scheduler.schedule(
                    () -> attempt(method, request, name, deadline, round + 1, result),
                    delay,
                    TimeUnit.NANOSECONDS);
              } else if (name != null && failure.code() == Status.Code.NOT_FOUND) {
                result.completeExceptionally(new KeyspaceNotFoundException(name, error));
              } else {
                // Only unavailability is retried, so a deadline passed while a node was working
                // on the call is reported as a plain DEADLINE_EXCEEDED: re-check with describe.
                result.completeExceptionally(failure);
              }
            });
  }
}
