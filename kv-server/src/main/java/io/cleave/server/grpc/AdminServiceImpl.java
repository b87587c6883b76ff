package io.cleave.server.grpc;

import io.cleave.api.v1.AdminServiceGrpc;
import io.cleave.api.v1.ClusterStatusRequest;
import io.cleave.api.v1.ClusterStatusResponse;
import io.cleave.api.v1.DeregisterKeyspaceRequest;
import io.cleave.api.v1.DeregisterKeyspaceResponse;
import io.cleave.api.v1.DescribeKeyspaceRequest;
import io.cleave.api.v1.DescribeKeyspaceResponse;
import io.cleave.api.v1.GetClusterMapRequest;
import io.cleave.api.v1.GetClusterMapResponse;
import io.cleave.api.v1.KeyspaceDescriptor;
import io.cleave.api.v1.ListKeyspacesRequest;
import io.cleave.api.v1.ListKeyspacesResponse;
import io.cleave.api.v1.MergeShardsRequest;
import io.cleave.api.v1.MergeShardsResponse;
import io.cleave.api.v1.RegisterKeyspaceRequest;
import io.cleave.api.v1.RegisterKeyspaceResponse;
import io.cleave.api.v1.SplitShardRequest;
import io.cleave.api.v1.SplitShardResponse;
import io.cleave.internal.v1.ClusterMap;
import io.cleave.server.node.AdminException;
import io.cleave.server.node.CleaveNode;
import io.cleave.server.node.KeyspaceManager;
import io.cleave.server.node.ShardOperations;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The admin API. Reads of the cluster map are answered by any node (a linearizable read of the meta
 * shard); changes run on the meta leader, and other nodes forward them there.
 */
public final class AdminServiceImpl extends AdminServiceGrpc.AdminServiceImplBase {
  private final CleaveNode node;
  private final KeyspaceManager keyspaces;
  private final ShardOperations shards;

  public AdminServiceImpl(CleaveNode node, KeyspaceManager keyspaces, ShardOperations shards) {
    this.node = node;
    this.keyspaces = keyspaces;
    this.shards = shards;
  }

  @Override
  public void registerKeyspace(
      RegisterKeyspaceRequest request, StreamObserver<RegisterKeyspaceResponse> response) {
    onMetaLeader(
        response, () -> keyspaces.register(request), stub -> stub.registerKeyspace(request));
  }

  @Override
  public void deregisterKeyspace(
      DeregisterKeyspaceRequest request, StreamObserver<DeregisterKeyspaceResponse> response) {
    onMetaLeader(
        response,
        () -> {
          keyspaces.deregister(request.getName());
          return DeregisterKeyspaceResponse.getDefaultInstance();
        },
        stub -> stub.deregisterKeyspace(request));
  }

  @Override
  public void describeKeyspace(
      DescribeKeyspaceRequest request, StreamObserver<DescribeKeyspaceResponse> response) {
    onMetaLeader(
        response,
        () -> keyspaces.describe(request.getName()),
        stub -> stub.describeKeyspace(request));
  }

  @Override
  public void splitShard(SplitShardRequest request, StreamObserver<SplitShardResponse> response) {
    onMetaLeader(
        response,
        () -> shards.split(request.getShardId(), request.getSplitAt()),
        stub -> stub.splitShard(request));
  }

  @Override
  public void mergeShards(
      MergeShardsRequest request, StreamObserver<MergeShardsResponse> response) {
    onMetaLeader(
        response,
        () -> shards.merge(request.getLeftShardId(), request.getRightShardId()),
        stub -> stub.mergeShards(request));
  }

  @Override
  public void listKeyspaces(
      ListKeyspacesRequest request, StreamObserver<ListKeyspacesResponse> response) {
    KvServiceImpl.serve(
        response,
        () ->
            node.readMap()
                .thenApply(
                    map ->
                        ListKeyspacesResponse.newBuilder()
                            .addAllKeyspaces(
                                map.getKeyspacesList().stream()
                                    .filter(k -> !k.getDeleting())
                                    .toList())
                            .build()));
  }

  @Override
  public void getClusterMap(
      GetClusterMapRequest request, StreamObserver<GetClusterMapResponse> response) {
    KvServiceImpl.serve(response, () -> node.readMap().thenApply(map -> clusterMap(map, request)));
  }

  private static GetClusterMapResponse clusterMap(ClusterMap map, GetClusterMapRequest request) {
    Set<String> wanted = new HashSet<>(request.getKeyspacesList());
    Set<Integer> ids = new HashSet<>();
    GetClusterMapResponse.Builder out =
        GetClusterMapResponse.newBuilder()
            .setVersion(map.getVersion())
            .addAllNodes(map.getNodesList());
    for (KeyspaceDescriptor k : map.getKeyspacesList()) {
      if (!k.getDeleting() && (wanted.isEmpty() || wanted.contains(k.getName()))) {
        out.addKeyspaces(k);
        ids.add(k.getId());
      }
    }
    map.getShardsList().stream()
        .filter(s -> ids.contains(s.getKeyspaceId()))
        .forEach(out::addShards);
    return out.build();
  }

  @Override
  public void clusterStatus(
      ClusterStatusRequest request, StreamObserver<ClusterStatusResponse> response) {
    KvServiceImpl.serve(
        response,
        () ->
            node.readMap()
                .thenApply(
                    map -> {
                      String leader = node.metaLeaderId();
                      return ClusterStatusResponse.newBuilder()
                          .setMapVersion(map.getVersion())
                          .addAllNodes(map.getNodesList())
                          .setMetaLeaderNodeId(leader == null ? "" : leader)
                          .setKeyspaceCount(
                              (int)
                                  map.getKeyspacesList().stream()
                                      .filter(k -> !k.getDeleting())
                                      .count())
                          .setShardCount(map.getShardsCount())
                          .build();
                    }));
  }

  /**
   * Runs {@code local} if this node leads the meta shard, else forwards the call to the node that
   * does. Blocking is fine: admin calls are rare and run on gRPC's executor.
   */
  private <T> void onMetaLeader(
      StreamObserver<T> response,
      Supplier<T> local,
      Function<AdminServiceGrpc.AdminServiceBlockingStub, T> forward) {
    KvServiceImpl.serve(
        response,
        () -> {
          try {
            if (node.isMetaLeader()) {
              return CompletableFuture.completedFuture(local.get());
            }
            String leader = node.metaLeaderId();
            if (leader == null || leader.equals(node.nodeId())) {
              node.readMap().orTimeout(5, TimeUnit.SECONDS).exceptionally(t -> null).join();
              leader = node.metaLeaderId();
            }
            String address =
                node.clientAddress(leader)
                    .orElseThrow(
                        () -> GrpcErrors.unavailable("the meta shard has no leader yet; retry"));
            // Not wait-for-ready: if the leader is unreachable the call fails with UNAVAILABLE
            // before it was sent, and the client asks another node. The caller's deadline
            // (propagated through the gRPC context) bounds the forwarded call.
            io.grpc.ManagedChannel channel = node.channelTo(address);
            return CompletableFuture.completedFuture(
                forward.apply(
                    AdminServiceGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(90, TimeUnit.SECONDS)));
          } catch (AdminException e) {
            throw toStatus(e);
          }
        });
  }

  private static StatusRuntimeException toStatus(AdminException e) {
    Status status =
        switch (e.kind()) {
          case INVALID_ARGUMENT -> Status.INVALID_ARGUMENT;
          case ALREADY_EXISTS -> Status.ALREADY_EXISTS;
          case NOT_FOUND -> Status.NOT_FOUND;
          case FAILED_PRECONDITION -> Status.FAILED_PRECONDITION;
          case UNAVAILABLE -> Status.UNAVAILABLE;
        };
    return status.withDescription(e.getMessage()).asRuntimeException();
  }
}
