package io.cleave.server.shard;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.cleave.api.CommandContext;
import io.cleave.api.Limits;
import io.cleave.api.RoutingKeys;
import io.cleave.api.types.BytesType;
import io.cleave.api.v1.Partitioning;
import io.cleave.api.v1.ScanEntry;
import io.cleave.api.v1.ScanResponse;
import io.cleave.api.v1.ShardDescriptor;
import io.cleave.api.v1.ShardError;
import io.cleave.internal.v1.ClientWrite;
import io.cleave.internal.v1.CommitMerge;
import io.cleave.internal.v1.KeyOp;
import io.cleave.internal.v1.KeyOpBatch;
import io.cleave.internal.v1.KeyResult;
import io.cleave.internal.v1.KeyResults;
import io.cleave.internal.v1.OpError;
import io.cleave.internal.v1.PrepareMerge;
import io.cleave.internal.v1.RollbackMerge;
import io.cleave.internal.v1.ShardCommand;
import io.cleave.internal.v1.ShardQuery;
import io.cleave.internal.v1.ShardReplies;
import io.cleave.internal.v1.ShardReply;
import io.cleave.internal.v1.ShardState;
import io.cleave.internal.v1.SplitShard;
import io.cleave.server.storage.NodeStore;
import io.cleave.server.storage.StorageKeys;
import io.cleave.server.storage.StoredValue;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.SnapshotInfo;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.FileListSnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One replica of one shard: applies the shard's Raft log to the node's RocksDB.
 *
 * <p>Protocol (docs/design/0001-storage-and-apply.md): every applied entry writes its data changes
 * and the applied term/index in one {@link WriteBatch}; after a restart Ratis replays from the last
 * snapshot index and entries at or below the stored applied index are skipped. A snapshot is "the
 * store is flushed up to here": Ratis may then purge the log. A replica that fell behind the purged
 * log pulls the shard's range from the leader (Ratis's notification mode).
 *
 * <p>Nothing thrown from {@link #applyTransaction} escapes except storage failures: a bad input
 * fails its own call with an {@link OpError} and changes nothing, because an exception would take
 * the whole group down on this node.
 */
public final class ShardStateMachine extends BaseStateMachine {
  private static final Logger LOG = LoggerFactory.getLogger(ShardStateMachine.class);

  private final long shardId;
  private final ShardHost host;
  private final NodeStore store;
  private final ShardStatsTracker stats = new ShardStatsTracker();
  private final WriteOutcomes outcomes;
  // The shard's log clock: the largest leader time of any entry applied so far (stored with the
  // applied index, shipped with copies of the shard). Stored write outcomes expire by it.
  private volatile long logClockMillis;
  private volatile ShardState state;
  private volatile RawValueType type;
  private volatile long durableAppliedIndex = -1;
  private volatile TermIndex snapshotTermIndex;
  // The snapshot a background store flush is making durable (takeSnapshot); null when none is
  // under way. Used by Ratis's apply thread only.
  private PendingSnapshot pendingSnapshot;

  /** A snapshot at {@code at}, durable once {@code flush} completes; asked for at startNanos. */
  private record PendingSnapshot(TermIndex at, CompletableFuture<Void> flush, long startNanos) {}

  private final StateMachineStorage snapshotStorage =
      new StateMachineStorage() {
        @Override
        public void init(RaftStorage raftStorage) {}

        @Override
        public SnapshotInfo getLatestSnapshot() {
          TermIndex ti = snapshotTermIndex;
          return ti == null ? null : new FileListSnapshotInfo(List.of(), ti);
        }

        @Override
        public void format() {}

        @Override
        public void cleanupOldSnapshots(
            org.apache.ratis.statemachine.SnapshotRetentionPolicy policy) {}
      };

  public ShardStateMachine(long shardId, ShardHost host) {
    this.shardId = shardId;
    this.host = host;
    this.store = host.store();
    this.outcomes = new WriteOutcomes(store);
  }

  public long shardId() {
    return shardId;
  }

  /** The replica's current state; null until initialized. */
  public ShardState state() {
    return state;
  }

  public ShardStatsTracker stats() {
    return stats;
  }

  @Override
  public StateMachineStorage getStateMachineStorage() {
    return snapshotStorage;
  }

  @Override
  public SnapshotInfo getLatestSnapshot() {
    return snapshotStorage.getLatestSnapshot();
  }

  @Override
  public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage storage)
      throws IOException {
    super.initialize(server, groupId, storage);
    getLifeCycle()
        .startAndTransition(
            () -> {
              loadFromStore();
              host.replicaOpened(this);
            });
  }

  /** Ratis pauses the replica before it reloads from an installed snapshot. */
  @Override
  public void pause() {
    getLifeCycle().transition(org.apache.ratis.util.LifeCycle.State.PAUSING);
    getLifeCycle().transition(org.apache.ratis.util.LifeCycle.State.PAUSED);
  }

  @Override
  public void reinitialize() throws IOException {
    getLifeCycle().transition(org.apache.ratis.util.LifeCycle.State.STARTING);
    loadFromStore();
    host.replicaOpened(this);
    getLifeCycle().transition(org.apache.ratis.util.LifeCycle.State.RUNNING);
  }

  private void loadFromStore() throws IOException {
    byte[] stateBytes = store.get(StorageKeys.stateKey(shardId));
    if (stateBytes == null) {
      throw new IOException("no state stored for shard " + shardId);
    }
    setState(ShardState.parseFrom(stateBytes));
    byte[] appliedBytes = store.get(StorageKeys.appliedKey(shardId));
    TermIndex applied = decodeTermIndex(appliedBytes);
    durableAppliedIndex = applied == null ? -1 : applied.getIndex();
    logClockMillis = decodeLogClock(appliedBytes);
    snapshotTermIndex = decodeTermIndex(store.get(StorageKeys.snapshotKey(shardId)));
    pendingSnapshot = null; // a snapshot flushing from before a reload is older than the store now
    // Ratis replays from the snapshot index and requires the applied index to grow one entry at a
    // time, so start there; entries up to durableAppliedIndex are then skipped, not re-applied.
    setLastAppliedTermIndex(
        snapshotTermIndex == null ? TermIndex.INITIAL_VALUE : snapshotTermIndex);
    scheduleRecount();
  }

  private void setState(ShardState newState) {
    state = newState;
    type = host.types().find(newState.getValueType()).orElse(null);
    if (type == null) {
      LOG.error("shard {}: unknown value type {}", shardId, newState.getValueType());
    }
  }

  /** Recounts keys and size of the shard's range in the background (after open, split, merge). */
  private void scheduleRecount() {
    ShardState counted = state;
    host.background()
        .execute(
            () -> {
              long[] totals = new long[2];
              ShardDescriptor shard = counted.getShard();
              store.scan(
                  StorageKeys.rangeStart(shard.getKeyspaceId(), shard.getStart().toByteArray()),
                  StorageKeys.rangeEnd(shard.getKeyspaceId(), shard.getEnd().toByteArray()),
                  (key, value) -> {
                    totals[0]++;
                    totals[1] += StoredValue.sizeOf(value);
                    return true;
                  });
              if (state == counted || state.getShard().equals(counted.getShard())) {
                stats.reset(totals[0], totals[1], counted.getShard());
              }
            });
  }

  // ---------------------------------------------------------------- writes

  @Override
  public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
    LogEntryProto entry = trx.getLogEntry();
    TermIndex termIndex = TermIndex.valueOf(entry);
    if (termIndex.getIndex() <= durableAppliedIndex) {
      // Already in the store: Ratis replays from the snapshot index after a restart.
      updateLastAppliedTermIndex(termIndex);
      return CompletableFuture.completedFuture(Message.EMPTY);
    }
    ShardCommand command;
    try {
      command =
          ShardCommand.parseFrom(
              entry.getStateMachineLogEntry().getLogData().asReadOnlyByteBuffer());
    } catch (InvalidProtocolBufferException e) {
      return persistAppliedOnly(termIndex, opError(OpError.Code.INVALID_ARGUMENT, e.getMessage()));
    }
    logClockMillis = Math.max(logClockMillis, command.getLeaderTimeMillis());
    try {
      ShardReply reply =
          switch (command.getBodyCase()) {
            case OPS -> applyOps(command.getOps(), command.getLeaderTimeMillis(), termIndex);
            case WRITES ->
                ShardReply.newBuilder()
                    .setReplies(
                        ShardReplies.newBuilder()
                            .addAllReplies(
                                applyWrites(
                                    command.getWrites().getWritesList(),
                                    command.getLeaderTimeMillis(),
                                    termIndex)))
                    .build();
            case SPLIT -> applySplit(command.getSplit(), termIndex);
            case PREPARE_MERGE -> applyPrepareMerge(command.getPrepareMerge(), termIndex);
            case COMMIT_MERGE -> applyCommitMerge(command.getCommitMerge(), termIndex);
            case ROLLBACK_MERGE -> applyRollbackMerge(command.getRollbackMerge(), termIndex);
            case RETIRE -> applyRetire(termIndex);
            case BODY_NOT_SET -> applyNothing(termIndex);
          };
      return CompletableFuture.completedFuture(toMessage(reply));
    } catch (IOException e) {
      // The store failed: this replica can no longer keep up. Let Ratis take the group down here.
      throw new IllegalStateException("shard " + shardId + ": store write failed", e);
    }
  }

  private CompletableFuture<Message> persistAppliedOnly(TermIndex termIndex, ShardReply reply) {
    try {
      applyNothing(termIndex);
    } catch (IOException e) {
      throw new IllegalStateException("shard " + shardId + ": store write failed", e);
    }
    return CompletableFuture.completedFuture(toMessage(reply));
  }

  private ShardReply applyNothing(TermIndex termIndex) throws IOException {
    try (WriteBatch batch = new WriteBatch()) {
      commit(batch, termIndex);
    }
    return ShardReply.newBuilder().setResults(KeyResults.getDefaultInstance()).build();
  }

  /** Writes {@code batch} with the applied index, then publishes the index. */
  private void commit(WriteBatch batch, TermIndex termIndex) throws IOException {
    try {
      batch.put(StorageKeys.appliedKey(shardId), encodeApplied(termIndex, logClockMillis));
    } catch (RocksDBException e) {
      throw new IOException(e);
    }
    store.write(batch);
    durableAppliedIndex = termIndex.getIndex();
    updateLastAppliedTermIndex(termIndex);
  }

  /**
   * Keys' states while an entry is being applied: later writes of the entry see earlier ones. A
   * write works in a child overlay that joins its parent only when the whole write succeeded.
   */
  private final class Overlay {
    private final Overlay parent;
    private final Map<ByteBuffer, StoredValue> changed = new HashMap<>();
    private final Map<ByteBuffer, byte[]> dataKeys = new HashMap<>();

    Overlay(Overlay parent) {
      this.parent = parent;
    }

    StoredValue read(byte[] key) throws IOException {
      ByteBuffer k = ByteBuffer.wrap(key);
      if (changed.containsKey(k)) {
        return changed.get(k);
      }
      if (parent != null) {
        return parent.read(key);
      }
      byte[] raw = store.get(dataKey(key));
      return raw == null ? null : StoredValue.decode(raw);
    }

    void write(byte[] key, StoredValue value) {
      ByteBuffer k = ByteBuffer.wrap(key);
      changed.put(k, value);
      dataKeys.computeIfAbsent(k, unused -> dataKey(key));
    }

    /** Hands this overlay's changes to its parent. */
    void join() {
      parent.changed.putAll(changed);
      parent.dataKeys.putAll(dataKeys);
    }

    void flushInto(WriteBatch batch) throws RocksDBException {
      for (Map.Entry<ByteBuffer, StoredValue> e : changed.entrySet()) {
        byte[] dataKey = dataKeys.get(e.getKey());
        if (e.getValue() == null) {
          batch.delete(dataKey);
        } else {
          batch.put(dataKey, e.getValue().encode());
        }
      }
    }
  }

  private byte[] dataKey(byte[] userKey) {
    ShardState s = state;
    return StorageKeys.dataKey(s.getShard().getKeyspaceId(), s.getPartitioning(), userKey);
  }

  private ShardReply applyOps(KeyOpBatch ops, long leaderTimeMillis, TermIndex termIndex)
      throws IOException {
    return applyWrites(
            List.of(ClientWrite.newBuilder().setOps(ops).build()), leaderTimeMillis, termIndex)
        .get(0);
  }

  /**
   * Applies client writes in order, each on its own: all of a write's ops or none of them (a value
   * type refusing one input fails only that write), with its own reply. One store write holds all
   * of them, their stored outcomes and the applied index.
   *
   * <p>An op whose outcome is stored under the write's request id (a resend of a write applied
   * before, maybe on another leader, before a restart, or in the shard this one split from or
   * absorbed) is not applied again: it is answered with that outcome ({@link WriteOutcomes}). The
   * decision reads only the store, so every replica makes the same one.
   */
  private List<ShardReply> applyWrites(
      List<ClientWrite> writes, long leaderTimeMillis, TermIndex termIndex) throws IOException {
    CommandContext context = new CommandContext(leaderTimeMillis, termIndex.getIndex());
    long logClock = logClockMillis;
    Overlay entry = new Overlay(null);
    WriteOutcomes.Pending written = new WriteOutcomes.Pending();
    List<ShardReply> replies = new ArrayList<>(writes.size());
    long[] keyAndSizeDelta = new long[2];
    List<byte[]> loadKeys = new ArrayList<>();
    List<Long> loads = new ArrayList<>();
    for (ClientWrite write : writes) {
      KeyOpBatch ops = write.getOps();
      ShardReply refusal = refuseKeys(ops.getOpsList().stream().map(KeyOp::getKey).toList());
      if (refusal != null) {
        // Nothing stored: the client resends it to the shard that owns the key now, or here once
        // the shard is no longer busy.
        replies.add(refusal);
        continue;
      }
      byte[][] outcomeKeys = WriteOutcomes.keysOf(state, write);
      KeyResult[] results = new KeyResult[ops.getOpsCount()];
      boolean[] stored = new boolean[results.length];
      if (outcomeKeys != null) {
        for (int i = 0; i < results.length; i++) {
          results[i] = outcomes.find(outcomeKeys[i], written, logClock);
          stored[i] = results[i] != null;
        }
      }
      Overlay overlay = new Overlay(entry);
      long[] delta = new long[2];
      List<byte[]> writeLoadKeys = new ArrayList<>();
      List<Long> writeLoads = new ArrayList<>();
      ShardReply reply;
      try {
        for (int i = 0; i < results.length; i++) {
          if (results[i] != null) {
            continue; // applied by an earlier attempt of this write
          }
          KeyOp op = ops.getOps(i);
          byte[] key = op.getKey().toByteArray();
          StoredValue before = overlay.read(key);
          Applied applied = applyOne(op, key, before, context);
          if (applied.next != before) {
            overlay.write(key, applied.next);
            delta[0] += (applied.next != null ? 1 : 0) - (before != null ? 1 : 0);
            delta[1] +=
                (applied.next != null ? applied.next.size() : 0)
                    - (before != null ? before.size() : 0);
          }
          results[i] = applied.result;
          writeLoadKeys.add(routingKey(key));
          writeLoads.add(applied.load);
        }
        overlay.join();
        for (int i = 0; outcomeKeys != null && i < results.length; i++) {
          if (!stored[i]) {
            written.put(outcomeKeys[i], logClock, results[i]);
          }
        }
        keyAndSizeDelta[0] += delta[0];
        keyAndSizeDelta[1] += delta[1];
        loadKeys.addAll(writeLoadKeys);
        loads.addAll(writeLoads);
        reply =
            ShardReply.newBuilder()
                .setResults(KeyResults.newBuilder().addAllResults(Arrays.asList(results)))
                .build();
      } catch (RuntimeException e) {
        // The type refused an input (malformed argument, overflow, ...): this write changes
        // nothing, so a write of several keys is atomic; nothing is stored, so a resend applies.
        reply = opError(OpError.Code.INVALID_ARGUMENT, describe(e));
      }
      replies.add(reply);
    }
    try (WriteBatch batch = new WriteBatch()) {
      entry.flushInto(batch);
      if (written.size() > 0) {
        // Only entries that add outcomes count toward a sweep (which reads twice as many as were
        // added, so it keeps pace); entries without any (internal, meta, id-less) pay nothing.
        written.flushInto(batch);
        outcomes.sweep(state.getShard(), batch, written.size(), logClock);
      }
      commit(batch, termIndex);
    } catch (RocksDBException e) {
      throw new IOException(e);
    }
    stats.addKeys(keyAndSizeDelta[0]);
    stats.addSize(keyAndSizeDelta[1]);
    long now = System.currentTimeMillis();
    for (int i = 0; i < loadKeys.size(); i++) {
      stats.recordLoad(loadKeys.get(i), loads.get(i), now);
    }
    return replies;
  }

  private record Applied(KeyResult result, StoredValue next, long load) {}

  private Applied applyOne(KeyOp op, byte[] key, StoredValue before, CommandContext context) {
    long nextVersion = before == null ? 1 : before.version() + 1;
    switch (op.getKind()) {
      case PUT -> {
        requireBytesType("put");
        byte[] value = op.getPayload().toByteArray();
        StoredValue next = new StoredValue(nextVersion, value.length, value);
        return new Applied(
            KeyResult.newBuilder().setFound(true).setVersion(nextVersion).build(), next, 1);
      }
      case DELETE -> {
        return new Applied(KeyResult.newBuilder().setSucceeded(before != null).build(), null, 1);
      }
      case CAS -> {
        requireBytesType("compare-and-set");
        if (!expectationHolds(op, before)) {
          return new Applied(currentState(before, false), before, 1);
        }
        if (op.getCasDelete()) {
          return new Applied(currentState(null, true), null, 1);
        }
        byte[] value = op.getPayload().toByteArray();
        StoredValue next = new StoredValue(nextVersion, value.length, value);
        return new Applied(currentState(next, true), next, 1);
      }
      case COMMAND -> {
        RawValueType.Command outcome =
            requireType()
                .command(
                    before == null ? null : before.value(),
                    before == null ? 0 : before.size(),
                    key,
                    op.getPayload().toByteArray(),
                    context);
        StoredValue next =
            outcome.nextValue() == null
                ? null
                : new StoredValue(nextVersion, outcome.nextSize(), outcome.nextValue());
        KeyResult result =
            KeyResult.newBuilder()
                .setFound(true)
                .setPayload(ByteString.copyFrom(outcome.result()))
                .setVersion(next == null ? 0 : next.version())
                .build();
        return new Applied(result, next, outcome.load());
      }
      default -> throw new IllegalArgumentException("unknown key operation " + op.getKind());
    }
  }

  private static boolean expectationHolds(KeyOp op, StoredValue before) {
    return switch (op.getExpectedCase()) {
      case EXPECT_ABSENT -> before == null;
      case EXPECTED_VALUE ->
          before != null && ByteString.copyFrom(before.value()).equals(op.getExpectedValue());
      case EXPECTED_VERSION -> before != null && before.version() == op.getExpectedVersion();
      case EXPECTED_NOT_SET ->
          throw new IllegalArgumentException("compare-and-set without expectation");
    };
  }

  private static KeyResult currentState(StoredValue value, boolean succeeded) {
    KeyResult.Builder result = KeyResult.newBuilder().setSucceeded(succeeded);
    if (value != null) {
      result
          .setFound(true)
          .setPayload(ByteString.copyFrom(value.value()))
          .setVersion(value.version());
    }
    return result.build();
  }

  private RawValueType requireType() {
    RawValueType t = type;
    if (t == null) {
      // Never answer "invalid" here: the other replicas apply the command, and this one would
      // silently diverge. Stopping the group on this node is the safe failure.
      throw new TypeNotLoadedError(
          "shard "
              + shardId
              + ": value type "
              + state.getValueType()
              + " is not loaded on this node");
    }
    return t;
  }

  /** A replica cannot apply its log without its value type; it must stop, not diverge. */
  static final class TypeNotLoadedError extends Error {
    TypeNotLoadedError(String message) {
      super(message);
    }
  }

  private void requireBytesType(String operation) {
    if (!BytesType.NAME.equals(state.getValueType())) {
      throw new WrongTypeException(
          operation + " needs a keyspace of type bytes; this one holds " + state.getValueType());
    }
  }

  /** An operation that the keyspace's value type does not support. */
  static final class WrongTypeException extends RuntimeException {
    WrongTypeException(String message) {
      super(message);
    }
  }

  private static String describe(RuntimeException e) {
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return (e instanceof WrongTypeException ? "wrong type: " : "rejected by the value type: ")
        + message;
  }

  /**
   * Checks, at apply time, that this shard still owns every key: routing may have changed between
   * proposal and apply (a split or merge committed first).
   */
  private ShardReply refuseKeys(List<ByteString> keys) {
    ShardState s = state;
    if (s.getRetired()) {
      return shardError(ShardError.Code.EPOCH_MISMATCH);
    }
    if (s.getFrozen()) {
      return shardError(ShardError.Code.SHARD_BUSY);
    }
    for (ByteString key : keys) {
      if (!owns(key.toByteArray())) {
        return shardError(ShardError.Code.EPOCH_MISMATCH);
      }
    }
    return null;
  }

  /** Whether this replica's current range holds {@code key}. */
  public boolean owns(byte[] key) {
    ShardDescriptor shard = state.getShard();
    return RoutingKeys.inRange(
        routingKey(key), shard.getStart().toByteArray(), shard.getEnd().toByteArray());
  }

  private byte[] routingKey(byte[] key) {
    return RoutingKeys.routingKey(state.getPartitioning(), key);
  }

  private ShardReply shardError(ShardError.Code code) {
    return ShardReply.newBuilder()
        .setShardError(
            ShardError.newBuilder()
                .setCode(code)
                .setShardId(shardId)
                .addCurrentShards(state.getShard()))
        .build();
  }

  private static ShardReply opError(OpError.Code code, String message) {
    return ShardReply.newBuilder()
        .setOpError(OpError.newBuilder().setCode(code).setMessage(message))
        .build();
  }

  // ---------------------------------------------------------------- split and merge

  private ShardReply applySplit(SplitShard split, TermIndex termIndex) throws IOException {
    ShardState s = state;
    ShardDescriptor parent = s.getShard();
    byte[] at = split.getSplitAt().toByteArray();
    if (s.getRetired() || s.getFrozen() || parent.getEpoch() != split.getExpectedEpoch()) {
      applyNothing(termIndex);
      return shardError(ShardError.Code.EPOCH_MISMATCH);
    }
    if (RoutingKeys.compare(at, parent.getStart().toByteArray()) <= 0
        || !RoutingKeys.inRange(
            at, parent.getStart().toByteArray(), parent.getEnd().toByteArray())) {
      applyNothing(termIndex);
      return opError(OpError.Code.INVALID_ARGUMENT, "split point outside the shard's range");
    }
    long epoch = parent.getEpoch() + 1;
    ShardState left =
        s.toBuilder()
            .setShard(parent.toBuilder().setEnd(split.getSplitAt()).setEpoch(epoch))
            .build();
    ShardState child =
        s.toBuilder()
            .setShard(
                parent.toBuilder()
                    .setShardId(split.getChildShardId())
                    .setStart(split.getSplitAt())
                    .setEpoch(epoch)
                    .clearLeaderNodeId())
            .build();
    try (WriteBatch batch = new WriteBatch()) {
      batch.put(StorageKeys.stateKey(shardId), left.toByteArray());
      // The child's starting data is already in the store; its state is all it needs. Written in
      // the same batch, so a crash leaves either both shards or neither.
      batch.put(StorageKeys.stateKey(child.getShard().getShardId()), child.toByteArray());
      commit(batch, termIndex);
    } catch (RocksDBException e) {
      throw new IOException(e);
    }
    setState(left);
    stats.clearLoad(System.currentTimeMillis());
    scheduleRecount();
    LOG.info(
        "shard {} split at index {}: {} + child {}",
        shardId,
        termIndex,
        left.getShard(),
        child.getShard().getShardId());
    getServer()
        .thenAccept(
            server -> {
              try {
                host.startChild(child, server.getDivision(getGroupId()).getGroup());
              } catch (IOException e) {
                LOG.warn(
                    "shard {}: cannot start child {}", shardId, child.getShard().getShardId(), e);
              }
            });
    return ShardReply.newBuilder().setState(left).build();
  }

  private ShardReply applyPrepareMerge(PrepareMerge prepare, TermIndex termIndex)
      throws IOException {
    ShardState s = state;
    if (s.getRetired() || s.getShard().getEpoch() != prepare.getExpectedEpoch()) {
      applyNothing(termIndex);
      return shardError(ShardError.Code.EPOCH_MISMATCH);
    }
    if (s.getFrozen()) {
      // A resent prepare (its first answer was lost): the first freeze stands, so the index the
      // controller waits for and the one a commit names stay the same.
      applyNothing(termIndex);
      return ShardReply.newBuilder().setState(s).build();
    }
    ShardState frozen =
        s.toBuilder().setFrozen(true).setFrozenAtIndex(termIndex.getIndex()).build();
    return writeState(frozen, termIndex);
  }

  /**
   * Thaws the shard if it is still frozen at the epoch the rollback names. A rollback resent after
   * its answer was lost, arriving after the shard thawed (at a new epoch) and froze again for
   * another merge, must not thaw that merge's freeze.
   */
  private ShardReply applyRollbackMerge(RollbackMerge rollback, TermIndex termIndex)
      throws IOException {
    ShardState s = state;
    if (!s.getFrozen()
        || s.getRetired()
        || s.getShard().getEpoch() != rollback.getExpectedEpoch()) {
      applyNothing(termIndex);
      return ShardReply.newBuilder().setState(s).build();
    }
    ShardState thawed =
        s.toBuilder()
            .setFrozen(false)
            .setFrozenAtIndex(0)
            .setShard(s.getShard().toBuilder().setEpoch(s.getShard().getEpoch() + 1))
            .build();
    return writeState(thawed, termIndex);
  }

  private ShardReply applyRetire(TermIndex termIndex) throws IOException {
    return writeState(state.toBuilder().setRetired(true).build(), termIndex);
  }

  private ShardReply writeState(ShardState newState, TermIndex termIndex) throws IOException {
    try (WriteBatch batch = new WriteBatch()) {
      batch.put(StorageKeys.stateKey(shardId), newState.toByteArray());
      commit(batch, termIndex);
    } catch (RocksDBException e) {
      throw new IOException(e);
    }
    setState(newState);
    return ShardReply.newBuilder().setState(newState).build();
  }

  private ShardReply applyCommitMerge(CommitMerge merge, TermIndex termIndex) throws IOException {
    ShardState s = state;
    ShardDescriptor left = s.getShard();
    ShardDescriptor right = merge.getRight();
    if (s.getRetired()
        || s.getFrozen()
        || left.getEpoch() != merge.getExpectedEpoch()
        || !left.getEnd().equals(right.getStart())
        || left.getKeyspaceId() != right.getKeyspaceId()) {
      applyNothing(termIndex);
      return shardError(ShardError.Code.EPOCH_MISMATCH);
    }
    // The right shard's data is in this node's store once its local replica has applied
    // everything up to the freeze. The controller proposes the commit only after every replica of
    // the right shard reported that, so this wait is normally empty; it must not be skipped, or
    // this replica would own keys whose last writes it has not seen.
    awaitLocalApplied(right.getShardId(), merge.getRightFrozenIndex());
    ShardState merged =
        s.toBuilder()
            .setShard(
                left.toBuilder()
                    .setEnd(right.getEnd())
                    .setEpoch(Math.max(left.getEpoch(), right.getEpoch()) + 1))
            .build();
    ShardStateMachine rightReplica = host.localReplica(right.getShardId()).orElseThrow();
    ShardState retiredRight = rightReplica.state().toBuilder().setRetired(true).build();
    try (WriteBatch batch = new WriteBatch()) {
      batch.put(StorageKeys.stateKey(shardId), merged.toByteArray());
      // Retire the right shard in the same batch: after a crash no two local replicas may own
      // the same keys.
      batch.put(StorageKeys.stateKey(right.getShardId()), retiredRight.toByteArray());
      commit(batch, termIndex);
    } catch (RocksDBException e) {
      throw new IOException(e);
    }
    setState(merged);
    rightReplica.retireAfterMerge(retiredRight);
    stats.clearLoad(System.currentTimeMillis());
    scheduleRecount();
    LOG.info(
        "shard {} absorbed shard {} at {}: {}",
        shardId,
        right.getShardId(),
        termIndex,
        merged.getShard());
    return ShardReply.newBuilder().setState(merged).build();
  }

  private void awaitLocalApplied(long otherShardId, long index) {
    long waitedMillis = 0;
    while (true) {
      var other = host.localReplica(otherShardId);
      if (other.isPresent() && other.get().inStoreThrough() >= index) {
        return;
      }
      if (waitedMillis % 10_000 == 0) {
        LOG.warn(
            "shard {}: merge waits for local replica of shard {} to reach index {}",
            shardId,
            otherShardId,
            index);
      }
      try {
        Thread.sleep(20);
        waitedMillis += 20;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while merging", e);
      }
    }
  }

  /**
   * The index up to which this replica's writes are in the node's store: its applied index, or more
   * right after a restart. Ratis replays the log from the snapshot index and skips entries the
   * store already holds; when the log lost its tail (a torn segment) the applied index stops below
   * what the store holds until the leader resends the lost entries. A merged-away (right) shard may
   * have no leader left to resend them, its other replicas retired and removed, so a merge that
   * waited for the applied index would block the left shard's replica for good.
   */
  long inStoreThrough() {
    TermIndex applied = getLastAppliedTermIndex();
    return Math.max(applied == null ? -1 : applied.getIndex(), durableAppliedIndex);
  }

  /** Called by the left shard's commit: this (right) shard's range now belongs to the left. */
  void retireAfterMerge(ShardState retired) {
    state = retired;
  }

  // ---------------------------------------------------------------- reads

  @Override
  public CompletableFuture<Message> query(Message request) {
    try {
      ShardQuery query = ShardQuery.parseFrom(request.getContent().asReadOnlyByteBuffer());
      return CompletableFuture.completedFuture(toMessage(answer(query)));
    } catch (InvalidProtocolBufferException e) {
      return CompletableFuture.completedFuture(
          toMessage(opError(OpError.Code.INVALID_ARGUMENT, e.getMessage())));
    } catch (IOException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** Answers a read from this replica's local state. Also used directly for stale reads. */
  public ShardReply answer(ShardQuery query) throws IOException {
    switch (query.getKind()) {
      case STATS:
        return ShardReply.newBuilder()
            .setStats(
                stats.snapshot(
                    shardId, getLastAppliedTermIndex().getIndex(), System.currentTimeMillis()))
            .build();
      case STATE:
        return ShardReply.newBuilder().setState(state).build();
      case GET:
      case QUERY:
        break;
      case SCAN:
        return scan(query);
      default:
        return opError(OpError.Code.INVALID_ARGUMENT, "unknown query kind " + query.getKind());
    }
    ShardState s = state;
    if (s.getRetired()) {
      return shardError(ShardError.Code.EPOCH_MISMATCH);
    }
    for (ByteString key : query.getKeysList()) {
      if (!owns(key.toByteArray())) {
        return shardError(ShardError.Code.EPOCH_MISMATCH);
      }
    }
    KeyResults.Builder results = KeyResults.newBuilder();
    long now = System.currentTimeMillis();
    for (ByteString keyBytes : query.getKeysList()) {
      byte[] key = keyBytes.toByteArray();
      byte[] raw = store.get(dataKey(key));
      if (raw == null) {
        results.addResults(KeyResult.getDefaultInstance());
        stats.recordLoad(routingKey(key), 1, now);
        continue;
      }
      StoredValue value = StoredValue.decode(raw);
      if (query.getKind() == ShardQuery.Kind.GET) {
        results.addResults(
            KeyResult.newBuilder()
                .setFound(true)
                .setPayload(ByteString.copyFrom(value.value()))
                .setVersion(value.version()));
        stats.recordLoad(routingKey(key), 1, now);
      } else {
        RawValueType.Query outcome;
        try {
          outcome =
              requireType()
                  .query(value.value(), value.size(), key, query.getArgument().toByteArray());
        } catch (RuntimeException e) {
          return opError(OpError.Code.INVALID_ARGUMENT, describe(e));
        }
        results.addResults(
            KeyResult.newBuilder()
                .setFound(true)
                .setPayload(ByteString.copyFrom(outcome.result()))
                .setVersion(value.version()));
        stats.recordLoad(routingKey(key), outcome.load(), now);
      }
    }
    return ShardReply.newBuilder().setResults(results).build();
  }

  /** Why a scan of a HASH keyspace is refused. */
  public static String notScannable(String keyspace) {
    return "keyspace "
        + keyspace
        + " is hash-partitioned: its keys are stored in hash order, so it cannot be scanned in key"
        + " order (register the keyspace with RANGE partitioning to scan it)";
  }

  /**
   * One page of an ordered scan (RANGE keyspaces): the keys from {@code keys[0]} up to the query's
   * end or this shard's end, whichever comes first. The page is read from one RocksDB snapshot; a
   * split or merge applied while it was read makes it EPOCH_MISMATCH, so a page never holds keys
   * its shard no longer owned when they were read.
   */
  private ShardReply scan(ShardQuery query) {
    ShardState before = state;
    if (before.getRetired()) {
      return shardError(ShardError.Code.EPOCH_MISMATCH);
    }
    if (before.getPartitioning() != Partitioning.RANGE) {
      return opError(OpError.Code.FAILED_PRECONDITION, notScannable(before.getKeyspaceName()));
    }
    byte[] start = query.getKeys(0).toByteArray();
    if (!owns(start)) {
      return shardError(ShardError.Code.EPOCH_MISMATCH);
    }
    ShardDescriptor shard = before.getShard();
    byte[] queryEnd = query.getScanEnd().toByteArray();
    byte[] shardEnd = shard.getEnd().toByteArray();
    // The page ends at the query's end or the shard's, whichever is first (empty = unbounded).
    boolean shardEndsFirst =
        shardEnd.length > 0
            && (queryEnd.length == 0 || Arrays.compareUnsigned(shardEnd, queryEnd) < 0);
    byte[] end = shardEndsFirst ? shardEnd : queryEnd;
    int keyspaceId = shard.getKeyspaceId();
    int limit =
        query.getLimit() <= 0
            ? Limits.MAX_SCAN_PAGE_ENTRIES
            : Math.min(query.getLimit(), Limits.MAX_SCAN_PAGE_ENTRIES);
    ScanResponse.Builder page = ScanResponse.newBuilder();
    long[] bytes = {0};
    store.scan(
        StorageKeys.dataKey(keyspaceId, Partitioning.RANGE, start),
        StorageKeys.rangeEnd(keyspaceId, end),
        (dataKey, raw) -> {
          if (pageFull(page, limit, bytes[0])) {
            return false;
          }
          byte[] key = StorageKeys.userKey(Partitioning.RANGE, dataKey);
          StoredValue value = StoredValue.decode(raw);
          page.addEntries(
              ScanEntry.newBuilder()
                  .setKey(ByteString.copyFrom(key))
                  .setValue(ByteString.copyFrom(value.value()))
                  .setVersion(value.version()));
          bytes[0] += key.length + value.value().length;
          return true;
        });
    ShardState after = state;
    if (after.getRetired() || after.getShard().getEpoch() != shard.getEpoch()) {
      return shardError(ShardError.Code.EPOCH_MISMATCH); // split or merged while read
    }
    byte[] resume = null;
    if (pageFull(page, limit, bytes[0])) {
      // The smallest key after the last one returned: the same key with a zero byte appended.
      ByteString last = page.getEntries(page.getEntriesCount() - 1).getKey();
      resume = Arrays.copyOf(last.toByteArray(), last.size() + 1);
    } else if (shardEndsFirst) {
      resume = shardEnd;
    }
    if (resume != null && (queryEnd.length == 0 || Arrays.compareUnsigned(resume, queryEnd) < 0)) {
      page.setResumeKey(ByteString.copyFrom(resume));
    }
    // The page's load, at its first key: a split by load then cuts where scans start.
    byte[] loadKey = page.getEntriesCount() > 0 ? page.getEntries(0).getKey().toByteArray() : start;
    if (loadKey.length > 0) {
      stats.recordLoad(loadKey, Math.max(1, page.getEntriesCount()), System.currentTimeMillis());
    }
    return ShardReply.newBuilder().setScan(page).build();
  }

  /** Whether a scan page holds {@code limit} entries or {@link Limits#SCAN_PAGE_BYTES} bytes. */
  private static boolean pageFull(ScanResponse.Builder page, int limit, long bytes) {
    return page.getEntriesCount() >= limit || bytes >= Limits.SCAN_PAGE_BYTES;
  }

  // ---------------------------------------------------------------- snapshots

  /**
   * A snapshot here is "the store holds everything up to this entry in SST files", after which
   * Ratis may purge the log behind it. Making that true takes a RocksDB flush (hundreds of
   * milliseconds for a full memtable on a small machine), and Ratis calls this on the thread that
   * applies entries, so a flush waited for here stalled every write of the shard, on every replica
   * at about the same index: update p99.9 of 431 ms at 16 threads (docs/benchmarks.md, session 10).
   * So the flush runs in the background. The first call records the applied entry as the snapshot
   * to be and asks the store to flush; it and every call while the flush runs return -1 (no
   * snapshot yet; Ratis asks again after later entries). The first call after the flush ended
   * returns that entry's index.
   *
   * <p>The snapshot key is written before the flush, so the flush makes it durable together with
   * every entry applied before it. A restart that finds it (after the flush, or from RocksDB's WAL
   * after a process kill) finds the entries up to it as well, and Ratis has purged nothing past the
   * previous snapshot until this method returned the new one.
   */
  @Override
  public long takeSnapshot() throws IOException {
    PendingSnapshot pending = pendingSnapshot;
    if (pending != null) {
      return reportWhenFlushed(pending);
    }
    TermIndex applied = getLastAppliedTermIndex();
    TermIndex last = snapshotTermIndex;
    if (applied == null
        || applied.getIndex() < 0
        || (last != null && applied.getIndex() <= last.getIndex())) {
      return -1;
    }
    try (WriteBatch batch = new WriteBatch()) {
      batch.put(StorageKeys.snapshotKey(shardId), encodeTermIndex(applied));
      store.write(batch);
    } catch (RocksDBException e) {
      throw new IOException(e);
    }
    pendingSnapshot = new PendingSnapshot(applied, store.flushInBackground(), System.nanoTime());
    return -1;
  }

  /**
   * The pending snapshot's index once its flush ended and succeeded, else -1 (Ratis asks again).
   */
  private long reportWhenFlushed(PendingSnapshot pending) {
    if (!pending.flush().isDone()) {
      return -1;
    }
    pendingSnapshot = null;
    if (pending.flush().isCompletedExceptionally()) {
      LOG.warn("shard {}: store flush for the snapshot at {} failed", shardId, pending.at());
      return -1;
    }
    TermIndex installed = snapshotTermIndex;
    if (installed != null && installed.getIndex() >= pending.at().getIndex()) {
      return -1; // a snapshot installed from the leader meanwhile is newer
    }
    snapshotTermIndex = pending.at();
    LOG.info(
        "shard {}: snapshot at {} ({} ms in the background to flush the store)",
        shardId,
        pending.at(),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - pending.startNanos()));
    return pending.at().getIndex();
  }

  @Override
  public CompletableFuture<TermIndex> notifyInstallSnapshotFromLeader(
      RoleInfoProto roleInfo, TermIndex firstTermIndexInLog) {
    String leader =
        RaftPeerId.valueOf(roleInfo.getFollowerInfo().getLeaderInfo().getId().getId()).toString();
    LOG.info(
        "shard {}: behind the leader's log (first index {}); pulling a snapshot from {}",
        shardId,
        firstTermIndexInLog,
        leader);
    return host.installSnapshot(shardId, leader)
        .thenApply(
            installed -> {
              durableAppliedIndex = installed.getIndex();
              snapshotTermIndex = installed;
              return installed;
            });
  }

  @Override
  public void close() throws IOException {
    host.replicaClosed(this);
    super.close();
  }

  // ---------------------------------------------------------------- encoding

  public static byte[] encodeTermIndex(TermIndex termIndex) {
    return ByteBuffer.allocate(16)
        .putLong(termIndex.getTerm())
        .putLong(termIndex.getIndex())
        .array();
  }

  /** The stored applied position: term, index and the shard's log clock there. */
  public static byte[] encodeApplied(TermIndex termIndex, long logClockMillis) {
    return ByteBuffer.allocate(24)
        .putLong(termIndex.getTerm())
        .putLong(termIndex.getIndex())
        .putLong(logClockMillis)
        .array();
  }

  /** The log clock of a stored applied position; 0 when absent (also in stores before it). */
  public static long decodeLogClock(byte[] applied) {
    return applied == null || applied.length < 24 ? 0 : ByteBuffer.wrap(applied, 16, 8).getLong();
  }

  public static TermIndex decodeTermIndex(byte[] bytes) {
    if (bytes == null) {
      return null;
    }
    ByteBuffer buffer = ByteBuffer.wrap(bytes);
    return TermIndex.valueOf(buffer.getLong(), buffer.getLong());
  }

  private static Message toMessage(ShardReply reply) {
    return Message.valueOf(UnsafeByteOperations.unsafeWrap(reply.toByteArray()));
  }

  @Override
  public String toString() {
    return "shard-" + shardId;
  }
}
