package io.cleave.client;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import io.cleave.api.RoutingKeys;
import io.cleave.api.StatusProtos;
import io.cleave.api.v1.AdminServiceGrpc;
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
import io.cleave.api.v1.GetClusterMapRequest;
import io.cleave.api.v1.GetClusterMapResponse;
import io.cleave.api.v1.GetRequest;
import io.cleave.api.v1.GetResponse;
import io.cleave.api.v1.KeyspaceDescriptor;
import io.cleave.api.v1.KvServiceGrpc;
import io.cleave.api.v1.ListKeyspacesRequest;
import io.cleave.api.v1.ListKeyspacesResponse;
import io.cleave.api.v1.MultiBatchRequest;
import io.cleave.api.v1.MultiBatchResponse;
import io.cleave.api.v1.NodeDescriptor;
import io.cleave.api.v1.Partitioning;
import io.cleave.api.v1.PutRequest;
import io.cleave.api.v1.PutResponse;
import io.cleave.api.v1.QueryRequest;
import io.cleave.api.v1.QueryResponse;
import io.cleave.api.v1.ReadConsistency;
import io.cleave.api.v1.RegisterKeyspaceRequest;
import io.cleave.api.v1.RegisterKeyspaceResponse;
import io.cleave.api.v1.Replica;
import io.cleave.api.v1.RouteHint;
import io.cleave.api.v1.ShardDescriptor;
import io.cleave.api.v1.ShardError;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A cluster of fake nodes on grpc's in-process transport. The nodes share one "truth" (keyspaces,
 * shards, leaders, data) and check every request as the real server does: keyspace known, route
 * hint current, all keys in the hinted shard, node a replica, node the leader. What GetClusterMap
 * answers is a separate, published snapshot, so a test can change the truth behind the client's
 * back (move a leader, split a shard) and watch it find out.
 */
final class FakeCluster implements AutoCloseable {
  /** One request as a node saw it. */
  record Seen(String nodeId, String method, long hintedShard, int keys, String outcome) {}

  private final Map<String, Server> servers = new ConcurrentHashMap<>();
  private final Map<String, String> addresses = new LinkedHashMap<>();
  private final Map<String, KeyspaceDescriptor> keyspaces = new ConcurrentHashMap<>();
  private final List<ShardDescriptor> shards = new CopyOnWriteArrayList<>();
  private final Map<String, Stored> data = new ConcurrentHashMap<>();
  private final Map<Long, AtomicInteger> busy = new ConcurrentHashMap<>();
  private final Set<String> hangingWrites = ConcurrentHashMap.newKeySet();
  private final Set<String> hangingReads = ConcurrentHashMap.newKeySet();
  private final AtomicInteger lostPutAnswers = new AtomicInteger();
  private final AtomicInteger unavailableRegistrations = new AtomicInteger();
  private final AtomicInteger unavailableMapReads = new AtomicInteger();
  private final List<io.cleave.api.v1.RequestId> putRequestIds = new CopyOnWriteArrayList<>();
  private final List<BatchRequest> batchWrites = new CopyOnWriteArrayList<>();
  final List<Seen> seen = new CopyOnWriteArrayList<>();
  private final List<MultiBatchCall> multiBatchCalls = new CopyOnWriteArrayList<>();
  private volatile boolean multiBatch = true;
  final AtomicInteger mapRequests = new AtomicInteger();
  private volatile GetClusterMapResponse published = GetClusterMapResponse.getDefaultInstance();
  private volatile boolean leaderHints = true;
  private long mapVersion;
  private int nextKeyspaceId = 1;
  private long nextShardId = 100;

  private record Stored(ByteString value, long version) {}

  /** Starts nodes n1..nN at addresses "nI:700I". */
  static FakeCluster start(int nodes) {
    FakeCluster cluster = new FakeCluster();
    for (int i = 1; i <= nodes; i++) {
      cluster.addresses.put("n" + i, "n" + i + ":700" + i);
      cluster.startNode("n" + i);
    }
    return cluster;
  }

  /** A client whose channels go to these fake nodes; short backoff so tests run fast. */
  CleaveClient.Builder client() {
    return CleaveClient.builder()
        .endpoints(address("n1"))
        .defaultTimeout(Duration.ofSeconds(3))
        .backoff(Duration.ofMillis(5), Duration.ofMillis(50))
        .channelBuilder(a -> InProcessChannelBuilder.forName(a).directExecutor());
  }

  String address(String nodeId) {
    return addresses.get(nodeId);
  }

  void startNode(String nodeId) {
    try {
      servers.put(
          nodeId,
          InProcessServerBuilder.forName(address(nodeId))
              .directExecutor()
              .addService(new Kv(nodeId))
              .addService(new Admin())
              .build()
              .start());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The node goes away: calls to it fail with UNAVAILABLE and no detail. */
  void stopNode(String nodeId) {
    servers.remove(nodeId).shutdownNow();
  }

  // ------------------------------------------------------------------ truth changes

  /** A keyspace with one shard over the whole routing space, replicas n1..n3, leader n1. */
  synchronized KeyspaceDescriptor addKeyspace(String name, Partitioning partitioning) {
    return addKeyspace(name, partitioning, "bytes");
  }

  synchronized KeyspaceDescriptor addKeyspace(String name, Partitioning partitioning, String type) {
    KeyspaceDescriptor keyspace =
        KeyspaceDescriptor.newBuilder()
            .setId(nextKeyspaceId++)
            .setName(name)
            .setPartitioning(partitioning)
            .setValueType(type)
            .setReplicationFactor(3)
            .build();
    keyspaces.put(name, keyspace);
    shards.add(
        ShardDescriptor.newBuilder()
            .setShardId(nextShardId++)
            .setKeyspaceId(keyspace.getId())
            .setEpoch(1)
            .addAllReplicas(replicas("n1", "n2", "n3"))
            .setLeaderNodeId("n1")
            .build());
    return keyspace;
  }

  void removeKeyspace(String name) {
    KeyspaceDescriptor gone = keyspaces.remove(name);
    shards.removeIf(s -> s.getKeyspaceId() == gone.getId());
  }

  /**
   * Splits the shard at {@code at}; the right half gets a new id and {@code rightLeader}.
   *
   * @return {left, right}
   */
  synchronized List<ShardDescriptor> split(long shardId, byte[] at, String rightLeader) {
    ShardDescriptor old = shard(shardId);
    ShardDescriptor left =
        old.toBuilder().setEnd(ByteString.copyFrom(at)).setEpoch(old.getEpoch() + 1).build();
    ShardDescriptor right =
        old.toBuilder()
            .setShardId(nextShardId++)
            .setStart(ByteString.copyFrom(at))
            .setEpoch(old.getEpoch() + 1)
            .setLeaderNodeId(rightLeader)
            .build();
    shards.remove(old);
    shards.add(left);
    shards.add(right);
    return List.of(left, right);
  }

  synchronized ShardDescriptor merge(long leftId, long rightId) {
    ShardDescriptor left = shard(leftId);
    ShardDescriptor right = shard(rightId);
    ShardDescriptor merged =
        left.toBuilder().setEnd(right.getEnd()).setEpoch(left.getEpoch() + 1).build();
    shards.remove(left);
    shards.remove(right);
    shards.add(merged);
    return merged;
  }

  synchronized void moveLeader(long shardId, String nodeId) {
    ShardDescriptor old = shard(shardId);
    shards.set(shards.indexOf(old), old.toBuilder().setLeaderNodeId(nodeId).build());
  }

  /** Makes GetClusterMap answer the current truth. */
  synchronized void publishMap() {
    GetClusterMapResponse.Builder map = GetClusterMapResponse.newBuilder().setVersion(++mapVersion);
    addresses.forEach(
        (id, address) ->
            map.addNodes(
                NodeDescriptor.newBuilder().setNodeId(id).setClientAddress(address).build()));
    map.addAllKeyspaces(keyspaces.values()).addAllShards(shards);
    published = map.build();
  }

  void leaderHints(boolean on) {
    leaderHints = on;
  }

  /** One MultiBatch call a node saw: where, and how many batches it carried. */
  record MultiBatchCall(String nodeId, int batches) {}

  /** Whether nodes serve MultiBatch (off: they answer UNIMPLEMENTED, as older versions do). */
  void multiBatch(boolean on) {
    multiBatch = on;
  }

  /** Every MultiBatch call served, in order. */
  List<MultiBatchCall> multiBatchCalls() {
    return List.copyOf(multiBatchCalls);
  }

  /** The next {@code times} requests to the shard answer SHARD_BUSY. */
  void busy(long shardId, int times) {
    busy.put(shardId, new AtomicInteger(times));
  }

  /**
   * The next {@code times} puts are applied but answered UNAVAILABLE without detail, as when the
   * connection breaks after the node received the request.
   */
  void loseAnswersOfPuts(int times) {
    lostPutAnswers.set(times);
  }

  /**
   * The next {@code times} keyspace registrations, on any node, are refused UNAVAILABLE, as a meta
   * leader that just took over refuses them until it has heard from the nodes.
   */
  void refuseRegistrations(int times) {
    unavailableRegistrations.set(times);
  }

  /**
   * The next {@code times} cluster-map reads, on any node, are refused UNAVAILABLE, as while the
   * meta shard elects a leader.
   */
  void refuseMapReads(int times) {
    unavailableMapReads.set(times);
  }

  /** The request ids of every put that reached a node, in order. */
  List<io.cleave.api.v1.RequestId> putRequestIds() {
    return putRequestIds;
  }

  /** Every batch write that reached a node, in order. */
  List<BatchRequest> batchWrites() {
    return batchWrites;
  }

  /** Writes reaching this node are never answered (reads still are). */
  void hangWrites(String nodeId) {
    hangingWrites.add(nodeId);
  }

  /** Reads reaching this node are never answered. */
  void hangReads(String nodeId) {
    hangingReads.add(nodeId);
  }

  ShardDescriptor shard(long shardId) {
    return shards.stream().filter(s -> s.getShardId() == shardId).findFirst().orElseThrow();
  }

  List<ShardDescriptor> shards(String keyspace) {
    int id = keyspaces.get(keyspace).getId();
    return shards.stream().filter(s -> s.getKeyspaceId() == id).toList();
  }

  /** The shard that owns {@code key} now. */
  ShardDescriptor owner(String keyspace, Bytes key) {
    KeyspaceDescriptor ks = keyspaces.get(keyspace);
    byte[] routing = RoutingKeys.routingKey(ks.getPartitioning(), key.toByteArray());
    return ownerOf(ks.getId(), routing);
  }

  /** KvService requests seen, in order, without the map requests. */
  List<Seen> requests() {
    return List.copyOf(seen);
  }

  @Override
  public void close() {
    servers.values().forEach(Server::shutdownNow);
  }

  private ShardDescriptor ownerOf(int keyspaceId, byte[] routing) {
    for (ShardDescriptor s : shards) {
      if (s.getKeyspaceId() == keyspaceId
          && RoutingKeys.inRange(routing, s.getStart().toByteArray(), s.getEnd().toByteArray())) {
        return s;
      }
    }
    throw new IllegalStateException("no shard owns the key");
  }

  private static List<Replica> replicas(String... ids) {
    List<Replica> out = new ArrayList<>();
    for (String id : ids) {
      out.add(Replica.newBuilder().setNodeId(id).build());
    }
    return out;
  }

  private static StatusRuntimeException shardError(ShardError error) {
    return StatusProto.toStatusRuntimeException(
        com.google.rpc.Status.newBuilder()
            .setCode(Status.Code.UNAVAILABLE.value())
            .setMessage(error.getCode().name())
            .addDetails(Any.pack(error))
            .build());
  }

  private static long int64(ByteString bytes) {
    if (bytes.size() != Long.BYTES) {
      throw Status.INVALID_ARGUMENT.withDescription("expected 8 bytes").asRuntimeException();
    }
    return bytes.asReadOnlyByteBuffer().getLong();
  }

  private static ByteString int64(long value) {
    return ByteString.copyFrom(ByteBuffer.allocate(Long.BYTES).putLong(value).array());
  }

  /** One node's KvService: the routing checks, then the data. */
  private final class Kv extends KvServiceGrpc.KvServiceImplBase {
    private final String nodeId;

    Kv(String nodeId) {
      this.nodeId = nodeId;
    }

    /**
     * Runs the real server's checks, then {@code answer}. Returns the keyspace id via the data key
     * prefix; throws the status a node would answer.
     */
    /** As the real node: a STALE read is answered by any replica, everything else by the leader. */
    private <A> void serve(
        String method,
        String keyspace,
        List<ByteString> keys,
        RouteHint hint,
        boolean write,
        boolean anyReplica,
        StreamObserver<A> out,
        Supplier<A> answer) {
      String outcome = "OK";
      try {
        KeyspaceDescriptor ks = keyspaces.get(keyspace);
        if (ks == null) {
          throw Status.NOT_FOUND.withDescription("keyspace " + keyspace).asRuntimeException();
        }
        Set<ShardDescriptor> owners = new HashSet<>();
        for (ByteString key : keys) {
          owners.add(
              ownerOf(ks.getId(), RoutingKeys.routingKey(ks.getPartitioning(), key.toByteArray())));
        }
        ShardDescriptor owner = owners.iterator().next();
        if (owners.size() > 1
            || owner.getShardId() != hint.getShardId()
            || owner.getEpoch() != hint.getEpoch()) {
          throw shardError(
              ShardError.newBuilder()
                  .setCode(ShardError.Code.EPOCH_MISMATCH)
                  .setShardId(hint.getShardId())
                  .addAllCurrentShards(shards(keyspace))
                  .build());
        }
        if (owner.getReplicasList().stream().noneMatch(r -> r.getNodeId().equals(nodeId))) {
          throw shardError(
              ShardError.newBuilder()
                  .setCode(ShardError.Code.SHARD_NOT_FOUND)
                  .addCurrentShards(owner)
                  .build());
        }
        if (!anyReplica && !owner.getLeaderNodeId().equals(nodeId)) {
          ShardError.Builder error = ShardError.newBuilder().setCode(ShardError.Code.NOT_LEADER);
          if (leaderHints) {
            error
                .setLeaderNodeId(owner.getLeaderNodeId())
                .setLeaderAddress(address(owner.getLeaderNodeId()));
          }
          throw shardError(error.build());
        }
        AtomicInteger busyLeft = busy.get(owner.getShardId());
        if (busyLeft != null && busyLeft.getAndDecrement() > 0) {
          throw shardError(ShardError.newBuilder().setCode(ShardError.Code.SHARD_BUSY).build());
        }
        if ((write ? hangingWrites : hangingReads).contains(nodeId)) {
          outcome = "HUNG";
          return; // never answered: the client's deadline decides
        }
        A response = answer.get();
        out.onNext(response);
        out.onCompleted();
      } catch (StatusRuntimeException e) {
        outcome = e.getStatus().getCode() + " " + e.getStatus().getDescription();
        out.onError(e);
      } finally {
        seen.add(new Seen(nodeId, method, hint.getShardId(), keys.size(), outcome));
      }
    }

    private String dataKey(String keyspace, ByteString key) {
      return keyspaces.get(keyspace).getId() + "/" + key.toStringUtf8();
    }

    @Override
    public void get(GetRequest r, StreamObserver<GetResponse> out) {
      serve(
          "Get",
          r.getKeyspace(),
          List.of(r.getKey()),
          r.getRoute(),
          false,
          r.getConsistency() == ReadConsistency.STALE,
          out,
          () -> {
            Stored s = data.get(dataKey(r.getKeyspace(), r.getKey()));
            return s == null
                ? GetResponse.getDefaultInstance()
                : GetResponse.newBuilder()
                    .setFound(true)
                    .setValue(s.value)
                    .setVersion(s.version)
                    .build();
          });
    }

    @Override
    public void put(PutRequest r, StreamObserver<PutResponse> out) {
      putRequestIds.add(r.getRequestId());
      if (lostPutAnswers.getAndDecrement() > 0) {
        store(dataKey(r.getKeyspace(), r.getKey()), r.getValue());
        out.onError(Status.UNAVAILABLE.withDescription("connection reset").asRuntimeException());
        return;
      }
      serve(
          "Put",
          r.getKeyspace(),
          List.of(r.getKey()),
          r.getRoute(),
          true,
          false,
          out,
          () ->
              PutResponse.newBuilder()
                  .setVersion(store(dataKey(r.getKeyspace(), r.getKey()), r.getValue()))
                  .build());
    }

    @Override
    public void delete(DeleteRequest r, StreamObserver<DeleteResponse> out) {
      serve(
          "Delete",
          r.getKeyspace(),
          List.of(r.getKey()),
          r.getRoute(),
          true,
          false,
          out,
          () ->
              DeleteResponse.newBuilder()
                  .setDeleted(data.remove(dataKey(r.getKeyspace(), r.getKey())) != null)
                  .build());
    }

    @Override
    public void compareAndSet(CompareAndSetRequest r, StreamObserver<CompareAndSetResponse> out) {
      serve(
          "CompareAndSet",
          r.getKeyspace(),
          List.of(r.getKey()),
          r.getRoute(),
          true,
          false,
          out,
          () -> {
            String k = dataKey(r.getKeyspace(), r.getKey());
            synchronized (data) {
              Stored s = data.get(k);
              boolean holds =
                  switch (r.getExpectedCase()) {
                    case EXPECTED_VALUE -> s != null && s.value.equals(r.getExpectedValue());
                    case EXPECT_ABSENT -> s == null;
                    case EXPECTED_VERSION -> s != null && s.version == r.getExpectedVersion();
                    default -> throw Status.INVALID_ARGUMENT.asRuntimeException();
                  };
              if (holds) {
                if (r.getDelete()) {
                  data.remove(k);
                } else {
                  store(k, r.getNewValue());
                }
              }
              Stored now = data.get(k);
              CompareAndSetResponse.Builder b = CompareAndSetResponse.newBuilder();
              b.setSucceeded(holds);
              if (now != null) {
                b.setFound(true).setValue(now.value).setVersion(now.version);
              }
              return b.build();
            }
          });
    }

    @Override
    public void command(CommandRequest r, StreamObserver<CommandResponse> out) {
      serve(
          "Command",
          r.getKeyspace(),
          List.of(r.getKey()),
          r.getRoute(),
          true,
          false,
          out,
          () ->
              CommandResponse.newBuilder()
                  .setResult(add(dataKey(r.getKeyspace(), r.getKey()), r.getArgument()))
                  .build());
    }

    @Override
    public void query(QueryRequest r, StreamObserver<QueryResponse> out) {
      serve(
          "Query",
          r.getKeyspace(),
          List.of(r.getKey()),
          r.getRoute(),
          false,
          false,
          out,
          () -> {
            Stored s = data.get(dataKey(r.getKeyspace(), r.getKey()));
            return s == null
                ? QueryResponse.getDefaultInstance()
                : QueryResponse.newBuilder().setFound(true).setResult(s.value).build();
          });
    }

    @Override
    public void batch(BatchRequest r, StreamObserver<BatchResponse> out) {
      if (r.getKind() != BatchRequest.Kind.GET) {
        batchWrites.add(r);
      }
      List<ByteString> keys = r.getEntriesList().stream().map(BatchEntry::getKey).toList();
      serve(
          "Batch",
          r.getKeyspace(),
          keys,
          r.getRoute(),
          r.getKind() != BatchRequest.Kind.GET,
          false,
          out,
          () -> {
            BatchResponse.Builder b = BatchResponse.newBuilder();
            for (BatchEntry e : r.getEntriesList()) {
              String k = dataKey(r.getKeyspace(), e.getKey());
              BatchResult.Builder result = BatchResult.newBuilder();
              switch (r.getKind()) {
                case GET -> {
                  Stored s = data.get(k);
                  if (s != null) {
                    result.setFound(true).setPayload(s.value).setVersion(s.version);
                  }
                }
                case PUT -> result.setVersion(store(k, e.getPayload()));
                case DELETE -> result.setFound(data.remove(k) != null);
                case COMMAND -> result.setFound(true).setPayload(add(k, e.getPayload()));
                default -> throw Status.INVALID_ARGUMENT.asRuntimeException();
              }
              b.addResults(result);
            }
            return b.build();
          });
    }

    /** As the real node: each batch as its own Batch call, its outcome kept in its place. */
    @Override
    public void multiBatch(MultiBatchRequest r, StreamObserver<MultiBatchResponse> out) {
      if (!multiBatch) {
        out.onError(Status.UNIMPLEMENTED.withDescription("MultiBatch").asRuntimeException());
        return;
      }
      multiBatchCalls.add(new MultiBatchCall(nodeId, r.getBatchesCount()));
      MultiBatchResponse.Builder answer = MultiBatchResponse.newBuilder();
      for (BatchRequest batch : r.getBatchesList()) {
        batch(
            batch,
            new StreamObserver<>() {
              @Override
              public void onNext(BatchResponse value) {
                answer.addOutcomes(BatchOutcome.newBuilder().setResponse(value));
              }

              @Override
              public void onError(Throwable t) {
                answer.addOutcomes(BatchOutcome.newBuilder().setError(StatusProtos.of(t)));
              }

              @Override
              public void onCompleted() {}
            });
      }
      out.onNext(answer.build());
      out.onCompleted();
    }

    private long store(String key, ByteString value) {
      synchronized (data) {
        Stored old = data.get(key);
        Stored now = new Stored(value, old == null ? 1 : old.version + 1);
        data.put(key, now);
        return now.version;
      }
    }

    /** The counter type's command: adds the argument, returns the sum. */
    private ByteString add(String key, ByteString argument) {
      long delta = int64(argument);
      synchronized (data) {
        Stored old = data.get(key);
        long sum = (old == null ? 0 : int64(old.value)) + delta;
        store(key, int64(sum));
        return int64(sum);
      }
    }
  }

  /** AdminService: the published map, plus keyspace registration against the truth. */
  private final class Admin extends AdminServiceGrpc.AdminServiceImplBase {
    @Override
    public void getClusterMap(GetClusterMapRequest r, StreamObserver<GetClusterMapResponse> out) {
      mapRequests.incrementAndGet();
      if (unavailableMapReads.getAndDecrement() > 0) {
        out.onError(
            Status.UNAVAILABLE.withDescription("meta shard unavailable").asRuntimeException());
        return;
      }
      out.onNext(published);
      out.onCompleted();
    }

    @Override
    public void registerKeyspace(
        RegisterKeyspaceRequest r, StreamObserver<RegisterKeyspaceResponse> out) {
      if (unavailableRegistrations.getAndDecrement() > 0) {
        out.onError(
            Status.UNAVAILABLE.withDescription("no live nodes known yet").asRuntimeException());
        return;
      }
      if (keyspaces.containsKey(r.getName())) {
        out.onError(Status.ALREADY_EXISTS.withDescription(r.getName()).asRuntimeException());
        return;
      }
      KeyspaceDescriptor ks = addKeyspace(r.getName(), r.getPartitioning(), r.getValueType());
      publishMap();
      out.onNext(
          RegisterKeyspaceResponse.newBuilder()
              .setKeyspace(ks)
              .addAllShards(shards(r.getName()))
              .build());
      out.onCompleted();
    }

    @Override
    public void listKeyspaces(ListKeyspacesRequest r, StreamObserver<ListKeyspacesResponse> out) {
      out.onNext(ListKeyspacesResponse.newBuilder().addAllKeyspaces(keyspaces.values()).build());
      out.onCompleted();
    }
  }
}
