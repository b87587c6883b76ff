package io.cleave.client.internal;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors;
import com.google.protobuf.Message;
import io.cleave.api.Limits;
import io.cleave.api.v1.BatchRequest;
import io.cleave.api.v1.BatchResponse;
import io.cleave.api.v1.KvServiceGrpc;
import io.cleave.api.v1.MultiBatchRequest;
import io.cleave.api.v1.MultiBatchResponse;
import io.cleave.api.v1.RequestId;
import io.cleave.api.v1.ShardDescriptor;
import io.cleave.api.v1.ShardError;
import io.cleave.client.CleaveException;
import io.cleave.client.KeyspaceNotFoundException;
import io.cleave.client.UnknownOutcomeException;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The routing and retry loop of every data call, in one place (docs/design/0003-client-routing.md
 * has the rules and why).
 *
 * <p>A call's keys are grouped by the cached shard that owns them and each group is sent to that
 * shard's leader. A group that fails with a retryable error repairs the cache and goes back through
 * grouping, because after a split its keys may belong to two shards. Every group has its own
 * attempt count, bounded by {@code maxRetries}; all groups share the call's deadline, and no
 * backoff is slept that would end past it.
 */
public final class Dispatcher {
  /**
   * A write is not resent later than this after its first attempt: shards answer resends from the
   * outcomes they store for five minutes of log time (the margin covers leaders' clocks that
   * differ).
   */
  static final long RESEND_WINDOW_NANOS = TimeUnit.SECONDS.toNanos(60);

  /** Request bytes one MultiBatch call carries at most (a bigger batch still goes, alone). */
  static final long MULTI_BATCH_BYTES = 256 * 1024;

  private final RoutingCache cache;
  private final Channels channels;
  private final MapLoader maps;
  private final Backoff backoff;
  private final int maxRetries;
  private final ScheduledExecutorService scheduler;
  private final Counters counters;
  // Calls not yet answered: close() must end them, because a retry waiting out its backoff is
  // dropped with the timer and would otherwise leave its future incomplete forever.
  private final Set<Call<?, ?>> live = ConcurrentHashMap.newKeySet();
  // Nodes that answered MultiBatch with UNIMPLEMENTED (older versions): one call per shard there.
  private final Set<String> noMultiBatch = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  /**
   * @param maxRetries retries allowed per group of keys after its first attempt
   * @param scheduler runs retries after their backoff; never blocks
   */
  public Dispatcher(
      RoutingCache cache,
      Channels channels,
      MapLoader maps,
      Backoff backoff,
      int maxRetries,
      ScheduledExecutorService scheduler,
      Counters counters) {
    this.cache = cache;
    this.channels = channels;
    this.maps = maps;
    this.backoff = backoff;
    this.maxRetries = maxRetries;
    this.scheduler = scheduler;
    this.counters = counters;
  }

  /**
   * Runs {@code op} on {@code keyspace}. The future completes when every key has its answer in
   * {@code op}, or fails with a {@link CleaveException} at the first group that cannot be served. A
   * failed batch write may have been applied on some shards: batches are atomic per shard only.
   *
   * @throws IllegalArgumentException at once, before any RPC, for a key the nodes would refuse
   */
  public CompletableFuture<Void> execute(String keyspace, KeyOp<?, ?> op, Deadline deadline) {
    checkKeyspace(keyspace);
    for (int i = 0; i < op.size(); i++) {
      checkKey(op.key(i));
    }
    counters.calls.increment();
    Call<?, ?> call = new Call<>(keyspace, op, deadline, op.write() ? newRequestId() : null);
    live.add(call);
    call.done.whenComplete((v, error) -> live.remove(call));
    if (closed) {
      fail(call, new CleaveException(Status.Code.CANCELLED, "client is closed", null));
    }
    if (op.size() == 0) {
      call.done.complete(null);
    } else {
      int[] all = new int[op.size()];
      Arrays.setAll(all, i -> i);
      route(call, all, 0, null);
    }
    return call.done;
  }

  /** Fails every call not answered yet with CANCELLED; later calls fail the same way. */
  public void close() {
    closed = true;
    for (Call<?, ?> call : live) {
      fail(call, new CleaveException(Status.Code.CANCELLED, "client is closed", null));
    }
  }

  /** Rejects a keyspace name no node would accept. */
  public static void checkKeyspace(String keyspace) {
    if (keyspace == null
        || keyspace.isEmpty()
        || keyspace.length() > Limits.MAX_KEYSPACE_NAME_CHARS) {
      throw new IllegalArgumentException(
          "keyspace name must have 1 to " + Limits.MAX_KEYSPACE_NAME_CHARS + " characters");
    }
  }

  /** Rejects a key no node would accept. */
  public static void checkKey(byte[] key) {
    if (key == null || key.length == 0) {
      throw new IllegalArgumentException("key must not be empty");
    }
    if (key.length > Limits.MAX_KEY_BYTES) {
      throw new IllegalArgumentException(
          "key has " + key.length + " bytes, more than " + Limits.MAX_KEY_BYTES);
    }
  }

  /** The state one public call shares among its groups and attempts. */
  /** Names this client instance in request ids; random, like Ratis's own client ids. */
  private final ByteString clientIdBytes = randomClientId();

  private final AtomicLong requestSequence = new AtomicLong();

  private static ByteString randomClientId() {
    UUID uuid = UUID.randomUUID();
    return ByteString.copyFrom(
        ByteBuffer.allocate(16)
            .putLong(uuid.getMostSignificantBits())
            .putLong(uuid.getLeastSignificantBits())
            .array());
  }

  private static final class Call<Q, A> {
    final String keyspace;
    final KeyOp<Q, A> op;
    final Deadline deadline;
    final CompletableFuture<Void> done = new CompletableFuture<>();
    final AtomicInteger pending;
    // NOT_FOUND reloads the map once per call: the keyspace may be new or re-created.
    final AtomicBoolean keyspaceReloaded = new AtomicBoolean();
    // Waits for a busy shard so far, across the call's groups: they grow the backoff but not the
    // attempt count (see onFailure's SHARD_BUSY).
    final AtomicInteger busyWaits = new AtomicInteger();
    // A write's one request id, for every group and every attempt: shards store each op's outcome
    // under it (and the op's place in the call), so a resend - to the same shard or, after a split
    // or merge, to the one that owns the key now - gets the first outcome instead of a second
    // apply.
    final RequestId requestId;
    // When the first attempt left: shards keep outcomes for a limited log time, so a write is not
    // resent after RESEND_WINDOW_NANOS.
    final long startNanos = System.nanoTime();

    Call(String keyspace, KeyOp<Q, A> op, Deadline deadline, RequestId requestId) {
      this.keyspace = keyspace;
      this.op = op;
      this.deadline = deadline;
      this.requestId = requestId;
      this.pending = new AtomicInteger(op.size());
    }
  }

  private <Q, A> void route(Call<Q, A> call, int[] indices, int attempt, Throwable last) {
    if (call.done.isDone()) {
      return; // another group failed the call; do not spend RPCs on an answer nobody reads
    }
    if (call.deadline.isExpired()) {
      fail(call, last != null ? last : deadlineExceeded(call));
      return;
    }
    KeyspaceRoutes routes = cache.keyspace(call.keyspace);
    if (routes == null || routes.keyspace().getDeleting()) {
      if (call.keyspaceReloaded.compareAndSet(false, true)) {
        maps.reload(call.deadline)
            .whenComplete(
                (v, error) -> {
                  if (error == null) {
                    route(call, indices, attempt, last);
                  } else {
                    // No map came back (no node could read it, e.g. the meta shard was electing):
                    // that says nothing about the keyspace, so the next attempt loads again
                    // rather than reporting it not found.
                    call.keyspaceReloaded.set(false);
                    retry(call, indices, attempt, error, backoff.delayNanos(attempt), false);
                  }
                });
      } else {
        fail(call, new KeyspaceNotFoundException(call.keyspace, last));
      }
      return;
    }
    Map<ShardRoute, List<Integer>> groups = new LinkedHashMap<>();
    List<Integer> misses = new ArrayList<>();
    for (int index : indices) {
      ShardRoute shard = routes.find(routes.routingKey(call.op.key(index)));
      if (shard == null) {
        misses.add(index);
      } else {
        groups.computeIfAbsent(shard, s -> new ArrayList<>()).add(index);
      }
    }
    if (!misses.isEmpty()) {
      // A hole in the cache: a repair dropped a shard no node has told us about yet.
      CleaveException hole =
          new CleaveException(Status.Code.UNAVAILABLE, "no cached shard owns the key", last);
      retry(call, toArray(misses), attempt, hole, delayFor(attempt), true);
    }
    Map<String, List<Part<Q>>> byNode = new LinkedHashMap<>();
    for (Map.Entry<ShardRoute, List<Integer>> group : groups.entrySet()) {
      List<Integer> members = group.getValue();
      // Nodes cap a batch; a big group goes as several calls to the same shard.
      for (int from = 0; from < members.size(); from += Limits.MAX_BATCH_ENTRIES) {
        int to = Math.min(members.size(), from + Limits.MAX_BATCH_ENTRIES);
        Part<Q> part = prepare(call, group.getKey(), toArray(members.subList(from, to)), attempt);
        if (part != null) {
          byNode.computeIfAbsent(part.target().address(), a -> new ArrayList<>()).add(part);
        }
      }
    }
    byNode.forEach((address, parts) -> sendToNode(call, address, parts, attempt));
  }

  /** The request for one group of keys and the replica it goes to. */
  private record Part<Q>(ShardRoute shard, ShardRoute.Target target, int[] indices, Q request) {}

  /**
   * Builds the request of one group, or returns null after dealing with a group that cannot be sent
   * (no known replica address: retried; a write past its resend window: the call fails).
   */
  private <Q, A> Part<Q> prepare(Call<Q, A> call, ShardRoute shard, int[] indices, int attempt) {
    ShardRoute.Target target =
        call.op.anyReplica()
            ? shard.anyReplica(cache::addressOf, channels::isDown)
            : shard.target(cache::addressOf, channels::isDown);
    if (target == null) {
      CleaveException unknown =
          new CleaveException(
              Status.Code.UNAVAILABLE, "no known address for the replicas of " + shard, null);
      retry(call, indices, attempt, unknown, delayFor(attempt), true);
      return null;
    }
    Q request = call.op.request(shard.hint(), indices);
    if (call.requestId != null) {
      // Almost any failure can hide an applied write (a leader that lost its leadership answers
      // "not leader" for an entry a new leader may still commit): every attempt carries the id.
      if (attempt > 0 && System.nanoTime() - call.startNanos > RESEND_WINDOW_NANOS) {
        fail(
            call,
            new UnknownOutcomeException(
                "write not resent "
                    + TimeUnit.NANOSECONDS.toSeconds(RESEND_WINDOW_NANOS)
                    + " s after its first attempt (shards may have forgotten its outcome by then);"
                    + " it may or may not have been applied",
                null));
        return null;
      }
      request = withRequestId(request, call.requestId);
    }
    return new Part<>(shard, target, indices, request);
  }

  /**
   * Sends the groups bound for one node: batches of several shards as one MultiBatch call (each
   * batch still succeeds or fails on its own, so the retry rules are those of separate calls),
   * anything else one call per group.
   */
  @SuppressWarnings("unchecked")
  private <Q, A> void sendToNode(
      Call<Q, A> call, String address, List<Part<Q>> parts, int attempt) {
    if (parts.size() < 2
        || call.op.method() != KvServiceGrpc.getBatchMethod()
        || noMultiBatch.contains(address)) {
      parts.forEach(part -> sendAlone(call, part, attempt));
      return;
    }
    Call<BatchRequest, BatchResponse> batchCall = (Call<BatchRequest, BatchResponse>) call;
    // Joined batches stay well under a node's smallest message limit (max value size + 64 KiB),
    // so joining never fails what separate calls would have carried.
    List<Part<BatchRequest>> joined = new ArrayList<>();
    long bytes = 0;
    for (Part<Q> part : parts) {
      Part<BatchRequest> batch = (Part<BatchRequest>) part;
      int size = batch.request().getSerializedSize();
      if (bytes + size > MULTI_BATCH_BYTES && !joined.isEmpty()) {
        sendJoined(batchCall, address, joined, attempt);
        joined = new ArrayList<>();
        bytes = 0;
      }
      joined.add(batch);
      bytes += size;
    }
    sendJoined(batchCall, address, joined, attempt);
  }

  private void sendJoined(
      Call<BatchRequest, BatchResponse> call,
      String address,
      List<Part<BatchRequest>> batches,
      int attempt) {
    if (batches.size() == 1) {
      sendAlone(call, batches.get(0), attempt);
      return;
    }
    MultiBatchRequest.Builder request = MultiBatchRequest.newBuilder();
    batches.forEach(part -> request.addBatches(part.request()));
    CompletableFuture<MultiBatchResponse> response;
    try {
      response =
          Rpc.call(
              channels.get(address),
              KvServiceGrpc.getMultiBatchMethod(),
              request.build(),
              call.deadline);
    } catch (RuntimeException e) {
      fail(call, e);
      return;
    }
    counters.attempts.add(batches.size());
    response.whenComplete(
        (answer, error) -> {
          if (error != null && Status.fromThrowable(error).getCode() == Status.Code.UNIMPLEMENTED) {
            // A node from before MultiBatch (a rolling upgrade): one call per shard, as then.
            noMultiBatch.add(address);
            batches.forEach(part -> sendAlone(call, part, attempt));
            return;
          }
          for (int i = 0; i < batches.size(); i++) {
            Part<BatchRequest> part = batches.get(i);
            if (error != null) {
              onFailure(call, part.shard(), part.target(), part.indices(), attempt, error);
            } else if (i >= answer.getOutcomesCount()) {
              fail(
                  call,
                  new CleaveException(Status.Code.INTERNAL, "multi-batch answer short", null));
            } else if (answer.getOutcomes(i).hasError()) {
              Throwable failure =
                  StatusProto.toStatusRuntimeException(answer.getOutcomes(i).getError());
              onFailure(call, part.shard(), part.target(), part.indices(), attempt, failure);
            } else {
              accept(call, part.indices(), answer.getOutcomes(i).getResponse());
            }
          }
        });
  }

  private <Q, A> void sendAlone(Call<Q, A> call, Part<Q> part, int attempt) {
    CompletableFuture<A> response;
    try {
      response =
          Rpc.call(
              channels.get(part.target().address()),
              call.op.method(),
              part.request(),
              call.deadline);
    } catch (RuntimeException e) {
      fail(call, e);
      return;
    }
    counters.attempts.increment();
    response.whenComplete(
        (answer, error) -> {
          if (error != null) {
            onFailure(call, part.shard(), part.target(), part.indices(), attempt, error);
          } else {
            accept(call, part.indices(), answer);
          }
        });
  }

  /** Stores the answer for one group; the call is done when every key has its answer. */
  private <Q, A> void accept(Call<Q, A> call, int[] indices, A answer) {
    try {
      call.op.accept(indices, answer);
    } catch (RuntimeException e) {
      fail(call, new CleaveException(Status.Code.INTERNAL, e.getMessage(), e));
      return;
    }
    if (call.pending.addAndGet(-indices.length) == 0) {
      call.done.complete(null);
    }
  }

  private <Q, A> void onFailure(
      Call<Q, A> call,
      ShardRoute shard,
      ShardRoute.Target target,
      int[] indices,
      int attempt,
      Throwable error) {
    Status.Code code = Status.fromThrowable(error).getCode();
    if (code == Status.Code.NOT_FOUND) {
      // The keyspace may have been created or re-created since the map was loaded: reload once.
      if (call.keyspaceReloaded.compareAndSet(false, true)) {
        retry(call, indices, attempt, error, 0, true);
      } else {
        fail(call, new KeyspaceNotFoundException(call.keyspace, error));
      }
      return;
    }
    if (code != Status.Code.UNAVAILABLE) {
      fail(call, error); // INVALID_ARGUMENT, FAILED_PRECONDITION, DEADLINE_EXCEEDED...: final
      return;
    }
    ShardError detail = Errors.shardError(error);
    ShardError.Code reason = detail == null ? ShardError.Code.CODE_UNSPECIFIED : detail.getCode();
    switch (reason) {
      case NOT_LEADER -> {
        counters.routingRetries.increment();
        String leaderId = detail.getLeaderNodeId();
        String leaderAddress = detail.getLeaderAddress();
        if (leaderId.isEmpty() && leaderAddress.isEmpty()) {
          shard.leaderUnknown(target.nodeId());
          retry(call, indices, attempt, error, backoff.delayNanos(attempt), false);
        } else {
          cache.learnNode(leaderId, leaderAddress);
          shard.leaderIs(leaderId, leaderAddress);
          // Straight to the named leader; back off if it named the node we just asked, or once
          // redirects keep coming: during a leader change two nodes can name each other, and
          // redirecting without pause would burn the retry budget in milliseconds.
          boolean same = leaderId.equals(target.nodeId()) || leaderAddress.equals(target.address());
          long delay = same || attempt >= 2 ? backoff.delayNanos(attempt) : 0;
          retry(call, indices, attempt, error, delay, false);
        }
      }
      case EPOCH_MISMATCH, SHARD_NOT_FOUND -> {
        counters.routingRetries.increment();
        List<ShardDescriptor> current = detail.getCurrentShardsList();
        boolean repaired = !current.isEmpty() && cache.repair(current);
        // Without a usable repair the node knows no more than we do: ask for the whole map.
        retry(call, indices, attempt, error, repaired ? 0 : delayFor(attempt), !repaired);
      }
      case SHARD_BUSY -> {
        // A busy shard (frozen for a merge, or its write queue full) is healthy and will take
        // the call once the merge commits or the queue drains, which under load can take longer
        // than the retry budget lasts. So it is waited out until the call's deadline, as TiKV's
        // client does for ServerIsBusy, without spending an attempt.
        counters.backoffRetries.increment();
        // Near the deadline the wait shrinks so that the last tries still happen before it.
        long delay =
            Math.min(
                backoff.delayNanos(call.busyWaits.getAndIncrement()),
                call.deadline.timeRemaining(TimeUnit.NANOSECONDS) / 2);
        retry(call, indices, attempt, error, delay, false, false);
      }
      default -> {
        // The node is down or has no leader for the shard: another replica may answer.
        counters.backoffRetries.increment();
        channels.markDown(target.address());
        shard.leaderUnknown(target.nodeId());
        retry(call, indices, attempt, error, delayFor(attempt), attempt > 0);
      }
    }
  }

  private RequestId newRequestId() {
    return RequestId.newBuilder()
        .setClientId(clientIdBytes)
        .setSequence(requestSequence.incrementAndGet())
        .build();
  }

  /** Sets the request id on any request message that has the field (the write requests do). */
  @SuppressWarnings("unchecked")
  private static <Q> Q withRequestId(Q request, RequestId id) {
    if (request instanceof Message message) {
      Descriptors.FieldDescriptor field =
          message.getDescriptorForType().findFieldByName("request_id");
      if (field != null) {
        return (Q) message.toBuilder().setField(field, id).build();
      }
    }
    return request;
  }

  /** No wait before the first retry (another replica or a fresh map may fix it), backoff after. */
  private long delayFor(int attempt) {
    return attempt == 0 ? 0 : backoff.delayNanos(attempt - 1);
  }

  private <Q, A> void retry(
      Call<Q, A> call,
      int[] indices,
      int attempt,
      Throwable cause,
      long delayNanos,
      boolean reloadFirst) {
    retry(call, indices, attempt, cause, delayNanos, reloadFirst, true);
  }

  /**
   * Routes the keys again after {@code delayNanos}, unless the retry budget is spent (when {@code
   * spendsAttempt}) or the wait alone would cross the deadline.
   */
  private <Q, A> void retry(
      Call<Q, A> call,
      int[] indices,
      int attempt,
      Throwable cause,
      long delayNanos,
      boolean reloadFirst,
      boolean spendsAttempt) {
    boolean outOfAttempts = spendsAttempt ? attempt >= maxRetries : maxRetries == 0;
    if (outOfAttempts || delayNanos >= call.deadline.timeRemaining(TimeUnit.NANOSECONDS)) {
      // Out of budget, or the wait alone would cross the deadline: report the real cause now
      // rather than a DEADLINE_EXCEEDED later.
      fail(call, cause);
      return;
    }
    Runnable next =
        () -> {
          int nextAttempt = spendsAttempt ? attempt + 1 : attempt;
          if (!reloadFirst) {
            route(call, indices, nextAttempt, cause);
            return;
          }
          maps.reload(call.deadline)
              .whenComplete((v, error) -> route(call, indices, nextAttempt, cause));
        };
    if (delayNanos <= 0) {
      next.run();
      return;
    }
    try {
      scheduler.schedule(next, delayNanos, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      // The client was closed while the call waited to retry: end it rather than leave it hanging.
      fail(call, new CleaveException(Status.Code.CANCELLED, "client closed", cause));
    }
  }

  private <Q, A> void fail(Call<Q, A> call, Throwable cause) {
    if (call.done.completeExceptionally(Errors.toException(cause, call.op.write()))) {
      counters.failures.increment();
    }
  }

  private static CleaveException deadlineExceeded(Call<?, ?> call) {
    return new CleaveException(
        Status.Code.DEADLINE_EXCEEDED,
        "deadline passed before a node was reached in keyspace '" + call.keyspace + "'",
        null);
  }

  private static int[] toArray(List<Integer> indices) {
    return indices.stream().mapToInt(Integer::intValue).toArray();
  }
}
