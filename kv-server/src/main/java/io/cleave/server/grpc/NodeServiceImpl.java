package io.cleave.server.grpc;

import com.google.protobuf.ByteString;
import io.cleave.api.v1.NodeDescriptor;
import io.cleave.internal.v1.DescribeReplicasRequest;
import io.cleave.internal.v1.EnsureReplicaRequest;
import io.cleave.internal.v1.EnsureReplicaResponse;
import io.cleave.internal.v1.FetchShardChunk;
import io.cleave.internal.v1.FetchShardRequest;
import io.cleave.internal.v1.KeyValue;
import io.cleave.internal.v1.NodeHeartbeat;
import io.cleave.internal.v1.NodeHeartbeatResponse;
import io.cleave.internal.v1.NodeServiceGrpc;
import io.cleave.internal.v1.ProposeRequest;
import io.cleave.internal.v1.RemoveReplicaRequest;
import io.cleave.internal.v1.RemoveReplicaResponse;
import io.cleave.internal.v1.ShardReply;
import io.cleave.internal.v1.ShardState;
import io.cleave.server.node.AdminException;
import io.cleave.server.node.CleaveNode;
import io.cleave.server.node.HeartbeatSender;
import io.cleave.server.node.PlacementLoop;
import io.cleave.server.shard.ShardStateMachine;
import io.cleave.server.storage.StorageKeys;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.ratis.protocol.RaftPeer;

/** Node-to-node calls: replica lifecycle, snapshot transfer, heartbeats, admin proposals. */
public final class NodeServiceImpl extends NodeServiceGrpc.NodeServiceImplBase {
  private static final int CHUNK_BYTES = 1024 * 1024;

  private final CleaveNode node;
  private final PlacementLoop loop;
  private final HeartbeatSender heartbeats;

  public NodeServiceImpl(CleaveNode node, PlacementLoop loop, HeartbeatSender heartbeats) {
    this.node = node;
    this.loop = loop;
    this.heartbeats = heartbeats;
  }

  @Override
  public void ensureReplica(
      EnsureReplicaRequest request, StreamObserver<EnsureReplicaResponse> response) {
    KvServiceImpl.serve(
        response,
        () -> {
          List<RaftPeer> peers = new ArrayList<>();
          for (int i = 0; i < request.getPeersCount(); i++) {
            NodeDescriptor peer = request.getPeers(i);
            peers.add(
                RaftPeer.newBuilder()
                    .setId(peer.getNodeId())
                    .setAddress(peer.getRaftAddress())
                    // No priorities: with a dead higher-priority peer Ratis elections wait a full
                    // timeout. Leaders are balanced by the placement loop instead.
                    .build());
          }
          try {
            node.ensureReplica(request.getState(), peers);
          } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
          } catch (AdminException e) {
            throw GrpcErrors.failedPrecondition(e.getMessage());
          }
          return CompletableFuture.completedFuture(EnsureReplicaResponse.getDefaultInstance());
        });
  }

  @Override
  public void removeReplica(
      RemoveReplicaRequest request, StreamObserver<RemoveReplicaResponse> response) {
    KvServiceImpl.serve(
        response,
        () -> {
          try {
            node.removeReplica(request.getShardId(), request.getDeleteData());
          } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
          }
          return CompletableFuture.completedFuture(RemoveReplicaResponse.getDefaultInstance());
        });
  }

  @Override
  public void heartbeat(NodeHeartbeat request, StreamObserver<NodeHeartbeatResponse> response) {
    if (!node.isMetaLeader()) {
      response.onError(
          GrpcErrors.failedPrecondition("node " + node.nodeId() + " does not lead the meta shard"));
      return;
    }
    loop.onHeartbeat(request);
    response.onNext(NodeHeartbeatResponse.getDefaultInstance());
    response.onCompleted();
  }

  @Override
  public void describeReplicas(
      DescribeReplicasRequest request, StreamObserver<NodeHeartbeat> response) {
    response.onNext(heartbeats.build());
    response.onCompleted();
  }

  @Override
  public void transferLeader(
      io.cleave.internal.v1.TransferLeaderRequest request,
      StreamObserver<io.cleave.internal.v1.TransferLeaderResponse> response) {
    KvServiceImpl.serve(
        response,
        () ->
            node.transferLeader(request.getShardId(), request.getToNodeId())
                .thenApply(
                    reply -> {
                      if (!reply.isSuccess()) {
                        throw GrpcErrors.unavailable(String.valueOf(reply.getException()));
                      }
                      return io.cleave.internal.v1.TransferLeaderResponse.getDefaultInstance();
                    }));
  }

  @Override
  public void propose(ProposeRequest request, StreamObserver<ShardReply> response) {
    KvServiceImpl.serve(
        response,
        () -> {
          if (!node.isLeader(request.getShardId())) {
            throw GrpcErrors.failedPrecondition(
                "node " + node.nodeId() + " does not lead shard " + request.getShardId());
          }
          return node.propose(request.getShardId(), request.getCommand())
              .thenApply(
                  reply -> {
                    if (!reply.isSuccess()) {
                      throw GrpcErrors.unavailable(String.valueOf(reply.getException()));
                    }
                    return CleaveNode.parseReply(reply);
                  });
        });
  }

  /**
   * Streams the shard's state, applied index and data from one consistent view of the store, in
   * chunks of about a megabyte.
   */
  @Override
  public void fetchShard(FetchShardRequest request, StreamObserver<FetchShardChunk> response) {
    ShardStateMachine replica = node.localReplica(request.getShardId()).orElse(null);
    if (replica == null) {
      response.onError(
          GrpcErrors.notFound(
              "no replica of shard " + request.getShardId() + " on " + node.nodeId()));
      return;
    }
    try {
      node.store()
          .read(
              view -> {
                try {
                  ShardState state =
                      ShardState.parseFrom(view.get(StorageKeys.stateKey(request.getShardId())));
                  byte[] appliedBytes = view.get(StorageKeys.appliedKey(request.getShardId()));
                  var applied = ShardStateMachine.decodeTermIndex(appliedBytes);
                  FetchShardChunk.Builder chunk =
                      FetchShardChunk.newBuilder()
                          .setState(state)
                          .setAppliedTerm(applied == null ? 0 : applied.getTerm())
                          .setAppliedIndex(applied == null ? 0 : applied.getIndex())
                          .setAppliedLogClockMillis(ShardStateMachine.decodeLogClock(appliedBytes));
                  int[] bytes = {0};
                  FetchShardChunk.Builder[] current = {chunk};
                  // The data and the stored write outcomes: a resend must find its first outcome
                  // on a replica that installed this copy too.
                  for (StorageKeys.Range range : StorageKeys.shardRanges(state.getShard())) {
                    view.scan(
                        range.start(),
                        range.end(),
                        (key, value) -> {
                          current[0].addEntries(
                              KeyValue.newBuilder()
                                  .setKey(ByteString.copyFrom(key))
                                  .setValue(ByteString.copyFrom(value)));
                          bytes[0] += key.length + value.length;
                          if (bytes[0] >= CHUNK_BYTES) {
                            response.onNext(current[0].build());
                            current[0] = FetchShardChunk.newBuilder();
                            bytes[0] = 0;
                          }
                          return true;
                        });
                  }
                  response.onNext(current[0].build());
                  return null;
                } catch (IOException e) {
                  throw new java.io.UncheckedIOException(e);
                }
              });
      response.onCompleted();
    } catch (RuntimeException e) {
      response.onError(GrpcErrors.toStatus(e));
    }
  }
}
