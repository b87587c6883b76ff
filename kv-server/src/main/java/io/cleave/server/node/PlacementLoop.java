package io.cleave.server.node;

import com.google.protobuf.ByteString;
import io.cleave.api.RoutingKeys;
import io.cleave.api.v1.KeyspaceDescriptor;
import io.cleave.api.v1.NodeDescriptor;
import io.cleave.api.v1.ShardDescriptor;
import io.cleave.api.v1.ShardStats;
import io.cleave.internal.v1.ClusterMap;
import io.cleave.internal.v1.EnsureReplicaRequest;
import io.cleave.internal.v1.HostedReplica;
import io.cleave.internal.v1.MetaCommand;
import io.cleave.internal.v1.MetaResult;
import io.cleave.internal.v1.NodeHeartbeat;
import io.cleave.internal.v1.NodeServiceGrpc;
import io.cleave.internal.v1.RemoveReplicaRequest;
import io.cleave.internal.v1.ReplaceShards;
import io.cleave.internal.v1.SetLeaders;
import io.cleave.internal.v1.ShardState;
import io.cleave.placement.ClusterView;
import io.cleave.placement.LeaderBalancer;
import io.cleave.placement.PlacementOperation;
import io.cleave.placement.PlacementSettings;
import io.cleave.placement.SplitMergeDecider;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control loop that runs on the meta leader: it learns the nodes and their replicas from
 * heartbeats, and closes the gap between the cluster map and what the nodes host — registers nodes,
 * records shards that split or merged, creates missing replicas, removes replicas of deleted
 * keyspaces and of shards absorbed by a merge, and keeps leader hints fresh.
 *
 * <p>Every step is idempotent and driven by observed state, so a new meta leader simply carries on
 * where the old one stopped.
 */
public final class PlacementLoop {
  private static final Logger LOG = LoggerFactory.getLogger(PlacementLoop.class);

  private final CleaveNode node;
  private final Map<String, Received> heartbeats = new ConcurrentHashMap<>();

  /** (shard, node) pairs a create or remove was sent for, with when: retried after a pause. */
  private final Map<String, Long> recentlyAsked = new ConcurrentHashMap<>();

  private record Received(NodeHeartbeat heartbeat, long atMillis) {}

  private final PlacementSettings settings;
  private final java.util.concurrent.ExecutorService operationRunner;
  private final Set<PlacementOperation> inFlight = ConcurrentHashMap.newKeySet();
  private final Map<Long, ByteString> reportedHotKeys = new ConcurrentHashMap<>();
  private volatile ShardOperations operations;

  public PlacementLoop(CleaveNode node, PlacementSettings settings) {
    this.node = node;
    this.settings = settings;
    this.operationRunner =
        java.util.concurrent.Executors.newFixedThreadPool(
            settings.maxConcurrentOperations(),
            r -> {
              Thread t = new Thread(r, node.nodeId() + "-placement-op");
              t.setDaemon(true);
              return t;
            });
  }

  /** Lets the loop run the splits and merges its policy decides. */
  public void executeWith(ShardOperations operations) {
    this.operations = operations;
  }

  /** Stops running operations; the meta leader after this one carries on. */
  public void close() {
    operationRunner.shutdownNow();
  }

  /** Hot keys reported by the policy, by shard: a key too hot for any split to help. */
  public Map<Long, ByteString> hotKeys() {
    return Map.copyOf(reportedHotKeys);
  }

  /** Records a node's heartbeat; only meaningful on the meta leader. */
  public void onHeartbeat(NodeHeartbeat heartbeat) {
    heartbeats.put(
        heartbeat.getNode().getNodeId(), new Received(heartbeat, System.currentTimeMillis()));
  }

  /** Liveness window: a node silent for this long is marked dead. */
  private long deadAfterMillis() {
    return 4 * node.config().heartbeatInterval().toMillis()
        + 2 * node.config().electionTimeoutMin().toMillis();
  }

  /** The latest stats of each shard, from its leader's heartbeat. */
  public Map<Long, ShardStats> latestStats() {
    Map<Long, ShardStats> stats = new HashMap<>();
    for (Received r : heartbeats.values()) {
      for (HostedReplica replica : r.heartbeat().getReplicasList()) {
        if (replica.getLeader() && replica.hasStats()) {
          stats.put(replica.getShard().getShardId(), replica.getStats());
        }
      }
    }
    return stats;
  }

  /** Every node's replicas, as last reported. */
  public Map<String, List<HostedReplica>> hostedReplicas() {
    Map<String, List<HostedReplica>> hosted = new HashMap<>();
    heartbeats.forEach((nodeId, r) -> hosted.put(nodeId, r.heartbeat().getReplicasList()));
    return hosted;
  }

  /**
   * Node ids that lead each shard, as last reported. When two nodes claim a shard (a deposed or
   * dead leader's last heartbeat is still on file), the claim with the higher term wins, then the
   * more recent heartbeat.
   */
  public Map<Long, String> reportedLeaders() {
    Map<Long, String> leaders = new HashMap<>();
    Map<Long, long[]> claims = new HashMap<>(); // shard -> {term, heartbeat millis}
    for (Received r : heartbeats.values()) {
      for (HostedReplica replica : r.heartbeat().getReplicasList()) {
        long shardId = replica.getShard().getShardId();
        long[] best = claims.get(shardId);
        if (replica.getLeader()
            && (best == null
                || replica.getTerm() > best[0]
                || (replica.getTerm() == best[0] && r.atMillis() > best[1]))) {
          claims.put(shardId, new long[] {replica.getTerm(), r.atMillis()});
          leaders.put(shardId, r.heartbeat().getNode().getNodeId());
        }
      }
    }
    return leaders;
  }

  /** Runs one round; called periodically on every node, acts only on the meta leader. */
  public void tick() {
    if (!node.isMetaLeader()) {
      heartbeats.clear();
      leaderStartMillis = -1;
      return;
    }
    if (leaderStartMillis < 0) {
      leaderStartMillis = System.currentTimeMillis();
    }
    ClusterMap map;
    try {
      map = node.readMap().get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.debug("placement: cannot read the cluster map", e);
      return;
    }
    long now = System.currentTimeMillis();
    try {
      updateNodes(map, now);
      recordReportedShards(map);
      updateLeaderHints(map);
      map = node.cachedMap();
      createMissingReplicas(map, now);
      removeUnwantedReplicas(map, now);
      forgetDeletedKeyspaces(map);
      unstickFollowers(now);
      balanceLeaders(map, now);
      splitAndMerge(map, now);
    } catch (RuntimeException e) {
      LOG.warn("placement round failed", e);
    }
  }

  private void propose(MetaCommand command) {
    try {
      MetaResult result = node.proposeMeta(command).get(10, TimeUnit.SECONDS);
      if (!result.getOk()) {
        LOG.debug("placement: meta command refused: {}", result.getError());
      }
    } catch (Exception e) {
      LOG.debug("placement: meta command failed", e);
    }
  }

  private void updateNodes(ClusterMap map, long now) {
    Map<String, NodeDescriptor> known = new HashMap<>();
    map.getNodesList().forEach(n -> known.put(n.getNodeId(), n));
    for (Received r : heartbeats.values()) {
      NodeDescriptor reported = r.heartbeat().getNode();
      NodeDescriptor current = known.get(reported.getNodeId());
      boolean fresh = now - r.atMillis() < deadAfterMillis();
      if (fresh
          && (current == null
              || !current.getAlive()
              || !current.getClientAddress().equals(reported.getClientAddress())
              || !current.getRaftAddress().equals(reported.getRaftAddress()))) {
        LOG.info(
            "placement: node {} is alive at {}", reported.getNodeId(), reported.getClientAddress());
        propose(
            MetaCommand.newBuilder()
                .setUpsertNode(
                    reported.toBuilder().setAlive(true).setLastHeartbeatMillis(r.atMillis()))
                .build());
      }
    }
    for (NodeDescriptor n : map.getNodesList()) {
      Received r = heartbeats.get(n.getNodeId());
      // A new leader has heard from nobody yet: give every node one window before judging it.
      long lastHeard = r == null ? leaderStartMillis : r.atMillis();
      boolean silent = now - lastHeard > deadAfterMillis();
      if (n.getAlive() && silent) {
        LOG.warn("placement: node {} stopped sending heartbeats", n.getNodeId());
        propose(MetaCommand.newBuilder().setUpsertNode(n.toBuilder().setAlive(false)).build());
      }
    }
  }

  private volatile long leaderStartMillis = -1;

  /**
   * Replicas report their own descriptors; one with a newer epoch than the map's (a split or a
   * merge applied in the shard's log) replaces the map's overlapping shards of older epochs.
   */
  private void recordReportedShards(ClusterMap map) {
    Map<Long, ShardDescriptor> byId = new HashMap<>();
    map.getShardsList().forEach(s -> byId.put(s.getShardId(), s));
    Set<Integer> liveKeyspaces = new HashSet<>();
    map.getKeyspacesList().stream()
        .filter(k -> !k.getDeleting())
        .forEach(k -> liveKeyspaces.add(k.getId()));
    Map<Long, ShardDescriptor> newer = new HashMap<>();
    Set<Long> retired = new HashSet<>(map.getRetiredShardIdsList());
    for (Received r : heartbeats.values()) {
      for (HostedReplica replica : r.heartbeat().getReplicasList()) {
        ShardDescriptor reported = replica.getShard();
        if (replica.getRetired()
            || !liveKeyspaces.contains(reported.getKeyspaceId())
            || reported.getShardId() == 0) {
          continue;
        }
        if (replica.getFrozen()
            || retired.contains(reported.getShardId())
            || supersededInMap(map, reported)) {
          // A frozen or merged-away shard, or a heartbeat sent before the change the map
          // already holds: never let it back into the map.
          continue;
        }
        ShardDescriptor inMap = byId.get(reported.getShardId());
        ShardDescriptor seen = newer.get(reported.getShardId());
        if ((inMap == null || inMap.getEpoch() < reported.getEpoch())
            && (seen == null || seen.getEpoch() < reported.getEpoch())) {
          newer.put(reported.getShardId(), reported.toBuilder().clearLeaderNodeId().build());
        }
      }
    }
    for (ShardDescriptor reported : newer.values()) {
      ReplaceShards.Builder replace = ReplaceShards.newBuilder().addAdd(reported);
      for (ShardDescriptor existing : map.getShardsList()) {
        if (existing.getKeyspaceId() == reported.getKeyspaceId()
            && existing.getEpoch() < reported.getEpoch()
            && overlaps(existing, reported)) {
          replace.addRemove(existing);
        }
      }
      LOG.info(
          "placement: shard {} now {} at epoch {}",
          reported.getShardId(),
          range(reported),
          reported.getEpoch());
      propose(MetaCommand.newBuilder().setReplaceShards(replace).build());
    }
  }

  /** Whether another shard of the map overlaps {@code reported} at the same or a newer epoch. */
  private static boolean supersededInMap(ClusterMap map, ShardDescriptor reported) {
    return map.getShardsList().stream()
        .anyMatch(
            s ->
                s.getKeyspaceId() == reported.getKeyspaceId()
                    && s.getShardId() != reported.getShardId()
                    && s.getEpoch() >= reported.getEpoch()
                    && overlaps(s, reported));
  }

  static boolean overlaps(ShardDescriptor a, ShardDescriptor b) {
    return before(a.getStart(), b.getEnd()) && before(b.getStart(), a.getEnd());
  }

  /** start < end, where an empty end is the end of the routing space. */
  private static boolean before(ByteString start, ByteString end) {
    return end.isEmpty() || RoutingKeys.compare(start.toByteArray(), end.toByteArray()) < 0;
  }

  static String range(ShardDescriptor s) {
    return "[" + hex(s.getStart()) + ", " + (s.getEnd().isEmpty() ? "end" : hex(s.getEnd())) + ")";
  }

  static String hex(ByteString b) {
    StringBuilder out = new StringBuilder();
    for (byte x : b.toByteArray()) {
      out.append(String.format("%02x", x));
    }
    return out.toString();
  }

  private void updateLeaderHints(ClusterMap map) {
    Map<Long, String> leaders = reportedLeaders();
    SetLeaders.Builder changed = SetLeaders.newBuilder();
    for (ShardDescriptor shard : map.getShardsList()) {
      String leader = leaders.get(shard.getShardId());
      if (leader != null && !leader.equals(shard.getLeaderNodeId())) {
        changed.putLeaderByShard(shard.getShardId(), leader);
      }
    }
    if (changed.getLeaderByShardCount() > 0) {
      propose(MetaCommand.newBuilder().setSetLeaders(changed).build());
    }
  }

  private Set<Long> hostedOn(String nodeId) {
    Received r = heartbeats.get(nodeId);
    Set<Long> hosted = new HashSet<>();
    if (r != null) {
      r.heartbeat().getReplicasList().forEach(h -> hosted.add(h.getShard().getShardId()));
    }
    return hosted;
  }

  private void createMissingReplicas(ClusterMap map, long now) {
    Map<Integer, KeyspaceDescriptor> keyspaces = new HashMap<>();
    map.getKeyspacesList().forEach(k -> keyspaces.put(k.getId(), k));
    for (ShardDescriptor shard : map.getShardsList()) {
      KeyspaceDescriptor keyspace = keyspaces.get(shard.getKeyspaceId());
      if (keyspace == null || keyspace.getDeleting()) {
        continue;
      }
      for (var replica : shard.getReplicasList()) {
        String nodeId = replica.getNodeId();
        Received r = heartbeats.get(nodeId);
        if (r == null
            || now - r.atMillis() > deadAfterMillis()
            || hostedOn(nodeId).contains(shard.getShardId())) {
          continue;
        }
        if (askedRecently("create", shard.getShardId(), nodeId, now)) {
          continue;
        }
        sendEnsureReplica(map, keyspace, shard, nodeId);
      }
    }
  }

  /** Asks {@code nodeId} to create its replica of {@code shard}; returns at once. */
  void sendEnsureReplica(
      ClusterMap map, KeyspaceDescriptor keyspace, ShardDescriptor shard, String nodeId) {
    Optional<String> address = node.clientAddress(nodeId);
    if (address.isEmpty()) {
      return;
    }
    EnsureReplicaRequest.Builder request =
        EnsureReplicaRequest.newBuilder()
            .setState(
                ShardState.newBuilder()
                    .setShard(shard.toBuilder().clearLeaderNodeId())
                    .setKeyspaceName(keyspace.getName())
                    .setValueType(keyspace.getValueType())
                    .setPartitioning(keyspace.getPartitioning()));
    for (var replica : shard.getReplicasList()) {
      map.getNodesList().stream()
          .filter(n -> n.getNodeId().equals(replica.getNodeId()))
          .findFirst()
          .ifPresent(request::addPeers);
    }
    NodeServiceGrpc.newStub(node.channelTo(address.get()))
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .withWaitForReady()
        .ensureReplica(
            request.build(),
            logFailure("create replica of shard " + shard.getShardId() + " on " + nodeId));
  }

  private static <T> io.grpc.stub.StreamObserver<T> logFailure(String what) {
    return onFailure(what, () -> {});
  }

  /** Logs a failed call, then runs {@code then}. */
  private static <T> io.grpc.stub.StreamObserver<T> onFailure(String what, Runnable then) {
    return new io.grpc.stub.StreamObserver<>() {
      @Override
      public void onNext(T value) {}

      @Override
      public void onError(Throwable t) {
        LOG.warn("placement: cannot {}: {}", what, t.getMessage());
        then.run();
      }

      @Override
      public void onCompleted() {}
    };
  }

  private boolean askedRecently(String what, long shardId, String nodeId, long now) {
    String key = what + "/" + shardId + "/" + nodeId;
    Long at = recentlyAsked.get(key);
    if (at != null && now - at < 3_000) {
      return true;
    }
    recentlyAsked.put(key, now);
    return false;
  }

  /**
   * Removes replicas nobody wants: shards of deleted keyspaces (with their data), shards absorbed
   * by a merge (the data now belongs to the left shard), and shards of keyspaces that no longer
   * exist.
   */
  private void removeUnwantedReplicas(ClusterMap map, long now) {
    Set<Integer> liveKeyspaces = new HashSet<>();
    map.getKeyspacesList().stream()
        .filter(k -> !k.getDeleting())
        .forEach(k -> liveKeyspaces.add(k.getId()));
    for (Received r : heartbeats.values()) {
      String nodeId = r.heartbeat().getNode().getNodeId();
      for (HostedReplica replica : r.heartbeat().getReplicasList()) {
        ShardDescriptor shard = replica.getShard();
        if (shard.getShardId() == 0) {
          continue;
        }
        boolean keyspaceGone = !liveKeyspaces.contains(shard.getKeyspaceId());
        if ((keyspaceGone || replica.getRetired())
            && !askedRecently("remove", shard.getShardId(), nodeId, now)) {
          LOG.info("placement: removing replica of shard {} on {}", shard.getShardId(), nodeId);
          node.clientAddress(nodeId)
              .ifPresent(
                  address ->
                      NodeServiceGrpc.newStub(node.channelTo(address))
                          .withDeadlineAfter(30, TimeUnit.SECONDS)
                          .withWaitForReady()
                          .removeReplica(
                              RemoveReplicaRequest.newBuilder()
                                  .setShardId(shard.getShardId())
                                  .setDeleteData(keyspaceGone)
                                  .build(),
                              logFailure(
                                  "remove replica of shard "
                                      + shard.getShardId()
                                      + " on "
                                      + nodeId)));
        }
      }
    }
  }

  /**
   * Moves at most one leader per round, as {@link LeaderBalancer} chooses: leaders carry the write
   * and linearizable-read work, so their spread (per keyspace and per node) is the load spread.
   */
  private void balanceLeaders(ClusterMap map, long now) {
    List<String> live = liveNodes(map);
    Map<Long, String> leaders = reportedLeaders();
    List<LeaderBalancer.Leadership> shards = new ArrayList<>();
    for (ShardDescriptor shard : map.getShardsList()) {
      String leader = leaders.get(shard.getShardId());
      if (shard.getShardId() == 0 || leader == null) {
        continue;
      }
      Set<String> candidates =
          shard.getReplicasList().stream()
              .map(r -> r.getNodeId())
              .filter(n -> hostedOn(n).contains(shard.getShardId()))
              // A replica that does not keep up cannot take leadership (Ratis refuses a transfer
              // to a follower behind), and trying blocks the transfer that would unstick it.
              .filter(
                  n ->
                      n.equals(leader)
                          || !lagging.contains(FollowerProgress.key(shard.getShardId(), n)))
              .collect(Collectors.toSet());
      shards.add(
          new LeaderBalancer.Leadership(
              shard.getShardId(), shard.getKeyspaceId(), leader, candidates));
    }
    LeaderBalancer.nextMove(shards, live)
        .filter(move -> !askedRecently("leader", move.shardId(), move.to(), now))
        .ifPresent(
            move -> {
              LOG.info(
                  "placement: moving leader of shard {} from {} to {}",
                  move.shardId(),
                  move.from(),
                  move.to());
              transferLeader(move.shardId(), move.from(), move.to());
            });
  }

  /**
   * Asks node {@code from}, which leads the shard, to hand its leadership to node {@code to}, or to
   * step down (an election follows) when {@code to} is empty.
   */
  private void transferLeader(long shardId, String from, String to) {
    transferLeader(shardId, from, to, logFailure("move leader of shard " + shardId + " to " + to));
  }

  private void transferLeader(
      long shardId,
      String from,
      String to,
      io.grpc.stub.StreamObserver<io.cleave.internal.v1.TransferLeaderResponse> done) {
    node.clientAddress(from)
        .ifPresent(
            address ->
                NodeServiceGrpc.newStub(node.channelTo(address))
                    .withDeadlineAfter(10, TimeUnit.SECONDS)
                    .transferLeader(
                        io.cleave.internal.v1.TransferLeaderRequest.newBuilder()
                            .setShardId(shardId)
                            .setToNodeId(to)
                            .build(),
                        done));
  }

  private final FollowerProgress followerProgress = new FollowerProgress();

  /** Leadership changes made by {@link #unstickFollowers} to restart a stuck follower. */
  private final java.util.concurrent.atomic.LongAdder replicationRestarts =
      new java.util.concurrent.atomic.LongAdder();

  /**
   * How often this node, as meta leader, moved a shard's leadership because a follower was stuck
   * behind (see {@link #unstickFollowers}); each one is an interruption for that shard's clients.
   */
  public long replicationRestarts() {
    return replicationRestarts.sum();
  }

  /** Keys ({@code shard/node}) of followers behind their leader and not moving, this round. */
  private volatile Set<String> lagging = Set.of();

  /**
   * Restarts replication to a follower whose leader no longer sends it entries. Ratis 3.3.0's
   * appender never lets a follower's next index fall below the match index it recorded for it
   * ({@code getNextIndexForInconsistency}); when the follower's log no longer holds that entry (it
   * lost an acknowledged tail, or RATIS-2605 polluted the match index) every heartbeat gets an
   * INCONSISTENCY reply and the follower stays behind for good. Only a new leader term forgets the
   * recorded indices, so the loop moves the shard's leadership: to the third replica when one is
   * live and progressing, else the leader just steps down and an election follows.
   *
   * <p>Works from heartbeats alone (each replica's own applied index), not the cluster map, so it
   * covers the meta shard (not in the map) and split children the map does not show yet. A follower
   * is stuck when it is live, more than two entries behind its leader, and its applied index has
   * not moved for 15 s ({@link FollowerProgress}): a follower that is catching up moves.
   */
  private void unstickFollowers(long now) {
    // shard -> node -> that replica's applied index, as its node reports it; fresh heartbeats only
    Map<Long, Map<String, Long>> applied = new HashMap<>();
    for (Received r : heartbeats.values()) {
      if (now - r.atMillis() > deadAfterMillis()) {
        continue;
      }
      String nodeId = r.heartbeat().getNode().getNodeId();
      for (HostedReplica replica : r.heartbeat().getReplicasList()) {
        if (!replica.getRetired()) {
          applied
              .computeIfAbsent(replica.getShard().getShardId(), k -> new HashMap<>())
              .put(nodeId, replica.getAppliedIndex());
        }
      }
    }
    Map<Long, String> leaders = reportedLeaders();
    FollowerProgress.Round round = followerProgress.update(applied, leaders, now);
    for (var entry : round.stuck().entrySet()) {
      long shardId = entry.getKey();
      Set<String> stuck = entry.getValue();
      Map<String, Long> byNode = applied.get(shardId);
      String leader = leaders.get(shardId);
      if (askedRecently("unstick", shardId, leader, now)) {
        continue;
      }
      // The target must be able to take over at once: a live replica that keeps up. If there is
      // none, or the transfer fails (another one is under way), the leader steps down instead:
      // any new term restarts replication.
      String target =
          byNode.keySet().stream()
              .filter(
                  n ->
                      !n.equals(leader)
                          && !round.lagging().contains(FollowerProgress.key(shardId, n)))
              .findFirst()
              .orElse("");
      LOG.warn(
          "placement: replica(s) of shard {} on {} stuck at {} while leader {} is at {}; {}",
          shardId,
          stuck,
          stuck.stream().map(byNode::get).toList(),
          leader,
          byNode.get(leader),
          target.isEmpty()
              ? "asking the leader to step down to restart replication"
              : "moving leadership to " + target + " to restart replication");
      replicationRestarts.increment();
      followerProgress.restarted(shardId, stuck, now);
      String stepDown = "step down as leader of shard " + shardId;
      transferLeader(
          shardId,
          leader,
          target,
          target.isEmpty()
              ? logFailure(stepDown)
              : onFailure(
                  "move leader of shard " + shardId + " to " + target,
                  () -> transferLeader(shardId, leader, "", logFailure(stepDown))));
    }
    lagging = round.lagging();
  }

  /**
   * Asks the pure policy what to split and merge, and runs its operations in the background (at
   * most the configured number at once); each one re-checks epochs before acting.
   */
  private void splitAndMerge(ClusterMap map, long now) {
    ShardOperations ops = operations;
    if (ops == null) {
      return;
    }
    ClusterView.Builder view = ClusterView.builder();
    map.getKeyspacesList().stream().filter(k -> !k.getDeleting()).forEach(view::keyspace);
    map.getShardsList().stream().filter(s -> s.getShardId() != 0).forEach(view::shard);
    view.stats(latestStats())
        .lastChanges(map.getLastChangeMillisMap())
        .inFlight(inFlight)
        .reportedHotKeys(reportedHotKeys);
    for (PlacementOperation op : SplitMergeDecider.decide(view.build(), settings, now)) {
      if (op instanceof PlacementOperation.HotKeyReport hot) {
        reportedHotKeys.put(hot.shardId(), hot.routingKey());
        LOG.warn(
            "placement: shard {} is hot because of one key (routing key {}, {}% of its load, ~{} load/s); splitting cannot cool it",
            hot.shardId(),
            hex(hot.routingKey()),
            Math.round(hot.share() * 100),
            Math.round(hot.load()));
        continue;
      }
      inFlight.add(op);
      operationRunner.execute(
          () -> {
            try {
              run(ops, op);
            } catch (RuntimeException e) {
              LOG.info("placement: {} not done: {}", op, e.getMessage());
            } finally {
              inFlight.remove(op);
            }
          });
    }
  }

  private void run(ShardOperations ops, PlacementOperation op) {
    if (op instanceof PlacementOperation.Split split) {
      LOG.info(
          "placement: splitting shard {} ({}, ratio {})",
          split.shardId(),
          split.reason(),
          String.format("%.2f", split.ratio()));
      ops.split(split.shardId(), split.splitAt(), split.expectedEpoch());
      reportedHotKeys.remove(split.shardId());
    } else if (op instanceof PlacementOperation.Merge merge) {
      LOG.info(
          "placement: merging shards {} and {} (merged ratio {})",
          merge.leftShardId(),
          merge.rightShardId(),
          String.format("%.2f", merge.mergedRatio()));
      ops.merge(merge.leftShardId(), merge.rightShardId(), merge.leftEpoch(), merge.rightEpoch());
      reportedHotKeys.remove(merge.leftShardId());
    }
  }

  /** A deleted keyspace leaves the map once no live node reports a replica of it. */
  private void forgetDeletedKeyspaces(ClusterMap map) {
    for (KeyspaceDescriptor keyspace : map.getKeyspacesList()) {
      if (!keyspace.getDeleting()) {
        continue;
      }
      boolean anyLeft = false;
      for (Received r : heartbeats.values()) {
        for (HostedReplica replica : r.heartbeat().getReplicasList()) {
          anyLeft |= replica.getShard().getKeyspaceId() == keyspace.getId();
        }
      }
      boolean allNodesReported =
          map.getNodesList().stream()
              .filter(NodeDescriptor::getAlive)
              .allMatch(n -> heartbeats.containsKey(n.getNodeId()));
      if (!anyLeft && allNodesReported) {
        LOG.info("placement: keyspace {} removed from every node", keyspace.getName());
        propose(MetaCommand.newBuilder().setForgetKeyspaceId(keyspace.getId()).build());
      }
    }
  }

  /**
   * Whether this meta leader has a fresh heartbeat from every node the map shows alive. A leader
   * that just took over has heard from nobody yet; placing replicas before the heartbeats arrive
   * would use only the nodes heard first.
   */
  public boolean heardFromEveryAliveNode(ClusterMap map) {
    return liveNodes(map).size()
        == map.getNodesList().stream().filter(NodeDescriptor::getAlive).count();
  }

  /** Live nodes, as the loop sees them now. */
  public List<String> liveNodes(ClusterMap map) {
    long now = System.currentTimeMillis();
    List<String> live = new ArrayList<>();
    for (NodeDescriptor n : map.getNodesList()) {
      Received r = heartbeats.get(n.getNodeId());
      if (n.getAlive() && r != null && now - r.atMillis() <= deadAfterMillis()) {
        live.add(n.getNodeId());
      }
    }
    return live;
  }
}
