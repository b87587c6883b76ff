package io.cleave.server.node;

import com.google.common.primitives.Longs;
import com.google.protobuf.ByteString;
import io.cleave.api.Limits;
import io.cleave.api.RoutingKeys;
import io.cleave.api.types.BytesType;
import io.cleave.api.v1.DescribeKeyspaceResponse;
import io.cleave.api.v1.KeyspaceDescriptor;
import io.cleave.api.v1.Partitioning;
import io.cleave.api.v1.RegisterKeyspaceRequest;
import io.cleave.api.v1.RegisterKeyspaceResponse;
import io.cleave.api.v1.Replica;
import io.cleave.api.v1.ShardDescriptor;
import io.cleave.api.v1.ShardStats;
import io.cleave.api.v1.ShardStatus;
import io.cleave.api.v1.SplitMergePolicy;
import io.cleave.internal.v1.ClusterMap;
import io.cleave.internal.v1.MetaCommand;
import io.cleave.internal.v1.MetaResult;
import io.cleave.internal.v1.RegisterKeyspace;
import io.cleave.server.meta.ClusterMapType;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Keyspace registration, removal and description, run on the meta leader. The decisions — shard
 * ranges, replica nodes, ids — are made here and carried in the meta command.
 */
public final class KeyspaceManager {
  private static final int MAX_INITIAL_SHARDS = 1024;

  private final CleaveNode node;
  private final PlacementLoop loop;

  public KeyspaceManager(CleaveNode node, PlacementLoop loop) {
    this.node = node;
    this.loop = loop;
  }

  public RegisterKeyspaceResponse register(RegisterKeyspaceRequest request) {
    validate(request);
    String type = request.getValueType().isEmpty() ? BytesType.NAME : request.getValueType();
    if (node.types().find(type).isEmpty()
        || type.equals(io.cleave.server.meta.ClusterMapType.NAME)) {
      throw new AdminException(
          AdminException.Kind.INVALID_ARGUMENT,
          "unknown value type '" + type + "'; this node knows " + userTypes());
    }
    Partitioning partitioning =
        request.getPartitioning() == Partitioning.PARTITIONING_UNSPECIFIED
            ? Partitioning.HASH
            : request.getPartitioning();
    List<ByteString[]> ranges = ranges(request, partitioning);
    for (int attempt = 0; ; attempt++) {
      ClusterMap map = readMap();
      // A meta leader that just took over learns which nodes live from their next heartbeats;
      // wait for them (briefly) so the keyspace gets every replica it asks for.
      waitUntil(() -> loop.heardFromEveryAliveNode(map), withinCallerDeadline(5_000));
      if (ClusterMapType.keyspace(map, request.getName()) != null) {
        throw new AdminException(
            AdminException.Kind.ALREADY_EXISTS,
            "keyspace '" + request.getName() + "' already exists");
      }
      List<String> live = loop.liveNodes(map);
      if (live.isEmpty()) {
        throw new AdminException(
            AdminException.Kind.UNAVAILABLE, "no live nodes known yet; retry in a moment");
      }
      int replication =
          Math.min(
              request.getReplicationFactor() == 0 ? 3 : request.getReplicationFactor(),
              live.size());
      KeyspaceDescriptor keyspace =
          KeyspaceDescriptor.newBuilder()
              .setId(map.getNextKeyspaceId())
              .setName(request.getName())
              .setValueType(type)
              .setPartitioning(partitioning)
              .setReplicationFactor(replication)
              .setPolicy(request.getPolicy())
              .build();
      List<ShardDescriptor> shards = place(map, keyspace, ranges, live, replication);
      MetaResult result =
          await(
              node.proposeMeta(
                  MetaCommand.newBuilder()
                      .setRegisterKeyspace(
                          RegisterKeyspace.newBuilder().setKeyspace(keyspace).addAllShards(shards))
                      .build()));
      if (result.getOk()) {
        for (ShardDescriptor shard : shards) {
          for (Replica replica : shard.getReplicasList()) {
            loop.sendEnsureReplica(result.getMap(), keyspace, shard, replica.getNodeId());
          }
        }
        // The keyspace exists from here on; waiting for its first leaders only spares the first
        // requests a retry, so it must never cost the caller an answer. It ends before the
        // caller's deadline, and when this node stops leading the meta shard (the heartbeats
        // that report leaders then go to the new meta leader).
        waitUntil(
            () ->
                !node.isMetaLeader()
                    || loop.reportedLeaders()
                        .keySet()
                        .containsAll(shards.stream().map(ShardDescriptor::getShardId).toList()),
            withinCallerDeadline(20_000));
        return RegisterKeyspaceResponse.newBuilder()
            .setKeyspace(keyspace)
            .addAllShards(withLeaders(shards))
            .build();
      }
      if (result.getError().contains("already exists")) {
        throw new AdminException(AdminException.Kind.ALREADY_EXISTS, result.getError());
      }
      if (attempt >= 5) {
        throw new AdminException(AdminException.Kind.UNAVAILABLE, result.getError());
      }
    }
  }

  private String userTypes() {
    return node.types().names().stream()
        .filter(n -> !n.equals(io.cleave.server.meta.ClusterMapType.NAME))
        .toList()
        .toString();
  }

  private List<ShardDescriptor> withLeaders(List<ShardDescriptor> shards) {
    Map<Long, String> leaders = loop.reportedLeaders();
    return shards.stream()
        .map(
            s ->
                leaders.containsKey(s.getShardId())
                    ? s.toBuilder().setLeaderNodeId(leaders.get(s.getShardId())).build()
                    : s)
        .toList();
  }

  private static void validate(RegisterKeyspaceRequest request) {
    String name = request.getName();
    if (!name.matches("[A-Za-z0-9][A-Za-z0-9_.-]*")
        || name.length() > Limits.MAX_KEYSPACE_NAME_CHARS) {
      throw invalid(
          "keyspace name must be 1-"
              + Limits.MAX_KEYSPACE_NAME_CHARS
              + " letters, digits, '_', '.' or '-', starting with a letter or digit: '"
              + name
              + "'");
    }
    if (request.getInitialShards() > MAX_INITIAL_SHARDS) {
      throw invalid("initial shards must be at most " + MAX_INITIAL_SHARDS);
    }
    if (request.getReplicationFactor() > 7) {
      throw invalid("replication factor must be at most 7");
    }
    SplitMergePolicy policy = request.getPolicy();
    if (policy.getMinShards() > 0
        && policy.getMaxShards() > 0
        && policy.getMinShards() > policy.getMaxShards()) {
      throw invalid(
          "min_shards ("
              + policy.getMinShards()
              + ") exceeds max_shards ("
              + policy.getMaxShards()
              + ")");
    }
    if (policy.getMergeThresholdRatio() < 0 || policy.getMergeThresholdRatio() >= 1) {
      throw invalid("merge_threshold_ratio must be in [0, 1): " + policy.getMergeThresholdRatio());
    }
    boolean anyLimit =
        policy.getMaxKeysPerShard() > 0
            || policy.getMaxSizePerShard() > 0
            || policy.getMaxLoadPerShard() > 0;
    if (anyLimit && policy.getMaxShards() == 0) {
      throw invalid("a policy with split limits needs max_shards");
    }
    int initial = Math.max(1, request.getInitialShards());
    if (policy.getMaxShards() > 0 && initial > policy.getMaxShards()) {
      throw invalid(
          "initial shards (" + initial + ") exceed max_shards (" + policy.getMaxShards() + ")");
    }
  }

  private static AdminException invalid(String message) {
    return new AdminException(AdminException.Kind.INVALID_ARGUMENT, message);
  }

  /** The initial shards' routing ranges: HASH cuts the hash space evenly, RANGE at split keys. */
  static List<ByteString[]> ranges(RegisterKeyspaceRequest request, Partitioning partitioning) {
    List<ByteString> cuts = new ArrayList<>();
    if (partitioning == Partitioning.HASH) {
      if (request.getSplitKeysCount() > 0) {
        throw invalid("split_keys are for RANGE keyspaces; HASH keyspaces are cut evenly");
      }
      int n = Math.max(1, request.getInitialShards());
      long step = Long.divideUnsigned(-1L, n);
      for (int i = 1; i < n; i++) {
        cuts.add(ByteString.copyFrom(Longs.toByteArray(step * i)));
      }
    } else {
      cuts.addAll(request.getSplitKeysList());
      int n = request.getInitialShards();
      if (n != 0 && n != cuts.size() + 1) {
        throw invalid(
            "a RANGE keyspace with " + n + " initial shards needs " + (n - 1) + " split keys");
      }
      for (int i = 0; i < cuts.size(); i++) {
        if (cuts.get(i).isEmpty()
            || (i > 0
                && RoutingKeys.compare(cuts.get(i - 1).toByteArray(), cuts.get(i).toByteArray())
                    >= 0)) {
          throw invalid("split keys must be non-empty and strictly ascending");
        }
      }
    }
    List<ByteString[]> ranges = new ArrayList<>();
    ByteString start = ByteString.EMPTY;
    for (ByteString cut : cuts) {
      ranges.add(new ByteString[] {start, cut});
      start = cut;
    }
    ranges.add(new ByteString[] {start, ByteString.EMPTY});
    return ranges;
  }

  /**
   * Chooses replica nodes: the nodes with the fewest replicas first, never two replicas of a shard
   * on one node, and the first replica (the preferred leader) rotating over the nodes.
   */
  private static List<ShardDescriptor> place(
      ClusterMap map,
      KeyspaceDescriptor keyspace,
      List<ByteString[]> ranges,
      List<String> live,
      int replication) {
    Map<String, Integer> replicasOn = new HashMap<>();
    Map<String, Integer> preferredOn = new HashMap<>();
    live.forEach(
        n -> {
          replicasOn.put(n, 0);
          preferredOn.put(n, 0);
        });
    for (ShardDescriptor shard : map.getShardsList()) {
      for (int i = 0; i < shard.getReplicasCount(); i++) {
        String id = shard.getReplicas(i).getNodeId();
        replicasOn.computeIfPresent(id, (k, v) -> v + 1);
        if (i == 0) {
          preferredOn.computeIfPresent(id, (k, v) -> v + 1);
        }
      }
    }
    List<ShardDescriptor> shards = new ArrayList<>();
    long nextId = map.getNextShardId();
    for (ByteString[] range : ranges) {
      List<String> chosen = new ArrayList<>();
      String leader =
          live.stream()
              .min(
                  Comparator.comparing((String n) -> preferredOn.get(n))
                      .thenComparing(n -> replicasOn.get(n))
                      .thenComparing(n -> n))
              .orElseThrow();
      chosen.add(leader);
      live.stream()
          .filter(n -> !n.equals(leader))
          .sorted(Comparator.comparing((String n) -> replicasOn.get(n)).thenComparing(n -> n))
          .limit(replication - 1)
          .forEach(chosen::add);
      chosen.forEach(n -> replicasOn.merge(n, 1, Integer::sum));
      preferredOn.merge(leader, 1, Integer::sum);
      ShardDescriptor.Builder shard =
          ShardDescriptor.newBuilder()
              .setShardId(nextId++)
              .setKeyspaceId(keyspace.getId())
              .setStart(range[0])
              .setEnd(range[1])
              .setEpoch(1);
      chosen.forEach(n -> shard.addReplicas(Replica.newBuilder().setNodeId(n)));
      shards.add(shard.build());
    }
    return shards;
  }

  public void deregister(String name) {
    ClusterMap map = readMap();
    KeyspaceDescriptor keyspace = ClusterMapType.keyspace(map, name);
    if (keyspace == null || keyspace.getDeleting()) {
      throw new AdminException(
          AdminException.Kind.NOT_FOUND, "keyspace '" + name + "' does not exist");
    }
    MetaResult result =
        await(
            node.proposeMeta(
                MetaCommand.newBuilder().setDeregisterKeyspaceId(keyspace.getId()).build()));
    if (!result.getOk()) {
      throw new AdminException(AdminException.Kind.NOT_FOUND, result.getError());
    }
    // Wait until every node dropped its replicas and the map forgot the keyspace, so the name can
    // be reused as soon as this returns.
    if (!waitUntil(
        () -> readMap().getKeyspacesList().stream().noneMatch(k -> k.getId() == keyspace.getId()),
        60_000)) {
      throw new AdminException(
          AdminException.Kind.UNAVAILABLE,
          "keyspace '" + name + "' is marked deleted; some nodes still hold its replicas");
    }
  }

  public DescribeKeyspaceResponse describe(String name) {
    ClusterMap map = readMap();
    KeyspaceDescriptor keyspace = ClusterMapType.keyspace(map, name);
    if (keyspace == null) {
      throw new AdminException(
          AdminException.Kind.NOT_FOUND, "keyspace '" + name + "' does not exist");
    }
    Map<Long, ShardStats> stats = loop.latestStats();
    Map<Long, String> leaders = loop.reportedLeaders();
    DescribeKeyspaceResponse.Builder out =
        DescribeKeyspaceResponse.newBuilder().setKeyspace(keyspace);
    map.getShardsList().stream()
        .filter(s -> s.getKeyspaceId() == keyspace.getId())
        .sorted(
            (a, b) -> RoutingKeys.compare(a.getStart().toByteArray(), b.getStart().toByteArray()))
        .forEach(
            s -> {
              ShardDescriptor shard =
                  leaders.containsKey(s.getShardId())
                      ? s.toBuilder().setLeaderNodeId(leaders.get(s.getShardId())).build()
                      : s;
              ShardStatus.Builder status = ShardStatus.newBuilder().setShard(shard);
              if (stats.containsKey(s.getShardId())) {
                status.setStats(stats.get(s.getShardId()));
              }
              ByteString hot = loop.hotKeys().get(s.getShardId());
              if (hot != null) {
                status.setHotRoutingKey(hot);
              }
              out.addShards(status);
            });
    return out.build();
  }

  ClusterMap readMap() {
    return await(node.readMap());
  }

  static <T> T await(java.util.concurrent.CompletableFuture<T> future) {
    try {
      return future.get(15, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AdminException(AdminException.Kind.UNAVAILABLE, "interrupted");
    } catch (Exception e) {
      throw new AdminException(
          AdminException.Kind.UNAVAILABLE, "meta shard unavailable: " + e.getMessage());
    }
  }

  /**
   * {@code capMillis}, or less when the deadline of the admin call this thread serves (its gRPC
   * context) comes sooner: a second before it, so the caller gets the answer, not
   * DEADLINE_EXCEEDED.
   */
  static long withinCallerDeadline(long capMillis) {
    io.grpc.Deadline deadline = io.grpc.Context.current().getDeadline();
    if (deadline == null) {
      return capMillis;
    }
    return Math.max(0, Math.min(capMillis, deadline.timeRemaining(TimeUnit.MILLISECONDS) - 1000));
  }

  static boolean waitUntil(BooleanSupplier condition, long timeoutMillis) {
    long deadline = System.currentTimeMillis() + timeoutMillis;
    while (System.currentTimeMillis() < deadline) {
      try {
        if (condition.getAsBoolean()) {
          return true;
        }
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      } catch (AdminException e) {
        // The meta shard is briefly unavailable; keep waiting.
      }
    }
    return false;
  }
}
