package io.cleave.server.grpc;

import com.google.protobuf.ByteString;
import io.cleave.api.Limits;
import io.cleave.api.StatusProtos;
import io.cleave.api.types.BytesType;
import io.cleave.api.v1.BatchEntry;
import io.cleave.api.v1.BatchOutcome;
import io.cleave.api.v1.BatchRequest;
import io.cleave.api.v1.BatchResponse;
import io.cleave.api.v1.BatchResult;
import io.cleave.api.v1.CommandRequest;
import io.cleave.api.v1.CommandResponse;
import io.cleave.api.v1.CompareAndSetRequest;
import io.cleave.api.v1.CompareAndSetResponse;
import io.cleave.api.v1.DeleteRequest;
import io.cleave.api.v1.DeleteResponse;
import io.cleave.api.v1.EntryError;
import io.cleave.api.v1.GetRequest;
import io.cleave.api.v1.GetResponse;
import io.cleave.api.v1.KvServiceGrpc;
import io.cleave.api.v1.MultiBatchRequest;
import io.cleave.api.v1.MultiBatchResponse;
import io.cleave.api.v1.PutRequest;
import io.cleave.api.v1.PutResponse;
import io.cleave.api.v1.QueryRequest;
import io.cleave.api.v1.QueryResponse;
import io.cleave.api.v1.ReadConsistency;
import io.cleave.api.v1.RequestId;
import io.cleave.api.v1.ScanRequest;
import io.cleave.api.v1.ScanResponse;
import io.cleave.api.v1.ShardError;
import io.cleave.internal.v1.ClientWrite;
import io.cleave.internal.v1.KeyOp;
import io.cleave.internal.v1.KeyOpBatch;
import io.cleave.internal.v1.KeyResult;
import io.cleave.internal.v1.ShardQuery;
import io.cleave.internal.v1.ShardReply;
import io.cleave.server.node.CleaveNode;
import io.cleave.server.node.WriteBatcher;
import io.cleave.server.shard.RawValueType;
import io.cleave.server.shard.ShardStateMachine;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.exceptions.NotLeaderException;

/**
 * The data API. Writes become one Raft entry on the shard's leader, proposed in process; reads are
 * linearizable through ReadIndex (or the leader's lease) unless the caller asks for STALE, which
 * any replica answers from its local state.
 */
public final class KvServiceImpl extends KvServiceGrpc.KvServiceImplBase {
  private final CleaveNode node;
  private final ShardRouter router;
  private final Executor calls;

  /**
   * {@code calls} runs a call whose keyspace needed a fresh cluster map, instead of the meta
   * client's thread that read it: the executor of this service's calls.
   */
  public KvServiceImpl(CleaveNode node, Executor calls) {
    this.node = node;
    this.router = new ShardRouter(node);
    this.calls = calls;
  }

  @Override
  public void get(GetRequest request, StreamObserver<GetResponse> response) {
    serve(
        response,
        request.getKeyspace(),
        () -> {
          byte[] key = request.getKey().toByteArray();
          ShardQuery query =
              ShardQuery.newBuilder()
                  .setKind(ShardQuery.Kind.GET)
                  .addKeys(request.getKey())
                  .build();
          return read(request.getKeyspace(), key, request.getConsistency(), query)
              .thenApply(
                  results -> {
                    KeyResult r = results.get(0);
                    return GetResponse.newBuilder()
                        .setFound(r.getFound())
                        .setValue(r.getPayload())
                        .setVersion(r.getVersion())
                        .build();
                  });
        });
  }

  @Override
  public void put(PutRequest request, StreamObserver<PutResponse> response) {
    serve(
        response,
        request.getKeyspace(),
        () -> {
          router.validateValue(request.getValue().size(), "value");
          KeyOp op =
              KeyOp.newBuilder()
                  .setKind(KeyOp.Kind.PUT)
                  .setKey(request.getKey())
                  .setPayload(request.getValue())
                  .build();
          return write(request.getKeyspace(), List.of(op), true, request.getRequestId())
              .thenApply(r -> PutResponse.newBuilder().setVersion(r.get(0).getVersion()).build());
        });
  }

  @Override
  public void delete(DeleteRequest request, StreamObserver<DeleteResponse> response) {
    serve(
        response,
        request.getKeyspace(),
        () -> {
          KeyOp op = KeyOp.newBuilder().setKind(KeyOp.Kind.DELETE).setKey(request.getKey()).build();
          return write(request.getKeyspace(), List.of(op), false, request.getRequestId())
              .thenApply(
                  r -> DeleteResponse.newBuilder().setDeleted(r.get(0).getSucceeded()).build());
        });
  }

  @Override
  public void compareAndSet(
      CompareAndSetRequest request, StreamObserver<CompareAndSetResponse> response) {
    serve(
        response,
        request.getKeyspace(),
        () -> {
          KeyOp.Builder op = KeyOp.newBuilder().setKind(KeyOp.Kind.CAS).setKey(request.getKey());
          switch (request.getExpectedCase()) {
            case EXPECTED_VALUE -> op.setExpectedValue(request.getExpectedValue());
            case EXPECT_ABSENT -> op.setExpectAbsent(true);
            case EXPECTED_VERSION -> op.setExpectedVersion(request.getExpectedVersion());
            case EXPECTED_NOT_SET ->
                throw GrpcErrors.invalidArgument(
                    "compare-and-set needs an expectation: a value, absent, or a version");
          }
          switch (request.getUpdateCase()) {
            case NEW_VALUE -> {
              router.validateValue(request.getNewValue().size(), "new value");
              op.setPayload(request.getNewValue());
            }
            case DELETE -> op.setCasDelete(true);
            case UPDATE_NOT_SET ->
                throw GrpcErrors.invalidArgument("compare-and-set needs a new value or delete");
          }
          return write(request.getKeyspace(), List.of(op.build()), true, request.getRequestId())
              .thenApply(
                  results -> {
                    KeyResult r = results.get(0);
                    return CompareAndSetResponse.newBuilder()
                        .setSucceeded(r.getSucceeded())
                        .setFound(r.getFound())
                        .setValue(r.getPayload())
                        .setVersion(r.getVersion())
                        .build();
                  });
        });
  }

  @Override
  public void command(CommandRequest request, StreamObserver<CommandResponse> response) {
    serve(
        response,
        request.getKeyspace(),
        () -> {
          router.validateValue(request.getArgument().size(), "argument");
          KeyOp op =
              KeyOp.newBuilder()
                  .setKind(KeyOp.Kind.COMMAND)
                  .setKey(request.getKey())
                  .setPayload(request.getArgument())
                  .build();
          return write(request.getKeyspace(), List.of(op), false, request.getRequestId())
              .thenApply(
                  r -> CommandResponse.newBuilder().setResult(r.get(0).getPayload()).build());
        });
  }

  @Override
  public void query(QueryRequest request, StreamObserver<QueryResponse> response) {
    serve(
        response,
        request.getKeyspace(),
        () -> {
          byte[] key = request.getKey().toByteArray();
          ShardQuery query =
              ShardQuery.newBuilder()
                  .setKind(ShardQuery.Kind.QUERY)
                  .addKeys(request.getKey())
                  .setArgument(request.getArgument())
                  .build();
          return read(request.getKeyspace(), key, request.getConsistency(), query)
              .thenApply(
                  results ->
                      QueryResponse.newBuilder()
                          .setFound(results.get(0).getFound())
                          .setResult(results.get(0).getPayload())
                          .build());
        });
  }

  @Override
  public void batch(BatchRequest request, StreamObserver<BatchResponse> response) {
    serve(response, request.getKeyspace(), () -> batch(request));
  }

  /**
   * Each batch as its own Batch call, answered together: a batch that fails (not leader, epoch
   * mismatch, bad input) fails alone, with the status the Batch call would have returned.
   */
  @Override
  public void multiBatch(MultiBatchRequest request, StreamObserver<MultiBatchResponse> response) {
    serve(
        response,
        () -> {
          requireAtMostMaxBatchEntries(request.getBatchesCount(), "multi-batch has", "batches");
          List<CompletableFuture<BatchOutcome>> outcomes = new ArrayList<>();
          for (BatchRequest batch : request.getBatchesList()) {
            OutcomeObserver outcome = new OutcomeObserver();
            serve(outcome, batch.getKeyspace(), () -> batch(batch));
            outcomes.add(outcome.future);
          }
          return CompletableFuture.allOf(outcomes.toArray(CompletableFuture[]::new))
              .thenApply(
                  done ->
                      MultiBatchResponse.newBuilder()
                          .addAllOutcomes(outcomes.stream().map(CompletableFuture::join).toList())
                          .build());
        });
  }

  /** Receives one batch's answer as a Batch call's observer would, and keeps it as an outcome. */
  private static final class OutcomeObserver implements StreamObserver<BatchResponse> {
    final CompletableFuture<BatchOutcome> future = new CompletableFuture<>();

    @Override
    public void onNext(BatchResponse value) {
      future.complete(BatchOutcome.newBuilder().setResponse(value).build());
    }

    @Override
    public void onError(Throwable t) {
      future.complete(BatchOutcome.newBuilder().setError(StatusProtos.of(t)).build());
    }

    @Override
    public void onCompleted() {}
  }

  private static void requireAtMostMaxBatchEntries(int count, String what, String unit) {
    if (count > Limits.MAX_BATCH_ENTRIES) {
      throw GrpcErrors.invalidArgument(
          what + " " + count + " " + unit + "; the limit is " + Limits.MAX_BATCH_ENTRIES);
    }
  }

  private CompletableFuture<BatchResponse> batch(BatchRequest request) {
    if (request.getEntriesCount() == 0) {
      return CompletableFuture.completedFuture(BatchResponse.getDefaultInstance());
    }
    requireAtMostMaxBatchEntries(request.getEntriesCount(), "batch has", "entries");
    byte[] firstKey = request.getEntries(0).getKey().toByteArray();
    Function<List<KeyResult>, BatchResponse> toResponse =
        results -> {
          BatchResponse.Builder out = BatchResponse.newBuilder();
          for (KeyResult r : results) {
            out.addResults(
                BatchResult.newBuilder()
                    .setFound(r.getFound() || r.getSucceeded())
                    .setPayload(r.getPayload())
                    .setVersion(r.getVersion()));
          }
          return out.build();
        };
    if (request.getKind() == BatchRequest.Kind.GET) {
      ShardQuery.Builder query = ShardQuery.newBuilder().setKind(ShardQuery.Kind.GET);
      request.getEntriesList().forEach(e -> query.addKeys(e.getKey()));
      return read(request.getKeyspace(), firstKey, request.getConsistency(), query.build())
          .thenApply(toResponse);
    }
    KeyOp.Kind kind =
        switch (request.getKind()) {
          case PUT -> KeyOp.Kind.PUT;
          case DELETE -> KeyOp.Kind.DELETE;
          case COMMAND -> KeyOp.Kind.COMMAND;
          default ->
              throw GrpcErrors.invalidArgument(
                  "batch kind is missing: GET, PUT, DELETE or COMMAND");
        };
    if (request.getIndependent() && kind != KeyOp.Kind.PUT) {
      throw GrpcErrors.invalidArgument("independent batches are for PUT only");
    }
    List<KeyOp> ops = new ArrayList<>(request.getEntriesCount());
    // Independent entries refused as bad input, by position; the others go to the log.
    EntryError[] refused = new EntryError[request.getEntriesCount()];
    Set<Integer> callIndexes = new HashSet<>();
    for (int i = 0; i < request.getEntriesCount(); i++) {
      BatchEntry entry = request.getEntries(i);
      int callIndex = entry.hasCallIndex() ? entry.getCallIndex() : i;
      if (!callIndexes.add(callIndex)) {
        throw GrpcErrors.invalidArgument(
            "batch entries " + i + " and an earlier one have the same call_index " + callIndex);
      }
      try {
        if (request.getIndependent()) {
          // write() checks keys too, but for the whole batch; here a bad one fails alone.
          ShardRouter.validateKey(entry.getKey().toByteArray());
        }
        ops.add(batchOp(kind, entry, callIndex));
      } catch (StatusRuntimeException e) {
        if (!request.getIndependent() || e.getStatus().getCode() != Status.Code.INVALID_ARGUMENT) {
          throw e;
        }
        refused[i] =
            EntryError.newBuilder()
                .setCode(e.getStatus().getCode().value())
                .setMessage(String.valueOf(e.getStatus().getDescription()))
                .build();
      }
    }
    CompletableFuture<BatchResponse> applied =
        ops.isEmpty()
            ? CompletableFuture.completedFuture(BatchResponse.getDefaultInstance())
            : write(request.getKeyspace(), ops, kind == KeyOp.Kind.PUT, request.getRequestId())
                .thenApply(toResponse);
    return applied.thenApply(answer -> withRefused(answer, refused));
  }

  /** Puts each refused entry's error at its place among the results of the entries applied. */
  private static BatchResponse withRefused(BatchResponse applied, EntryError[] refused) {
    if (applied.getResultsCount() == refused.length) {
      return applied; // nothing refused
    }
    BatchResponse.Builder out = BatchResponse.newBuilder();
    int next = 0;
    for (EntryError error : refused) {
      out.addResults(
          error != null
              ? BatchResult.newBuilder().setError(error).build()
              : applied.getResults(next++));
    }
    return out.build();
  }

  private KeyOp batchOp(KeyOp.Kind kind, BatchEntry entry, int callIndex) {
    if (kind != KeyOp.Kind.DELETE) {
      router.validateValue(
          entry.getPayload().size(), kind == KeyOp.Kind.PUT ? "value" : "argument");
    }
    KeyOp.Builder op =
        KeyOp.newBuilder().setKind(kind).setKey(entry.getKey()).setCallIndex(callIndex);
    if (kind != KeyOp.Kind.DELETE) {
      op.setPayload(entry.getPayload());
    }
    return op.build();
  }

  // ---------------------------------------------------------------- plumbing

  /**
   * Proposes {@code ops} (keys of one shard) on the shard's leader. Inputs are validated here,
   * before anything reaches the log, so bad input changes nothing.
   */
  private CompletableFuture<List<KeyResult>> write(
      String keyspace, List<KeyOp> ops, boolean needsBytesType, RequestId requestId) {
    // Validate everything before routing, so bad input gets the same answer on every node.
    String type = router.valueType(keyspace);
    if (needsBytesType && !BytesType.NAME.equals(type)) {
      throw GrpcErrors.failedPrecondition(
          "keyspace "
              + keyspace
              + " holds values of type "
              + type
              + "; put and compare-and-set need type bytes (use command)");
    }
    for (KeyOp op : ops) {
      ShardRouter.validateKey(op.getKey().toByteArray());
      if (op.getKind() == KeyOp.Kind.COMMAND) {
        validateCommand(type, op.getPayload());
      }
    }
    ShardStateMachine replica = router.leaderFor(keyspace, ops.get(0).getKey().toByteArray());
    for (KeyOp op : ops) {
      if (!replica.owns(op.getKey().toByteArray())) {
        throw GrpcErrors.shardError(
            ShardError.newBuilder()
                .setCode(ShardError.Code.EPOCH_MISMATCH)
                .setShardId(replica.shardId())
                .addCurrentShards(replica.state().getShard())
                .build(),
            "the keys of a batch must belong to one shard");
      }
    }
    ClientWrite.Builder write =
        ClientWrite.newBuilder().setOps(KeyOpBatch.newBuilder().addAllOps(ops));
    if (requestId != null && !requestId.getClientId().isEmpty()) {
      if (requestId.getClientId().size() != 16) {
        throw GrpcErrors.invalidArgument(
            "request_id.client_id must be 16 bytes, got " + requestId.getClientId().size());
      }
      write.setRequestId(requestId);
    }
    // A resend of a write the shard applied gets its first outcome, not a second apply: the state
    // machine finds the stored outcomes of its ops.
    return node.writeBatcher()
        .submit(replica.shardId(), write.build())
        .handle(
            (reply, failure) -> {
              if (failure == null) {
                return results(replica, reply);
              }
              Throwable cause =
                  failure instanceof java.util.concurrent.CompletionException
                          && failure.getCause() != null
                      ? failure.getCause()
                      : failure;
              if (cause instanceof WriteBatcher.NotCommitted notCommitted) {
                return results(replica, notCommitted.reply());
              }
              if (cause instanceof WriteBatcher.Overloaded overloaded) {
                throw GrpcErrors.shardError(
                    ShardError.newBuilder()
                        .setCode(ShardError.Code.SHARD_BUSY)
                        .setShardId(replica.shardId())
                        .build(),
                    overloaded.getMessage());
              }
              throw new java.util.concurrent.CompletionException(cause);
            });
  }

  private void validateCommand(String typeName, ByteString argument) {
    RawValueType type =
        node.types()
            .find(typeName)
            .orElseThrow(
                () ->
                    GrpcErrors.failedPrecondition(
                        "value type " + typeName + " is not loaded on this node"));
    try {
      type.validateCommand(argument.toByteArray());
    } catch (RuntimeException e) {
      throw GrpcErrors.invalidArgument(
          "malformed command for type " + typeName + ": " + e.getMessage());
    }
  }

  private CompletableFuture<List<KeyResult>> read(
      String keyspace, byte[] key, ReadConsistency consistency, ShardQuery query) {
    query.getKeysList().forEach(k -> ShardRouter.validateKey(k.toByteArray()));
    ShardStateMachine replica = router.replicaFor(keyspace, key);
    return read(replica, consistency, query).thenApply(KvServiceImpl::keyResults);
  }

  /**
   * The replica's answer to {@code query}: from its local state for STALE, else through ReadIndex
   * (or the lease) on the leader. Shard and op errors in the answer are thrown as gRPC statuses.
   */
  private CompletableFuture<ShardReply> read(
      ShardStateMachine replica, ReadConsistency consistency, ShardQuery query) {
    if (consistency == ReadConsistency.STALE) {
      try {
        return CompletableFuture.completedFuture(checked(replica, replica.answer(query)));
      } catch (IOException e) {
        return CompletableFuture.failedFuture(e);
      }
    }
    router.requireLeader(replica);
    return node.read(replica.shardId(), query).thenApply(reply -> checked(replica, reply));
  }

  @Override
  public void scan(ScanRequest request, StreamObserver<ScanResponse> response) {
    serve(
        response,
        request.getKeyspace(),
        () -> {
          byte[] start = request.getStart().toByteArray();
          byte[] end = request.getEnd().toByteArray();
          ShardRouter.validateScanBound(start, "start");
          ShardRouter.validateScanBound(end, "end");
          if (end.length > 0 && Arrays.compareUnsigned(start, end) >= 0) {
            throw GrpcErrors.invalidArgument("scan end must be after its start");
          }
          if (request.getLimit() > Limits.MAX_SCAN_PAGE_ENTRIES) {
            throw GrpcErrors.invalidArgument(
                "scan limit is "
                    + request.getLimit()
                    + "; the limit is "
                    + Limits.MAX_SCAN_PAGE_ENTRIES
                    + " per page");
          }
          ShardStateMachine replica = router.replicaForScan(request.getKeyspace(), start);
          ShardQuery query =
              ShardQuery.newBuilder()
                  .setKind(ShardQuery.Kind.SCAN)
                  .addKeys(request.getStart())
                  .setScanEnd(request.getEnd())
                  .setLimit(request.getLimit())
                  .build();
          return read(replica, request.getConsistency(), query)
              .thenApply(
                  reply -> {
                    if (!reply.hasScan()) {
                      throw GrpcErrors.unavailable("unexpected shard reply " + reply.getBodyCase());
                    }
                    return reply.getScan();
                  });
        });
  }

  private ShardReply checked(ShardStateMachine replica, RaftClientReply reply) {
    if (!reply.isSuccess()) {
      NotLeaderException notLeader = reply.getNotLeaderException();
      if (notLeader != null) {
        router.requireLeader(replica); // throws NOT_LEADER with the leader this node knows
      }
      throw GrpcErrors.shardError(
          ShardError.newBuilder()
              .setCode(ShardError.Code.SHARD_BUSY)
              .setShardId(replica.shardId())
              .build(),
          String.valueOf(reply.getException()));
    }
    return checked(replica, CleaveNode.parseReply(reply));
  }

  /** The key results of {@code reply}; a shard or op error in it is thrown as a gRPC status. */
  private List<KeyResult> results(ShardStateMachine replica, RaftClientReply reply) {
    return keyResults(checked(replica, reply));
  }

  /** The key results of {@code reply}; a shard or op error in it is thrown as a gRPC status. */
  private List<KeyResult> results(ShardStateMachine replica, ShardReply reply) {
    return keyResults(checked(replica, reply));
  }

  /** The key results of a reply already {@link #checked}. */
  private static List<KeyResult> keyResults(ShardReply checked) {
    if (!checked.hasResults()) {
      throw GrpcErrors.unavailable("unexpected shard reply " + checked.getBodyCase());
    }
    return checked.getResults().getResultsList();
  }

  /** {@code reply} itself, unless it is a shard or op error: then that error as a gRPC status. */
  private ShardReply checked(ShardStateMachine replica, ShardReply reply) {
    switch (reply.getBodyCase()) {
      case SHARD_ERROR:
        ShardError.Builder error = reply.getShardError().toBuilder();
        // After a split the child is on this node too: hand the client every local descriptor
        // of the keyspace so it repairs its cache in one step.
        String keyspace = replica.state().getKeyspaceName();
        for (ShardStateMachine other : node.localReplicas()) {
          if (other != replica
              && other.state() != null
              && !other.state().getRetired()
              && other.state().getKeyspaceName().equals(keyspace)) {
            error.addCurrentShards(other.state().getShard());
          }
        }
        throw GrpcErrors.shardError(
            error.build(), "routing changed for shard " + replica.shardId());
      case OP_ERROR:
        var op = reply.getOpError();
        throw switch (op.getCode()) {
          case FAILED_PRECONDITION -> GrpcErrors.failedPrecondition(op.getMessage());
          case INVALID_ARGUMENT -> GrpcErrors.invalidArgument(op.getMessage());
          default -> GrpcErrors.unavailable(op.getMessage());
        };
      default:
        return reply;
    }
  }

  /**
   * Runs a call to {@code keyspace} once this node's cluster map can route it ({@link
   * ShardRouter#refreshFor}): at once, on the calling thread, when the map knows the keyspace.
   */
  private <T> void serve(
      StreamObserver<T> observer, String keyspace, Supplier<CompletableFuture<T>> call) {
    CompletableFuture<Void> routable = router.refreshFor(keyspace);
    if (routable.isDone()) {
      serve(observer, call);
    } else {
      routable.whenCompleteAsync((ignored, failure) -> serve(observer, call), calls);
    }
  }

  /** Runs a call and completes the observer with its value or its mapped failure. */
  static <T> void serve(StreamObserver<T> observer, Supplier<CompletableFuture<T>> call) {
    CompletableFuture<T> future;
    try {
      future = call.get();
    } catch (RuntimeException e) {
      observer.onError(GrpcErrors.toStatus(e));
      return;
    }
    future.whenComplete(
        (value, failure) -> {
          if (failure != null) {
            observer.onError(GrpcErrors.toStatus(failure));
          } else {
            observer.onNext(value);
            observer.onCompleted();
          }
        });
  }
}
