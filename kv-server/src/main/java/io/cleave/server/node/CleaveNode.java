package io.cleave.server.node;

import com.google.protobuf.InvalidProtocolBufferException;
import io.cleave.api.v1.NodeDescriptor;
import io.cleave.api.v1.ShardDescriptor;
import io.cleave.internal.v1.ClusterMap;
import io.cleave.internal.v1.FetchShardChunk;
import io.cleave.internal.v1.FetchShardRequest;
import io.cleave.internal.v1.KeyValue;
import io.cleave.internal.v1.MetaCommand;
import io.cleave.internal.v1.MetaResult;
import io.cleave.internal.v1.NodeServiceGrpc;
import io.cleave.internal.v1.ShardCommand;
import io.cleave.internal.v1.ShardQuery;
import io.cleave.internal.v1.ShardReply;
import io.cleave.internal.v1.ShardState;
import io.cleave.server.config.NodeAddress;
import io.cleave.server.config.NodeConfig;
import io.cleave.server.meta.MetaShard;
import io.cleave.server.raft.RaftSettings;
import io.cleave.server.raft.ShardGroups;
import io.cleave.server.shard.ShardHost;
import io.cleave.server.shard.ShardStateMachine;
import io.cleave.server.shard.ValueTypes;
import io.cleave.server.storage.NodeStore;
import io.cleave.server.storage.StorageKeys;
import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.grpc.GrpcFactory;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupManagementRequest;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.AlreadyExistsException;
import org.apache.ratis.protocol.exceptions.GroupMismatchException;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.FileUtils;
import org.apache.ratis.util.TimeDuration;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Cleave node: a RocksDB store, a Ratis server hosting one group per shard replica, and the
 * hooks the gRPC services and the placement loop use. Groups are added at run time; after a restart
 * Ratis recovers them from its storage directory.
 */
public final class CleaveNode implements ShardHost, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CleaveNode.class);

  private final NodeConfig config;
  private final NodeStore store;
  private final ValueTypes types;
  private final RaftServer raftServer;
  private final ExecutorService background;
  private final Map<Long, ShardStateMachine> replicas = new ConcurrentHashMap<>();
  private final NodeChannels channels = new NodeChannels();
  private final ClientId clientId = ClientId.randomId();
  private final AtomicLong callIds = new AtomicLong();
  private final WriteBatcher writeBatcher = new WriteBatcher(this::propose);
  private final RaftClient metaClient;
  private final ExecutorService metaCalls =
      Executors.newFixedThreadPool(
          4,
          r -> {
            Thread t = new Thread(r, "meta-call");
            t.setDaemon(true);
            return t;
          });
  private volatile ClusterMap cachedMap = ClusterMap.getDefaultInstance();

  private CleaveNode(NodeConfig config, NodeStore store, ValueTypes types) throws IOException {
    this.config = config;
    this.store = store;
    this.types = types;
    this.background =
        Executors.newFixedThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, config.self().nodeId() + "-background");
              t.setDaemon(true);
              return t;
            });
    this.raftServer =
        RaftServer.newBuilder()
            .setServerId(RaftPeerId.valueOf(config.self().nodeId()))
            .setProperties(RaftSettings.properties(config))
            .setStateMachineRegistry(
                groupId -> new ShardStateMachine(ShardGroups.shardId(groupId), this))
            .setOption(RaftStorage.StartupOption.RECOVER)
            .build();
    this.metaClient =
        RaftClient.newBuilder()
            .setRaftGroup(metaGroup())
            .setProperties(RaftSettings.properties(config))
            .setClientRpc(
                new GrpcFactory(new Parameters())
                    .newRaftClientRpc(ClientId.randomId(), RaftSettings.properties(config)))
            .setRetryPolicy(
                RetryPolicies.retryUpToMaximumCountWithFixedSleep(
                    10, TimeDuration.valueOf(200, TimeUnit.MILLISECONDS)))
            .build();
  }

  /** Opens the store, starts the Raft server and, on meta members, the meta shard. */
  public static CleaveNode start(NodeConfig config, ValueTypes types) throws IOException {
    NodeStore store = openStore(config);
    CleaveNode node;
    try {
      deleteGroupDirectoriesWithoutState(config, store);
      node = new CleaveNode(config, store, types);
    } catch (IOException | RuntimeException e) {
      store.close();
      throw e;
    }
    try {
      node.raftServer.start();
      if (node.isMetaMember()) {
        node.ensureReplica(MetaShard.state(node.metaMemberIds()), node.metaGroup().getPeers());
      }
    } catch (IOException | RuntimeException e) {
      // A node that failed to start holds nothing: its store lock and ports are free for a retry.
      node.close();
      throw e;
    }
    return node;
  }

  /** Opens the node's store, in its place under the data directory. */
  public static NodeStore openStore(NodeConfig config) throws IOException {
    return NodeStore.open(config.dataDir().resolve("store"), config.blockCacheBytes());
  }

  /**
   * Deletes the Raft group directories of shards that have no state in the store. A removal removes
   * the group first and the state last, but Ratis skips deleting the group's directory, and still
   * reports success, when the removing thread is interrupted, as stopping the node does (found by
   * ShardChurnIT in CI). The state machine cannot open such a group, and Ratis then refuses to
   * start the whole node. Creating a replica writes its state before its group, so a directory
   * without state is always what is left of a removal.
   */
  private static void deleteGroupDirectoriesWithoutState(NodeConfig config, NodeStore store)
      throws IOException {
    File[] directories = RaftSettings.storageDir(config).toFile().listFiles(File::isDirectory);
    if (directories == null) {
      return;
    }
    for (File directory : directories) {
      Optional<Long> shardId = ShardGroups.shardIdOfDirectory(directory.getName());
      if (shardId.isPresent() && store.get(StorageKeys.stateKey(shardId.get())) == null) {
        LOG.warn(
            "{}: deleting {}: shard {}'s replica here was removed before Ratis deleted its group",
            config.self().nodeId(),
            directory,
            shardId.get());
        FileUtils.deleteFully(directory);
      }
    }
  }

  public NodeConfig config() {
    return config;
  }

  public String nodeId() {
    return config.self().nodeId();
  }

  @Override
  public NodeStore store() {
    return store;
  }

  @Override
  public ValueTypes types() {
    return types;
  }

  @Override
  public ExecutorService background() {
    return background;
  }

  // ---------------------------------------------------------------- replicas

  @Override
  public void replicaOpened(ShardStateMachine replica) {
    replicas.put(replica.shardId(), replica);
  }

  @Override
  public void replicaClosed(ShardStateMachine replica) {
    replicas.remove(replica.shardId(), replica);
  }

  @Override
  public Optional<ShardStateMachine> localReplica(long shardId) {
    return Optional.ofNullable(replicas.get(shardId));
  }

  public Collection<ShardStateMachine> localReplicas() {
    return replicas.values();
  }

  /**
   * A live local replica (neither frozen by a merge nor retired) of an older epoch whose range
   * overlaps {@code shard}: a split parent that has not applied the split yet. The shards share one
   * store, so a child started before its parent's split would take writes that the parent's replay
   * of older entries then overwrites (found by LogTruncationChaosIT: a restarted node's replica of
   * a new split child was created by the placement loop while its parent was still catching up, and
   * acknowledged writes came back with older values). The parent starts the child itself when it
   * applies the split.
   */
  private Optional<ShardState> olderOverlappingReplica(ShardDescriptor shard) {
    return replicas.values().stream()
        .map(ShardStateMachine::state)
        .filter(Objects::nonNull)
        .filter(s -> !s.getRetired() && !s.getFrozen())
        .filter(s -> s.getShard().getKeyspaceId() == shard.getKeyspaceId())
        .filter(s -> s.getShard().getEpoch() < shard.getEpoch())
        .filter(s -> PlacementLoop.overlaps(s.getShard(), shard))
        .findFirst();
  }

  /**
   * Creates the local replica of a shard if it is missing. The state is written first, so the state
   * machine finds it when Ratis opens the group; an existing state (written by a split in the
   * parent's log, or an earlier attempt) is kept. Idempotent.
   *
   * @throws AdminException FAILED_PRECONDITION while a local replica of an older epoch still owns
   *     part of the shard's range (a split parent behind its log): retry later
   */
  public void ensureReplica(ShardState state, Collection<RaftPeer> peers) throws IOException {
    long shardId = state.getShard().getShardId();
    if (replicas.containsKey(shardId)) {
      return;
    }
    Optional<ShardState> older = olderOverlappingReplica(state.getShard());
    if (older.isPresent()) {
      throw new AdminException(
          AdminException.Kind.FAILED_PRECONDITION,
          "node "
              + nodeId()
              + " cannot host shard "
              + shardId
              + " yet: its replica of shard "
              + older.get().getShard().getShardId()
              + " (epoch "
              + older.get().getShard().getEpoch()
              + ") still owns part of that range");
    }
    if (store.get(StorageKeys.stateKey(shardId)) == null) {
      try (WriteBatch batch = new WriteBatch()) {
        batch.put(StorageKeys.stateKey(shardId), state.toByteArray());
        store.write(batch);
      } catch (RocksDBException e) {
        throw new IOException(e);
      }
    }
    RaftGroup group = RaftGroup.valueOf(ShardGroups.groupId(shardId), peers);
    RaftClientReply reply;
    try {
      reply =
          raftServer.groupManagement(
              GroupManagementRequest.newAdd(
                  clientId, raftServer.getId(), callIds.incrementAndGet(), group));
    } catch (AlreadyExistsException e) {
      return;
    }
    Object failure = reply.getException();
    if (!reply.isSuccess() && !(failure instanceof AlreadyExistsException)) {
      throw new IOException("cannot create group of shard " + shardId, reply.getException());
    }
    LOG.info("{}: replica of shard {} created", nodeId(), shardId);
  }

  private final Map<Long, ShardState> beingRemoved = new ConcurrentHashMap<>();

  /** Replicas whose group is gone but whose data is still being deleted. */
  public Collection<ShardState> replicasBeingRemoved() {
    return beingRemoved.values();
  }

  /** Removes the local replica of a shard, and its data when {@code deleteData}. Idempotent. */
  public void removeReplica(long shardId, boolean deleteData) throws IOException {
    byte[] stateBytes = store.get(StorageKeys.stateKey(shardId));
    if (stateBytes != null) {
      beingRemoved.put(shardId, ShardState.parseFrom(stateBytes));
    }
    try {
      removeGroupAndData(shardId, deleteData);
    } finally {
      beingRemoved.remove(shardId);
    }
  }

  private void removeGroupAndData(long shardId, boolean deleteData) throws IOException {
    try {
      raftServer.groupManagement(
          GroupManagementRequest.newRemove(
              clientId,
              raftServer.getId(),
              callIds.incrementAndGet(),
              ShardGroups.groupId(shardId),
              true,
              false));
    } catch (GroupMismatchException e) {
      // Not hosted (any more).
    }
    replicas.remove(shardId);
    deleteReplicaFromStore(store, shardId, deleteData);
    LOG.info("{}: replica of shard {} removed (data deleted: {})", nodeId(), shardId, deleteData);
  }

  /**
   * The store's half of removing a replica, done after its group is gone: its state, applied and
   * snapshot index, and with {@code deleteData} the keys of its range, in one write.
   */
  public static void deleteReplicaFromStore(NodeStore store, long shardId, boolean deleteData)
      throws IOException {
    byte[] stateBytes = store.get(StorageKeys.stateKey(shardId));
    try (WriteBatch batch = new WriteBatch()) {
      if (deleteData && stateBytes != null) {
        for (StorageKeys.Range range :
            StorageKeys.shardRanges(ShardState.parseFrom(stateBytes).getShard())) {
          batch.deleteRange(range.start(), range.end());
        }
      }
      batch.delete(StorageKeys.stateKey(shardId));
      batch.delete(StorageKeys.appliedKey(shardId));
      batch.delete(StorageKeys.snapshotKey(shardId));
      store.write(batch);
    } catch (RocksDBException e) {
      throw new IOException(e);
    }
  }

  @Override
  public void startChild(ShardState child, RaftGroup parentGroup) {
    background.execute(
        () -> {
          try {
            ensureReplica(child, parentGroup.getPeers());
          } catch (IOException | RuntimeException e) {
            LOG.warn("{}: cannot start child shard {}", nodeId(), child.getShard().getShardId(), e);
          }
        });
  }

  /** The Raft division of a local replica, or empty. */
  public Optional<RaftServer.Division> division(long shardId) {
    try {
      return Optional.of(raftServer.getDivision(ShardGroups.groupId(shardId)));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  public boolean isLeader(long shardId) {
    return division(shardId).map(d -> d.getInfo().isLeader()).orElse(false);
  }

  /** The node id of the shard's leader as the local replica knows it, or null. */
  public String leaderOf(long shardId) {
    return division(shardId)
        .map(d -> d.getInfo().getLeaderId())
        .map(RaftPeerId::toString)
        .orElse(null);
  }

  // ---------------------------------------------------------------- requests

  /** Proposes a command to a shard this node leads; completes with the shard's reply. */
  public CompletableFuture<RaftClientReply> propose(long shardId, ShardCommand command) {
    return submit(
        shardId,
        clientId,
        callIds.incrementAndGet(),
        Message.valueOf(UnsafeByteOperations.unsafeWrap(command.toByteArray())),
        RaftClientRequest.writeRequestType());
  }

  /** Group commit of client writes on the shards this node leads. */
  public WriteBatcher writeBatcher() {
    return writeBatcher;
  }

  /** A linearizable read through the local replica (ReadIndex; on the leader, its lease). */
  public CompletableFuture<RaftClientReply> read(long shardId, ShardQuery query) {
    return submit(
        shardId,
        clientId,
        callIds.incrementAndGet(),
        Message.valueOf(UnsafeByteOperations.unsafeWrap(query.toByteArray())),
        RaftClientRequest.readRequestType());
  }

  private CompletableFuture<RaftClientReply> submit(
      long shardId, ClientId client, long callId, Message message, RaftClientRequest.Type type) {
    RaftClientRequest request =
        RaftClientRequest.newBuilder()
            .setClientId(client)
            .setServerId(raftServer.getId())
            .setGroupId(ShardGroups.groupId(shardId))
            .setCallId(callId)
            .setMessage(message)
            .setType(type)
            .build();
    try {
      return raftServer.submitClientRequestAsync(request);
    } catch (IOException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * Asks the local leader of a shard to hand leadership to {@code toNodeId}, or, when it is empty,
   * to step down (Ratis starts an election, which any up-to-date replica may win).
   */
  public CompletableFuture<RaftClientReply> transferLeader(long shardId, String toNodeId) {
    try {
      return raftServer.transferLeadershipAsync(
          new org.apache.ratis.protocol.TransferLeadershipRequest(
              clientId,
              raftServer.getId(),
              ShardGroups.groupId(shardId),
              callIds.incrementAndGet(),
              toNodeId.isEmpty() ? null : RaftPeerId.valueOf(toNodeId),
              5_000));
    } catch (IOException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  public static ShardReply parseReply(RaftClientReply reply) {
    try {
      return ShardReply.parseFrom(reply.getMessage().getContent().asReadOnlyByteBuffer());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("malformed shard reply", e);
    }
  }

  // ---------------------------------------------------------------- meta shard

  private boolean isMetaMember() {
    return config.metaMembers().stream().anyMatch(a -> a.nodeId().equals(nodeId()));
  }

  private List<String> metaMemberIds() {
    return config.metaMembers().stream().map(NodeAddress::nodeId).toList();
  }

  private RaftGroup metaGroup() {
    List<RaftPeer> peers = new ArrayList<>();
    for (NodeAddress member : config.metaMembers()) {
      peers.add(peer(member.nodeId(), member.raftAddress()));
    }
    return RaftGroup.valueOf(ShardGroups.groupId(ShardGroups.META_SHARD_ID), peers);
  }

  /** A Raft peer; Ratis's own client talks to its Raft address, never Cleave's client port. */
  static RaftPeer peer(String nodeId, String raftAddress) {
    return RaftPeer.newBuilder().setId(nodeId).setAddress(raftAddress).build();
  }

  /** Whether this node's meta replica leads: the placement loop runs here. */
  public boolean isMetaLeader() {
    return isLeader(ShardGroups.META_SHARD_ID);
  }

  /** The meta leader's node id as far as this node knows, or null. */
  public String metaLeaderId() {
    String local = leaderOf(ShardGroups.META_SHARD_ID);
    if (local != null) {
      return local;
    }
    RaftPeerId known = metaClient.getLeaderId();
    return known == null ? null : known.toString();
  }

  /**
   * Proposes a change of the cluster map through the meta shard's leader.
   *
   * <p>Through Ratis's blocking API on a small pool, not its ordered async API: an ordered async
   * request that exhausts its retries (a meta shard without a leader for a few seconds) closes the
   * client's sliding window for good, and every later call would fail.
   */
  public CompletableFuture<MetaResult> proposeMeta(MetaCommand command) {
    ShardCommand entry = MetaShard.command(command, System.currentTimeMillis());
    Message message = Message.valueOf(UnsafeByteOperations.unsafeWrap(entry.toByteArray()));
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return metaResult(metaClient.io().send(message));
          } catch (IOException e) {
            throw new java.util.concurrent.CompletionException(e);
          }
        },
        metaCalls);
  }

  /** Reads the cluster map, linearizably, and refreshes this node's cached copy. */
  public CompletableFuture<ClusterMap> readMap() {
    // Unordered: reads need no order among themselves, and this path has no sliding window
    // that a failed call could close (see proposeMeta).
    return metaClient
        .async()
        .sendReadOnlyUnordered(
            Message.valueOf(UnsafeByteOperations.unsafeWrap(MetaShard.readMap().toByteArray())))
        .thenApply(reply -> metaResult(reply).getMap())
        .thenApply(
            map -> {
              if (map.getVersion() >= cachedMap.getVersion()) {
                cachedMap = map;
              }
              return map;
            });
  }

  private MetaResult metaResult(RaftClientReply reply) {
    if (!reply.isSuccess()) {
      throw new IllegalStateException("meta shard unavailable", reply.getException());
    }
    MetaResult result = MetaShard.result(parseReply(reply));
    if (result.hasMap() && result.getMap().getVersion() >= cachedMap.getVersion()) {
      cachedMap = result.getMap();
    }
    return result;
  }

  /** The newest cluster map this node has seen; may be a little stale. */
  public ClusterMap cachedMap() {
    return cachedMap;
  }

  /** The client address of a node: from the cluster map, else the initial cluster. */
  public Optional<String> clientAddress(String nodeId) {
    if (nodeId == null) {
      return Optional.empty();
    }
    for (NodeDescriptor node : cachedMap.getNodesList()) {
      if (node.getNodeId().equals(nodeId)) {
        return Optional.of(node.getClientAddress());
      }
    }
    return config.initialCluster().stream()
        .filter(a -> a.nodeId().equals(nodeId))
        .map(NodeAddress::clientAddress)
        .findFirst();
  }

  /** Raft peers for the replicas of {@code shard}, with addresses from the cluster map. */
  public List<RaftPeer> peersOf(ShardDescriptor shard, ClusterMap map) {
    List<RaftPeer> peers = new ArrayList<>();
    for (var replica : shard.getReplicasList()) {
      map.getNodesList().stream()
          .filter(n -> n.getNodeId().equals(replica.getNodeId()))
          .findFirst()
          .ifPresent(n -> peers.add(peer(n.getNodeId(), n.getRaftAddress())));
    }
    return peers;
  }

  public io.grpc.ManagedChannel channelTo(String clientAddress) {
    return channels.to(clientAddress);
  }

  // ---------------------------------------------------------------- snapshots

  @Override
  public CompletableFuture<TermIndex> installSnapshot(long shardId, String leaderNodeId) {
    return CompletableFuture.supplyAsync(
        () -> {
          String address =
              clientAddress(leaderNodeId)
                  .orElseThrow(() -> new IllegalStateException("no address for " + leaderNodeId));
          try {
            return pullShard(shardId, address);
          } catch (IOException e) {
            throw new java.util.concurrent.CompletionException(e);
          }
        },
        background);
  }

  /**
   * Replaces the local copy of a shard with the leader's: deletes the local range, writes the
   * streamed keys, and last the state and applied index, so a crash midway leaves a replica that
   * pulls again rather than one that believes it is complete.
   */
  private TermIndex pullShard(long shardId, String leaderAddress) throws IOException {
    Iterator<FetchShardChunk> chunks =
        NodeServiceGrpc.newBlockingStub(channels.to(leaderAddress))
            .withDeadlineAfter(10, TimeUnit.MINUTES)
            .withWaitForReady()
            .fetchShard(FetchShardRequest.newBuilder().setShardId(shardId).build());
    FetchShardChunk first = chunks.next();
    ShardState state = first.getState();
    ShardDescriptor shard = state.getShard();
    TermIndex applied = TermIndex.valueOf(first.getAppliedTerm(), first.getAppliedIndex());
    try (WriteBatch clear = new WriteBatch()) {
      for (StorageKeys.Range range : StorageKeys.shardRanges(shard)) {
        clear.deleteRange(range.start(), range.end());
      }
      clear.delete(StorageKeys.appliedKey(shardId));
      store.write(clear);
    } catch (RocksDBException e) {
      throw new IOException(e);
    }
    long keys = writeEntries(first.getEntriesList());
    while (chunks.hasNext()) {
      keys += writeEntries(chunks.next().getEntriesList());
    }
    try (WriteBatch last = new WriteBatch()) {
      last.put(StorageKeys.stateKey(shardId), state.toByteArray());
      last.put(
          StorageKeys.appliedKey(shardId),
          ShardStateMachine.encodeApplied(applied, first.getAppliedLogClockMillis()));
      last.put(StorageKeys.snapshotKey(shardId), ShardStateMachine.encodeTermIndex(applied));
      store.write(last);
    } catch (RocksDBException e) {
      throw new IOException(e);
    }
    store.flush();
    LOG.info(
        "{}: installed shard {} at {} from {} ({} keys)",
        nodeId(),
        shardId,
        applied,
        leaderAddress,
        keys);
    return applied;
  }

  private long writeEntries(List<KeyValue> entries) throws IOException {
    try (WriteBatch batch = new WriteBatch()) {
      for (KeyValue kv : entries) {
        batch.put(kv.getKey().toByteArray(), kv.getValue().toByteArray());
      }
      store.write(batch);
    } catch (RocksDBException e) {
      throw new IOException(e);
    }
    return entries.size();
  }

  @Override
  public void close() {
    try {
      metaClient.close();
    } catch (IOException e) {
      LOG.warn("closing meta client", e);
    }
    try {
      raftServer.close();
    } catch (IOException e) {
      LOG.warn("closing raft server", e);
    }
    channels.close();
    metaCalls.shutdownNow();
    background.shutdownNow();
    try {
      background.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    store.close();
  }
}
