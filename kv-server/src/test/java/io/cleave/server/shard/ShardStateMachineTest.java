package io.cleave.server.shard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.cleave.api.Codecs;
import io.cleave.api.Limits;
import io.cleave.api.types.BytesType;
import io.cleave.api.types.CounterType;
import io.cleave.api.v1.Partitioning;
import io.cleave.api.v1.RequestId;
import io.cleave.api.v1.ShardDescriptor;
import io.cleave.api.v1.ShardError;
import io.cleave.internal.v1.ClientWrite;
import io.cleave.internal.v1.ClientWrites;
import io.cleave.internal.v1.CommitMerge;
import io.cleave.internal.v1.KeyOp;
import io.cleave.internal.v1.KeyOpBatch;
import io.cleave.internal.v1.KeyResult;
import io.cleave.internal.v1.OpError;
import io.cleave.internal.v1.PrepareMerge;
import io.cleave.internal.v1.RetireShard;
import io.cleave.internal.v1.RollbackMerge;
import io.cleave.internal.v1.ShardCommand;
import io.cleave.internal.v1.ShardQuery;
import io.cleave.internal.v1.ShardReply;
import io.cleave.internal.v1.ShardState;
import io.cleave.internal.v1.SplitShard;
import io.cleave.server.raft.ShardGroups;
import io.cleave.server.storage.NodeStore;
import io.cleave.server.storage.StorageKeys;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.proto.RaftProtos.StateMachineLogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.raftlog.LogProtoUtils;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The apply protocol of docs/design/0001 and the split/merge commands of 0005, driven entry by
 * entry over a real store, without a Raft server.
 */
class ShardStateMachineTest {
  private static final long TERM = 1;
  private static final byte[] EMPTY = new byte[0];

  @TempDir Path dir;
  private NodeStore store;
  private FakeShardHost host;

  @BeforeEach
  void open() throws IOException {
    store = NodeStore.open(dir.resolve("store"), 8L * 1024 * 1024);
    host = new FakeShardHost(store);
  }

  @AfterEach
  void close() {
    store.close();
  }

  // ------------------------------------------------------------------ harness

  /** One replica and the next index of its (imaginary) Raft log. */
  private final class LocalReplica {
    final ShardStateMachine sm;
    long nextIndex;
    final List<LogEntryProto> log = new ArrayList<>();

    LocalReplica(ShardStateMachine sm, long nextIndex) {
      this.sm = sm;
      this.nextIndex = nextIndex;
    }

    ShardReply apply(ShardCommand command) {
      LogEntryProto entry =
          LogProtoUtils.toLogEntryProto(
              StateMachineLogEntryProto.newBuilder()
                  .setLogData(UnsafeByteOperations.unsafeWrap(command.toByteArray()))
                  .build(),
              TERM,
              nextIndex++);
      log.add(entry);
      return applyEntry(sm, entry);
    }

    ShardReply ops(KeyOp... ops) {
      return apply(
          ShardCommand.newBuilder()
              .setLeaderTimeMillis(1_000)
              .setOps(KeyOpBatch.newBuilder().addAllOps(List.of(ops)))
              .build());
    }

    /** One log entry holding several client writes, as the leader's write batcher builds it. */
    List<ShardReply> writes(long leaderTimeMillis, ClientWrite... writes) {
      ShardReply reply =
          apply(
              ShardCommand.newBuilder()
                  .setLeaderTimeMillis(leaderTimeMillis)
                  .setWrites(ClientWrites.newBuilder().addAllWrites(List.of(writes)))
                  .build());
      assertThat(reply.hasReplies()).as("reply %s", reply).isTrue();
      return reply.getReplies().getRepliesList();
    }

    ShardReply answer(ShardQuery query) throws IOException {
      return sm.answer(query);
    }

    KeyResult get(String key) throws IOException {
      ShardReply reply = answer(getQuery(key));
      assertThat(reply.hasResults()).as("reply %s", reply).isTrue();
      return reply.getResults().getResults(0);
    }

    long counter(String key) throws IOException {
      ShardReply reply =
          answer(
              ShardQuery.newBuilder()
                  .setKind(ShardQuery.Kind.QUERY)
                  .addKeys(bs(key))
                  .setArgument(ByteString.copyFrom(Codecs.INT64.encode(0L)))
                  .build());
      assertThat(reply.hasResults()).as("reply %s", reply).isTrue();
      KeyResult result = reply.getResults().getResults(0);
      return result.getFound() ? Codecs.INT64.decode(result.getPayload().toByteArray()) : 0;
    }
  }

  private static ShardReply applyEntry(ShardStateMachine sm, LogEntryProto entry) {
    TransactionContext trx =
        TransactionContext.newBuilder().setStateMachine(sm).setLogEntry(entry).build();
    Message message = sm.applyTransaction(trx).join();
    try {
      return ShardReply.parseFrom(message.getContent().toByteArray());
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  private static ByteString bs(String s) {
    return ByteString.copyFrom(s, StandardCharsets.UTF_8);
  }

  private static ByteString bs(byte[] bytes) {
    return ByteString.copyFrom(bytes);
  }

  private static ShardState state(
      long shardId, String type, Partitioning partitioning, byte[] start, byte[] end) {
    return ShardState.newBuilder()
        .setShard(
            ShardDescriptor.newBuilder()
                .setShardId(shardId)
                .setKeyspaceId(3)
                .setStart(bs(start))
                .setEnd(bs(end))
                .setEpoch(1)
                .addReplicas(io.cleave.api.v1.Replica.newBuilder().setNodeId("n1"))
                .setLeaderNodeId("n1"))
        .setKeyspaceName("ks")
        .setValueType(type)
        .setPartitioning(partitioning)
        .build();
  }

  /** Writes the replica's state first, then opens it, as a node creates a replica. */
  private LocalReplica create(ShardState state) throws IOException {
    try (org.rocksdb.WriteBatch batch = new org.rocksdb.WriteBatch()) {
      batch.put(StorageKeys.stateKey(state.getShard().getShardId()), state.toByteArray());
      store.write(batch);
    } catch (org.rocksdb.RocksDBException e) {
      throw new IOException(e);
    }
    return reopen(state.getShard().getShardId(), 1);
  }

  /**
   * Opens the replica stored under {@code shardId}; Ratis would next hand it entry {@code next}.
   */
  private LocalReplica reopen(long shardId, long next) throws IOException {
    ShardStateMachine sm = new ShardStateMachine(shardId, host);
    sm.initialize(FakeShardHost.raftServer(), ShardGroups.groupId(shardId), null);
    return new LocalReplica(sm, next);
  }

  private LocalReplica bytesShard(long shardId, String start, String end) throws IOException {
    return create(
        state(
            shardId,
            BytesType.NAME,
            Partitioning.RANGE,
            start.getBytes(StandardCharsets.UTF_8),
            end.getBytes(StandardCharsets.UTF_8)));
  }

  private LocalReplica counterShard() throws IOException {
    return create(state(1, CounterType.NAME, Partitioning.HASH, EMPTY, EMPTY));
  }

  private static KeyOp put(String key, String value) {
    return KeyOp.newBuilder().setKind(KeyOp.Kind.PUT).setKey(bs(key)).setPayload(bs(value)).build();
  }

  private static KeyOp delete(String key) {
    return KeyOp.newBuilder().setKind(KeyOp.Kind.DELETE).setKey(bs(key)).build();
  }

  private static KeyOp add(String key, long delta) {
    return KeyOp.newBuilder()
        .setKind(KeyOp.Kind.COMMAND)
        .setKey(bs(key))
        .setPayload(ByteString.copyFrom(Codecs.INT64.encode(delta)))
        .build();
  }

  private static KeyOp.Builder cas(String key, String value) {
    return KeyOp.newBuilder().setKind(KeyOp.Kind.CAS).setKey(bs(key)).setPayload(bs(value));
  }

  private static ShardQuery getQuery(String... keys) {
    ShardQuery.Builder query = ShardQuery.newBuilder().setKind(ShardQuery.Kind.GET);
    for (String key : keys) {
      query.addKeys(bs(key));
    }
    return query.build();
  }

  private static ShardCommand split(byte[] at, long child, long expectedEpoch) {
    return ShardCommand.newBuilder()
        .setSplit(
            SplitShard.newBuilder()
                .setSplitAt(bs(at))
                .setChildShardId(child)
                .setExpectedEpoch(expectedEpoch))
        .build();
  }

  private static ShardCommand prepareMerge(long leftId, long expectedEpoch) {
    return ShardCommand.newBuilder()
        .setPrepareMerge(
            PrepareMerge.newBuilder().setLeftShardId(leftId).setExpectedEpoch(expectedEpoch))
        .build();
  }

  private static ShardCommand commitMerge(
      ShardDescriptor right, long frozenIndex, long expectedEpoch) {
    return ShardCommand.newBuilder()
        .setCommitMerge(
            CommitMerge.newBuilder()
                .setRight(right)
                .setRightFrozenIndex(frozenIndex)
                .setExpectedEpoch(expectedEpoch))
        .build();
  }

  private static ShardCommand rollbackMerge(long expectedEpoch) {
    return ShardCommand.newBuilder()
        .setRollbackMerge(RollbackMerge.newBuilder().setExpectedEpoch(expectedEpoch))
        .build();
  }

  private ShardState storedState(long shardId) throws IOException {
    return ShardState.parseFrom(store.get(StorageKeys.stateKey(shardId)));
  }

  private long storedAppliedIndex(long shardId) throws IOException {
    return ShardStateMachine.decodeTermIndex(store.get(StorageKeys.appliedKey(shardId))).getIndex();
  }

  private static void assertShardError(ShardReply reply, ShardError.Code code) {
    assertThat(reply.hasShardError()).as("reply %s", reply).isTrue();
    assertThat(reply.getShardError().getCode()).isEqualTo(code);
  }

  private static void assertOpError(ShardReply reply, OpError.Code code) {
    assertThat(reply.hasOpError()).as("reply %s", reply).isTrue();
    assertThat(reply.getOpError().getCode()).isEqualTo(code);
  }

  // ------------------------------------------------------------------ key operations

  @Test
  void putThenGetDeleteAndCompareAndSet() throws IOException {
    LocalReplica shard = bytesShard(1, "", "");

    ShardReply put = shard.ops(put("a", "1"));
    assertThat(put.getResults().getResults(0).getVersion()).isEqualTo(1);
    assertThat(shard.get("a").getPayload()).isEqualTo(bs("1"));

    ShardReply casWrong = shard.ops(cas("a", "2").setExpectedValue(bs("0")).build());
    assertThat(casWrong.getResults().getResults(0).getSucceeded()).isFalse();
    assertThat(casWrong.getResults().getResults(0).getPayload()).isEqualTo(bs("1"));
    assertThat(shard.get("a").getPayload()).isEqualTo(bs("1"));

    ShardReply casRight = shard.ops(cas("a", "2").setExpectedVersion(1).build());
    assertThat(casRight.getResults().getResults(0).getSucceeded()).isTrue();
    assertThat(shard.get("a").getPayload()).isEqualTo(bs("2"));
    assertThat(shard.get("a").getVersion()).isEqualTo(2);

    ShardReply casAbsent = shard.ops(cas("b", "x").setExpectAbsent(true).build());
    assertThat(casAbsent.getResults().getResults(0).getSucceeded()).isTrue();
    assertThat(shard.get("b").getPayload()).isEqualTo(bs("x"));

    ShardReply casDelete =
        shard.ops(cas("b", "").setExpectedValue(bs("x")).setCasDelete(true).build());
    assertThat(casDelete.getResults().getResults(0).getSucceeded()).isTrue();
    assertThat(shard.get("b").getFound()).isFalse();

    assertThat(shard.ops(delete("a")).getResults().getResults(0).getSucceeded()).isTrue();
    assertThat(shard.ops(delete("a")).getResults().getResults(0).getSucceeded()).isFalse();
    assertThat(shard.get("a").getFound()).isFalse();
  }

  @Test
  void laterOpsOfABatchSeeEarlierOnes() throws IOException {
    LocalReplica shard = bytesShard(1, "", "");

    ShardReply reply =
        shard.ops(put("k", "1"), cas("k", "2").setExpectedValue(bs("1")).build(), put("k", "3"));

    assertThat(reply.getResults().getResultsList())
        .extracting(KeyResult::getVersion)
        .containsExactly(1L, 2L, 3L);
    assertThat(shard.get("k").getPayload()).isEqualTo(bs("3"));
    assertThat(shard.get("k").getVersion()).isEqualTo(3);
  }

  @Test
  void versionsGrowWithEveryWriteAndRestartAfterADelete() throws IOException {
    LocalReplica shard = bytesShard(1, "", "");

    shard.ops(put("k", "a"));
    shard.ops(put("k", "b"));
    shard.ops(put("k", "c"));
    assertThat(shard.get("k").getVersion()).isEqualTo(3);

    shard.ops(delete("k"));
    shard.ops(put("k", "d"));
    assertThat(shard.get("k").getVersion()).isEqualTo(1);
  }

  @Test
  void counterCommandsAddAndQueriesRead() throws IOException {
    LocalReplica shard = counterShard();

    ShardReply first = shard.ops(add("c", 5));
    ShardReply second = shard.ops(add("c", 3));

    assertThat(Codecs.INT64.decode(first.getResults().getResults(0).getPayload().toByteArray()))
        .isEqualTo(5);
    assertThat(Codecs.INT64.decode(second.getResults().getResults(0).getPayload().toByteArray()))
        .isEqualTo(8);
    assertThat(shard.counter("c")).isEqualTo(8);
    assertThat(shard.get("c").getVersion()).isEqualTo(2);

    shard.ops(add("c", -8));
    assertThat(shard.get("c").getFound()).as("a counter at zero is deleted").isFalse();
  }

  @Test
  void putOnANonBytesKeyspaceIsRefusedAsWrongType() throws IOException {
    LocalReplica shard = counterShard();

    ShardReply reply = shard.ops(put("c", "x"));

    assertOpError(reply, OpError.Code.INVALID_ARGUMENT);
    assertThat(reply.getOpError().getMessage()).startsWith("wrong type");
    assertThat(shard.get("c").getFound()).isFalse();
  }

  @Test
  void aBatchWhoseTypeThrowsChangesNothing() throws IOException {
    LocalReplica shard = counterShard();
    shard.ops(add("big", Long.MAX_VALUE));

    // The first op is fine, the second overflows: the batch as a whole must change nothing.
    ShardReply overflow = shard.ops(add("other", 1), add("big", 1));
    // A malformed argument (3 bytes, not an int64) in the middle of a batch.
    ShardReply malformed =
        shard.ops(
            add("other", 1),
            KeyOp.newBuilder()
                .setKind(KeyOp.Kind.COMMAND)
                .setKey(bs("x"))
                .setPayload(ByteString.copyFrom(new byte[3]))
                .build(),
            add("other", 1));

    assertOpError(overflow, OpError.Code.INVALID_ARGUMENT);
    assertOpError(malformed, OpError.Code.INVALID_ARGUMENT);
    assertThat(shard.get("other").getFound()).isFalse();
    assertThat(shard.counter("big")).isEqualTo(Long.MAX_VALUE);
    assertThat(shard.get("big").getVersion()).isEqualTo(1);
    // The refused entries are still applied (their index is recorded), so replay skips them.
    assertThat(storedAppliedIndex(1)).isEqualTo(3);
    assertThat(shard.sm.getLastAppliedTermIndex().getIndex()).isEqualTo(3);
  }

  private static ClientWrite write(RequestId id, KeyOp... ops) {
    ClientWrite.Builder write =
        ClientWrite.newBuilder().setOps(KeyOpBatch.newBuilder().addAllOps(List.of(ops)));
    if (id != null) {
      write.setRequestId(id);
    }
    return write.build();
  }

  private static RequestId requestId(int client, long sequence) {
    byte[] clientId = new byte[16];
    clientId[15] = (byte) client;
    return RequestId.newBuilder()
        .setClientId(ByteString.copyFrom(clientId))
        .setSequence(sequence)
        .build();
  }

  @Test
  void writesOfOneEntryApplyInOrderEachWithItsOwnOutcome() throws IOException {
    LocalReplica shard = counterShard();
    shard.ops(add("big", Long.MAX_VALUE));

    List<ShardReply> replies =
        shard.writes(
            2_000,
            write(requestId(1, 1), add("a", 1), add("b", 1)),
            write(requestId(2, 1), add("a", 10), add("big", 1)), // overflows: changes nothing
            write(requestId(3, 1), add("a", 100)));

    assertThat(replies).hasSize(3);
    assertThat(replies.get(0).hasResults()).isTrue();
    assertOpError(replies.get(1), OpError.Code.INVALID_ARGUMENT);
    // The third write saw the first (a = 1) but nothing of the refused second.
    assertThat(replies.get(2).getResults().getResults(0).getPayload().toByteArray())
        .isEqualTo(Codecs.INT64.encode(101L));
    assertThat(shard.counter("a")).isEqualTo(101);
    assertThat(shard.counter("b")).isEqualTo(1);
    assertThat(shard.counter("big")).isEqualTo(Long.MAX_VALUE);
    assertThat(storedAppliedIndex(1)).isEqualTo(2);
  }

  @Test
  void aResendIsAnsweredWithItsFirstOutcomeAndNotAppliedAgain() throws IOException {
    LocalReplica shard = counterShard();
    RequestId id = requestId(7, 42);

    ShardReply first = shard.writes(1_000, write(id, add("n", 5))).get(0);
    ShardReply resent = shard.writes(2_000, write(id, add("n", 5))).get(0);
    ShardReply other = shard.writes(3_000, write(requestId(7, 43), add("n", 5))).get(0);

    assertThat(resent).isEqualTo(first);
    assertThat(other).isNotEqualTo(first);
    assertThat(shard.counter("n")).isEqualTo(10);
  }

  @Test
  void aWriteWithoutARequestIdIsAppliedEveryTime() throws IOException {
    LocalReplica shard = counterShard();

    shard.writes(1_000, write(null, add("n", 5)));
    shard.writes(2_000, write(null, add("n", 5)));

    assertThat(shard.counter("n")).isEqualTo(10);
    assertThat(storedOutcomes(1)).isZero();
  }

  @Test
  void aWriteInTheLogTwiceAppliesOnceOnEveryReplicaEvenOneThatRestarted() throws IOException {
    // The decision reads only the store: a replica that restarted between the two entries (and
    // so lost everything in memory) decides like one that did not. A first version decided on an
    // in-memory cache and let such replicas diverge.
    RequestId id = requestId(7, 42);
    LocalReplica steady = counterShard();
    steady.writes(1_000, write(id, add("n", 5)));
    List<LogEntryProto> firstEntries = List.copyOf(steady.log);
    steady.writes(2_000, write(id, add("n", 5)));
    LogEntryProto resend = steady.log.get(steady.log.size() - 1);

    NodeStore otherStore = NodeStore.open(dir.resolve("other"), 8L * 1024 * 1024);
    try {
      try (org.rocksdb.WriteBatch batch = new org.rocksdb.WriteBatch()) {
        ShardState state = state(1, CounterType.NAME, Partitioning.HASH, EMPTY, EMPTY);
        batch.put(StorageKeys.stateKey(1), state.toByteArray());
        otherStore.write(batch);
      } catch (org.rocksdb.RocksDBException e) {
        throw new IOException(e);
      }
      FakeShardHost otherHost = new FakeShardHost(otherStore);
      ShardStateMachine other = new ShardStateMachine(1, otherHost);
      other.initialize(FakeShardHost.raftServer(), ShardGroups.groupId(1), null);
      firstEntries.forEach(e -> applyEntry(other, e));
      ShardStateMachine restarted = new ShardStateMachine(1, otherHost);
      restarted.initialize(FakeShardHost.raftServer(), ShardGroups.groupId(1), null);
      applyEntry(restarted, resend);

      assertThat(steady.counter("n")).isEqualTo(5);
      ShardReply otherCounter =
          restarted.answer(
              ShardQuery.newBuilder()
                  .setKind(ShardQuery.Kind.QUERY)
                  .addKeys(bs("n"))
                  .setArgument(ByteString.copyFrom(Codecs.INT64.encode(0L)))
                  .build());
      assertThat(
              Codecs.INT64.decode(
                  otherCounter.getResults().getResults(0).getPayload().toByteArray()))
          .isEqualTo(5);
    } finally {
      otherStore.close();
    }
  }

  @Test
  void outcomesExpireByTheLogClockWhichNeverGoesBack() throws IOException {
    LocalReplica shard = counterShard();
    RequestId id = requestId(1, 1);
    long retention = WriteOutcomes.RETENTION_MILLIS;
    shard.writes(1_000, write(id, add("n", 1)));

    shard.writes(1_000 + retention / 2, write(id, add("n", 1)));
    assertThat(shard.counter("n")).isEqualTo(1);

    // Another write moves the log clock past the retention: the outcome no longer counts, also
    // for a later entry whose leader's clock is behind (the log clock keeps its maximum).
    shard.writes(2_000 + retention, write(requestId(1, 2), add("m", 1)));
    shard.writes(1_000, write(id, add("n", 1)));
    assertThat(shard.counter("n")).isEqualTo(2);
  }

  @Test
  void theLogClockSurvivesARestart() throws IOException {
    LocalReplica shard = counterShard();
    RequestId id = requestId(1, 1);
    shard.writes(1_000, write(id, add("n", 1)));
    shard.writes(2_000 + WriteOutcomes.RETENTION_MILLIS, write(requestId(1, 2), add("m", 1)));

    LocalReplica restarted = reopen(1, shard.nextIndex);
    restarted.writes(1_000, write(id, add("n", 1)));

    assertThat(restarted.counter("n")).isEqualTo(2);
  }

  @Test
  void expiredOutcomesAreSweptFromTheStore() throws IOException {
    LocalReplica shard = counterShard();
    for (int i = 0; i < 100; i++) {
      shard.writes(1_000, write(requestId(1, i), add("k" + i, 1)));
    }
    assertThat(storedOutcomes(1)).isEqualTo(100);

    long later = 2_000 + WriteOutcomes.RETENTION_MILLIS;
    // Enough new outcomes for a sweep to run (it runs once per SWEEP_EVERY written).
    for (int i = 0; i < WriteOutcomes.SWEEP_EVERY; i++) {
      shard.writes(later, write(requestId(2, i), add("fresh" + i, 1)));
    }

    assertThat(storedOutcomes(1)).isEqualTo(WriteOutcomes.SWEEP_EVERY);
  }

  @Test
  void aRegroupedResendAppliesOnlyTheOpsNotAppliedBefore() throws IOException {
    // One call of two keys went as two parts (two shards at the time); one part was applied, and
    // after a merge the resend carries both keys under the same id.
    LocalReplica shard = counterShard();
    RequestId id = requestId(3, 9);
    shard.writes(1_000, write(id, add("a", 1).toBuilder().setCallIndex(0).build()));

    ShardReply resent =
        shard
            .writes(
                2_000,
                write(
                    id,
                    add("a", 1).toBuilder().setCallIndex(0).build(),
                    add("b", 1).toBuilder().setCallIndex(1).build()))
            .get(0);

    assertThat(resent.getResults().getResultsCount()).isEqualTo(2);
    assertThat(shard.counter("a")).isEqualTo(1);
    assertThat(shard.counter("b")).isEqualTo(1);
  }

  @Test
  void aRefusedWriteStoresNoOutcomeSoItsResendApplies() throws IOException {
    LocalReplica shard = bytesShard(1, "a", "m");
    RequestId id = requestId(1, 1);

    ShardReply refused = shard.writes(1_000, write(id, put("z", "1"))).get(0);
    ShardReply overflow = counterOverflow(requestId(1, 2));

    assertThat(refused.getShardError().getCode()).isEqualTo(ShardError.Code.EPOCH_MISMATCH);
    assertOpError(overflow, OpError.Code.INVALID_ARGUMENT);
    assertThat(storedOutcomes(1)).isZero();
    assertThat(storedOutcomes(5)).isZero();
  }

  private ShardReply counterOverflow(RequestId id) throws IOException {
    LocalReplica counters = create(state(5, CounterType.NAME, Partitioning.HASH, EMPTY, EMPTY));
    counters.writes(1_000, write(null, add("big", Long.MAX_VALUE)));
    return counters.writes(2_000, write(id, add("big", 1))).get(0);
  }

  @Test
  void aSplitChildAnswersAResendOfAWriteItsParentApplied() throws IOException {
    LocalReplica parent = bytesShard(1, "", "");
    RequestId id = requestId(4, 1);
    KeyOp cas = cas("z", "new").setExpectAbsent(true).build();
    ShardReply first = parent.writes(1_000, write(id, cas)).get(0);
    assertThat(first.getResults().getResults(0).getSucceeded()).isTrue();

    parent.apply(split(utf8("m"), 2, 1));
    LocalReplica child = reopen(2, 1);
    ShardReply resent = child.writes(2_000, write(id, cas)).get(0);

    // Applied again, the compare-and-set would fail ("z" exists now) although it succeeded.
    assertThat(resent).isEqualTo(first);
    assertThat(child.get("z").getVersion()).isEqualTo(1);
  }

  /** Stored outcomes of shard {@code shardId}'s range. */
  private long storedOutcomes(long shardId) throws IOException {
    ShardDescriptor shard = storedState(shardId).getShard();
    StorageKeys.Range range =
        StorageKeys.outcomeRange(
            shard.getKeyspaceId(), shard.getStart().toByteArray(), shard.getEnd().toByteArray());
    long[] count = {0};
    store.scan(
        range.start(),
        range.end(),
        (k, v) -> {
          count[0]++;
          return true;
        });
    return count[0];
  }

  @Test
  void casWithoutExpectationIsInvalidAndChangesNothing() throws IOException {
    LocalReplica shard = bytesShard(1, "", "");

    ShardReply reply = shard.ops(put("a", "1"), cas("a", "2").build());

    assertOpError(reply, OpError.Code.INVALID_ARGUMENT);
    assertThat(shard.get("a").getFound()).isFalse();
  }

  @Test
  void anUndecodableEntryFailsItsCallButIsRecordedAsApplied() throws IOException {
    LocalReplica shard = bytesShard(1, "", "");
    LogEntryProto garbage =
        LogProtoUtils.toLogEntryProto(
            StateMachineLogEntryProto.newBuilder()
                .setLogData(UnsafeByteOperations.unsafeWrap(new byte[] {(byte) 0xFF, 1, 2}))
                .build(),
            TERM,
            shard.nextIndex++);

    ShardReply reply = applyEntry(shard.sm, garbage);

    assertOpError(reply, OpError.Code.INVALID_ARGUMENT);
    assertThat(storedAppliedIndex(1)).isEqualTo(1);
  }

  @Test
  void aKeyOutsideTheRangeFailsTheWholeBatchWithEpochMismatch() throws IOException {
    LocalReplica shard = bytesShard(1, "b", "m");

    ShardReply reply = shard.ops(put("c", "in"), put("x", "out"));
    ShardReply onTheEnd = shard.ops(put("m", "out"));
    ShardReply beforeStart = shard.ops(put("a", "out"));

    assertShardError(reply, ShardError.Code.EPOCH_MISMATCH);
    assertThat(reply.getShardError().getCurrentShardsList())
        .containsExactly(shard.sm.state().getShard());
    assertShardError(onTheEnd, ShardError.Code.EPOCH_MISMATCH);
    assertShardError(beforeStart, ShardError.Code.EPOCH_MISMATCH);
    assertThat(shard.get("c").getFound()).isFalse();
    assertShardError(shard.answer(getQuery("c", "x")), ShardError.Code.EPOCH_MISMATCH);
    assertThat(shard.ops(put("b", "in")).hasResults()).isTrue();
    assertThat(storedAppliedIndex(1)).isEqualTo(4);
  }

  // ------------------------------------------------------------------ scans

  private static ShardQuery scanQuery(String start, String end, int limit) {
    return ShardQuery.newBuilder()
        .setKind(ShardQuery.Kind.SCAN)
        .addKeys(bs(start))
        .setScanEnd(bs(end))
        .setLimit(limit)
        .build();
  }

  private static List<String> keysOf(ShardReply reply) {
    assertThat(reply.hasScan()).as("reply %s", reply).isTrue();
    return reply.getScan().getEntriesList().stream().map(e -> e.getKey().toStringUtf8()).toList();
  }

  @Test
  void aScanReturnsTheShardsKeysInOrderUpToItsEndAndSaysWhereToGoOn() throws IOException {
    LocalReplica shard = bytesShard(1, "b", "m");
    shard.ops(put("k", "v1"), put("c", "v1"), put("bb", "v1"), put("lz", "v1"));
    shard.ops(put("c", "v2"), delete("k"));

    ShardReply all = shard.answer(scanQuery("b", "", 0));
    assertThat(keysOf(all)).containsExactly("bb", "c", "lz");
    assertThat(all.getScan().getEntries(1).getValue()).isEqualTo(bs("v2"));
    assertThat(all.getScan().getEntries(1).getVersion()).isEqualTo(2);
    // The shard ends before the scan does: go on at the next shard's first key.
    assertThat(all.getScan().getResumeKey()).isEqualTo(bs("m"));

    ShardReply bounded = shard.answer(scanQuery("bc", "lz", 0));
    assertThat(keysOf(bounded)).containsExactly("c");
    assertThat(bounded.getScan().getResumeKey()).isEmpty(); // the scan ends inside this shard

    ShardReply firstTwo = shard.answer(scanQuery("b", "", 2));
    assertThat(keysOf(firstTwo)).containsExactly("bb", "c");
    // A full page goes on just after its last key: "c" followed by a zero byte.
    assertThat(firstTwo.getScan().getResumeKey()).isEqualTo(bs(new byte[] {'c', 0}));
    assertThat(keysOf(shard.answer(scanQuery("c\0", "", 2)))).containsExactly("lz");
  }

  @Test
  void aScanPageEndsOnceItsBytesReachThePageLimit() throws IOException {
    LocalReplica shard = bytesShard(1, "", "");
    String big = "x".repeat(Limits.SCAN_PAGE_BYTES / 3);
    for (String key : List.of("a", "b", "c", "d", "e")) {
      shard.ops(put(key, big));
    }

    ShardReply page = shard.answer(scanQuery("a", "", 0));

    assertThat(keysOf(page)).containsExactly("a", "b", "c");
    assertThat(page.getScan().getResumeKey()).isEqualTo(bs(new byte[] {'c', 0}));
  }

  @Test
  void aScanOutsideTheRangeOrOfAHashShardIsRefused() throws IOException {
    LocalReplica ranged = bytesShard(1, "b", "m");
    assertShardError(ranged.answer(scanQuery("a", "", 0)), ShardError.Code.EPOCH_MISMATCH);
    assertShardError(ranged.answer(scanQuery("m", "", 0)), ShardError.Code.EPOCH_MISMATCH);

    LocalReplica hashed = create(state(2, BytesType.NAME, Partitioning.HASH, EMPTY, EMPTY));
    hashed.ops(put("a", "1"));
    assertOpError(hashed.answer(scanQuery("a", "", 0)), OpError.Code.FAILED_PRECONDITION);
  }

  @Test
  void afterASplitTheParentScansOnlyItsHalf() throws IOException {
    LocalReplica parent = bytesShard(1, "", "");
    parent.ops(put("a", "1"), put("n", "2"), put("z", "3"));

    parent.apply(split(utf8("m"), 2, 1));
    LocalReplica child = reopen(2, 1);

    ShardReply left = parent.answer(scanQuery("a", "", 0));
    assertThat(keysOf(left)).containsExactly("a");
    assertThat(left.getScan().getResumeKey()).isEqualTo(bs("m"));
    assertThat(keysOf(child.answer(scanQuery("m", "", 0)))).containsExactly("n", "z");
  }

  @Test
  void aRetiredShardRefusesReadsAndWrites() throws IOException {
    LocalReplica shard = bytesShard(1, "", "");
    shard.ops(put("a", "1"));

    shard.apply(ShardCommand.newBuilder().setRetire(RetireShard.getDefaultInstance()).build());

    assertThat(storedState(1).getRetired()).isTrue();
    assertShardError(shard.ops(put("a", "2")), ShardError.Code.EPOCH_MISMATCH);
    assertShardError(shard.answer(getQuery("a")), ShardError.Code.EPOCH_MISMATCH);
  }

  // ------------------------------------------------------------------ restart and snapshots

  @Test
  void replayAfterRestartAppliesNothingTwice() throws IOException {
    LocalReplica before = counterShard();
    before.ops(add("c", 5));
    before.ops(add("c", 5), add("d", 1));
    before.ops(add("c", 5));
    List<LogEntryProto> log = List.copyOf(before.log);

    // No snapshot was taken: Ratis replays the whole log into a fresh state machine.
    LocalReplica after = reopen(1, 1);
    for (LogEntryProto entry : log) {
      applyEntry(after.sm, entry);
      after.nextIndex++;
    }

    assertThat(after.counter("c")).isEqualTo(15);
    assertThat(after.counter("d")).isEqualTo(1);
    assertThat(after.get("c").getVersion()).isEqualTo(3);
    assertThat(after.sm.getLastAppliedTermIndex()).isEqualTo(TermIndex.valueOf(TERM, 3));
    // New entries apply normally after the replay.
    after.ops(add("c", 1));
    assertThat(after.counter("c")).isEqualTo(16);
  }

  @Test
  void restartStartsAtTheSnapshotAndSkipsWhatTheStoreHasPastIt() throws IOException {
    LocalReplica before = counterShard();
    before.ops(add("c", 1));
    before.ops(add("c", 1));
    assertThat(snapshot(before.sm)).isEqualTo(2);
    before.ops(add("c", 1));
    before.ops(add("c", 1));
    List<LogEntryProto> log = List.copyOf(before.log);

    LocalReplica after = reopen(1, 3);

    assertThat(after.sm.getLastAppliedTermIndex()).isEqualTo(TermIndex.valueOf(TERM, 2));
    assertThat(after.sm.getLatestSnapshot().getTermIndex()).isEqualTo(TermIndex.valueOf(TERM, 2));
    // Ratis replays from the snapshot index: entries 3 and 4 are in the store already.
    applyEntry(after.sm, log.get(2));
    applyEntry(after.sm, log.get(3));
    assertThat(after.counter("c")).isEqualTo(4);
    assertThat(after.sm.getLastAppliedTermIndex()).isEqualTo(TermIndex.valueOf(TERM, 4));
  }

  @Test
  void aLogTornBelowTheStoredAppliedIndexIsRefilledWithoutApplyingTwice() throws IOException {
    LocalReplica before = counterShard();
    before.ops(add("c", 1));
    before.ops(add("c", 10));
    before.ops(add("c", 100));
    before.ops(add("c", 1000));
    List<LogEntryProto> log = List.copyOf(before.log);
    assertThat(storedAppliedIndex(1)).isEqualTo(4);

    // A crash tore the log after entry 2; the store had applied all 4. The restart replays what
    // the log still has: the applied index Ratis sees stops at 2, the data stays at 4.
    LocalReplica after = reopen(1, 1);
    applyEntry(after.sm, log.get(0));
    applyEntry(after.sm, log.get(1));
    assertThat(after.sm.getLastAppliedTermIndex()).isEqualTo(TermIndex.valueOf(TERM, 2));
    assertThat(after.counter("c")).isEqualTo(1111);

    // The leader resends the entries the tear lost (committed entries are the same on every
    // replica): they move the applied index on, they do not apply again.
    applyEntry(after.sm, log.get(2));
    applyEntry(after.sm, log.get(3));
    assertThat(after.sm.getLastAppliedTermIndex()).isEqualTo(TermIndex.valueOf(TERM, 4));
    assertThat(after.counter("c")).isEqualTo(1111);
    assertThat(storedAppliedIndex(1)).isEqualTo(4);

    after.nextIndex = 5;
    after.ops(add("c", 10000));
    assertThat(after.counter("c")).isEqualTo(11111);
    assertThat(storedAppliedIndex(1)).isEqualTo(5);
  }

  @Test
  void takeSnapshotRecordsTheAppliedIndexDurably() throws IOException {
    LocalReplica shard = bytesShard(1, "", "");
    assertThat(shard.sm.getLatestSnapshot()).isNull();
    shard.ops(put("a", "1"));
    shard.ops(put("b", "2"));

    long index = snapshot(shard.sm);

    assertThat(index).isEqualTo(2);
    assertThat(shard.sm.getLatestSnapshot().getTermIndex()).isEqualTo(TermIndex.valueOf(TERM, 2));
    assertThat(ShardStateMachine.decodeTermIndex(store.get(StorageKeys.snapshotKey(1))))
        .isEqualTo(TermIndex.valueOf(TERM, 2));
  }

  @Test
  void aSnapshotIsTheEntryAppliedWhenItsFlushStartedAndEntriesApplyMeanwhile() throws IOException {
    LocalReplica shard = bytesShard(1, "", "");
    shard.ops(put("a", "1"));
    shard.ops(put("b", "2"));

    // Ratis's apply thread asks: the flush starts in the background and nothing is reported yet,
    // so Ratis purges nothing; the snapshot key is in the store, to be flushed with the entries.
    assertThat(shard.sm.takeSnapshot()).isEqualTo(-1);
    assertThat(shard.sm.getLatestSnapshot()).isNull();
    assertThat(ShardStateMachine.decodeTermIndex(store.get(StorageKeys.snapshotKey(1))))
        .isEqualTo(TermIndex.valueOf(TERM, 2));
    // The shard keeps applying while the store flushes.
    shard.ops(put("c", "3"));

    // Once the flush ended, the snapshot is the entry applied when it started, not a later one.
    assertThat(snapshot(shard.sm)).isEqualTo(2);
    assertThat(shard.sm.getLatestSnapshot().getTermIndex()).isEqualTo(TermIndex.valueOf(TERM, 2));
    assertThat(shard.get("c").getPayload()).isEqualTo(bs("3"));
    // The next request makes the next snapshot, from entry 3.
    assertThat(snapshot(shard.sm)).isEqualTo(3);
  }

  /** Takes a snapshot as Ratis's apply thread does: asks until the background flush made one. */
  private static long snapshot(ShardStateMachine sm) {
    return await().until(sm::takeSnapshot, index -> index >= 0);
  }

  @Test
  void termIndexEncodingRoundTrips() {
    TermIndex ti = TermIndex.valueOf(7, 123_456_789_012L);

    assertThat(ShardStateMachine.decodeTermIndex(ShardStateMachine.encodeTermIndex(ti)))
        .isEqualTo(ti);
    assertThat(ShardStateMachine.decodeTermIndex(null)).isNull();
  }

  // ------------------------------------------------------------------ split

  @Test
  void splitCutsTheRangeAtOneIndexAndStartsTheChild() throws IOException {
    LocalReplica parent = bytesShard(1, "", "");
    parent.ops(put("a", "left"), put("z", "right"));

    ShardReply reply = parent.apply(split(utf8("m"), 2, 1));

    ShardDescriptor left = reply.getState().getShard();
    assertThat(left.getStart()).isEmpty();
    assertThat(left.getEnd()).isEqualTo(bs("m"));
    assertThat(left.getEpoch()).isEqualTo(2);
    assertThat(storedState(1)).isEqualTo(reply.getState());
    ShardState child = storedState(2);
    assertThat(child.getShard().getShardId()).isEqualTo(2);
    assertThat(child.getShard().getStart()).isEqualTo(bs("m"));
    assertThat(child.getShard().getEnd()).isEmpty();
    assertThat(child.getShard().getEpoch()).isEqualTo(2);
    assertThat(child.getShard().getReplicasList()).isEqualTo(left.getReplicasList());
    assertThat(child.getShard().getLeaderNodeId()).isEmpty();
    assertThat(child.getValueType()).isEqualTo(BytesType.NAME);
    assertThat(host.childStarts).hasSize(1);
    assertThat(host.childStarts.get(0).child()).isEqualTo(child);
    assertThat(host.childStarts.get(0).parentGroup().getGroupId())
        .isEqualTo(ShardGroups.groupId(1));

    LocalReplica childReplica = reopen(2, 1);
    assertThat(parent.get("a").getPayload()).isEqualTo(bs("left"));
    assertShardError(parent.answer(getQuery("z")), ShardError.Code.EPOCH_MISMATCH);
    assertShardError(parent.ops(put("m", "x")), ShardError.Code.EPOCH_MISMATCH);
    assertThat(childReplica.get("z").getPayload()).isEqualTo(bs("right"));
    assertThat(childReplica.get("z").getVersion()).isEqualTo(1);
    assertShardError(childReplica.answer(getQuery("a")), ShardError.Code.EPOCH_MISMATCH);
    assertThat(childReplica.ops(put("m", "child")).hasResults()).isTrue();
  }

  @Test
  void splitOfAHashShardSendsEachKeyToExactlyOneSide() throws IOException {
    LocalReplica parent = create(state(1, BytesType.NAME, Partitioning.HASH, EMPTY, EMPTY));
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      keys.add("key-" + i);
      parent.ops(put("key-" + i, "v" + i));
    }
    byte[] middle = {(byte) 0x80, 0, 0, 0, 0, 0, 0, 0};

    parent.apply(split(middle, 2, 1));
    LocalReplica child = reopen(2, 1);

    int onLeft = 0;
    for (String key : keys) {
      boolean left = parent.answer(getQuery(key)).hasResults();
      boolean right = child.answer(getQuery(key)).hasResults();
      assertThat(left).as("%s owned by exactly one side", key).isNotEqualTo(right);
      LocalReplica owner = left ? parent : child;
      assertThat(owner.get(key).getPayload()).isEqualTo(bs("v" + key.substring(4)));
      onLeft += left ? 1 : 0;
    }
    assertThat(onLeft).isBetween(60, 140);
  }

  @Test
  void splitWithAStaleEpochOrABadPointChangesNothing() throws IOException {
    LocalReplica parent = bytesShard(1, "b", "y");
    ShardState before = storedState(1);

    ShardReply stale = parent.apply(split(utf8("m"), 2, 7));
    ShardReply atStart = parent.apply(split(utf8("b"), 2, 1));
    ShardReply beforeStart = parent.apply(split(utf8("a"), 2, 1));
    ShardReply atEnd = parent.apply(split(utf8("y"), 2, 1));
    ShardReply empty = parent.apply(split(EMPTY, 2, 1));

    assertShardError(stale, ShardError.Code.EPOCH_MISMATCH);
    for (ShardReply reply : List.of(atStart, beforeStart, atEnd, empty)) {
      assertOpError(reply, OpError.Code.INVALID_ARGUMENT);
    }
    assertThat(storedState(1)).isEqualTo(before);
    assertThat(store.get(StorageKeys.stateKey(2))).isNull();
    assertThat(host.childStarts).isEmpty();
    assertThat(storedAppliedIndex(1)).isEqualTo(5);
  }

  @Test
  void aReplayedSplitIsNotAppliedTwice() throws IOException {
    LocalReplica parent = bytesShard(1, "", "");
    parent.apply(split(utf8("m"), 2, 1));
    List<LogEntryProto> log = List.copyOf(parent.log);

    LocalReplica after = reopen(1, 1);
    applyEntry(after.sm, log.get(0));

    assertThat(after.sm.state().getShard().getEpoch()).isEqualTo(2);
    assertThat(storedState(1).getShard().getEpoch()).isEqualTo(2);
    assertThat(host.childStarts).hasSize(1);
  }

  // ------------------------------------------------------------------ merge

  /** Splits shard 1 at "m"; returns {left, right}. */
  private LocalReplica[] splitSiblings() throws IOException {
    LocalReplica left = bytesShard(1, "", "");
    left.ops(put("a", "left"), put("z", "right"));
    left.apply(split(utf8("m"), 2, 1));
    return new LocalReplica[] {left, reopen(2, 1)};
  }

  @Test
  void prepareFreezesCommitExtendsTheLeftAndRetiresTheRight() throws IOException {
    LocalReplica[] siblings = splitSiblings();
    LocalReplica left = siblings[0];
    LocalReplica right = siblings[1];

    ShardReply prepared = right.apply(prepareMerge(1, 2));

    assertThat(prepared.getState().getFrozen()).isTrue();
    assertThat(prepared.getState().getFrozenAtIndex()).isEqualTo(1);
    assertThat(storedState(2).getFrozen()).isTrue();
    assertShardError(right.ops(put("z", "x")), ShardError.Code.SHARD_BUSY);
    assertThat(right.get("z").getPayload()).as("reads still served").isEqualTo(bs("right"));

    ShardReply merged = left.apply(commitMerge(right.sm.state().getShard(), 1, 2));

    ShardDescriptor shard = merged.getState().getShard();
    assertThat(shard.getShardId()).isEqualTo(1);
    assertThat(shard.getStart()).isEmpty();
    assertThat(shard.getEnd()).isEmpty();
    assertThat(shard.getEpoch()).isEqualTo(3);
    assertThat(storedState(1).getShard()).isEqualTo(shard);
    assertThat(storedState(2).getRetired()).isTrue();
    assertThat(right.sm.state().getRetired()).isTrue();
    assertThat(left.get("z").getPayload()).isEqualTo(bs("right"));
    assertThat(left.ops(put("y", "1")).hasResults()).isTrue();
    assertShardError(right.answer(getQuery("z")), ShardError.Code.EPOCH_MISMATCH);
  }

  @Test
  void rollbackThawsTheRightAtANewEpoch() throws IOException {
    LocalReplica right = splitSiblings()[1];
    right.apply(prepareMerge(1, 2));

    ShardReply rolledBack = right.apply(rollbackMerge(2));

    assertThat(rolledBack.getState().getFrozen()).isFalse();
    assertThat(rolledBack.getState().getFrozenAtIndex()).isZero();
    assertThat(rolledBack.getState().getShard().getEpoch()).isEqualTo(3);
    assertThat(storedState(2)).isEqualTo(rolledBack.getState());
    assertThat(right.ops(put("z", "again")).hasResults()).isTrue();
    // A second rollback (a retry) changes nothing.
    assertThat(right.apply(rollbackMerge(2)).getState()).isEqualTo(rolledBack.getState());
  }

  @Test
  void aResentPrepareKeepsTheFirstFreeze() throws IOException {
    LocalReplica right = splitSiblings()[1];
    ShardState first = right.apply(prepareMerge(1, 2)).getState();

    ShardReply resent = right.apply(prepareMerge(1, 2));

    assertThat(resent.getState()).isEqualTo(first);
    assertThat(storedState(2).getFrozenAtIndex()).isEqualTo(first.getFrozenAtIndex());
  }

  @Test
  void aLateRollbackOfAnEarlierFreezeDoesNotThawTheNextOne() throws IOException {
    LocalReplica right = splitSiblings()[1];
    right.apply(prepareMerge(1, 2));
    right.apply(rollbackMerge(2)); // thawed at epoch 3
    ShardState frozenAgain = right.apply(prepareMerge(1, 3)).getState();

    ShardReply late = right.apply(rollbackMerge(2));

    assertThat(late.getState()).isEqualTo(frozenAgain);
    assertThat(storedState(2).getFrozen()).isTrue();
    assertShardError(right.ops(put("z", "x")), ShardError.Code.SHARD_BUSY);
  }

  @Test
  void staleMergeStepsChangeNothing() throws IOException {
    LocalReplica[] siblings = splitSiblings();
    LocalReplica left = siblings[0];
    LocalReplica right = siblings[1];
    ShardState leftBefore = storedState(1);

    assertShardError(right.apply(prepareMerge(1, 1)), ShardError.Code.EPOCH_MISMATCH);
    assertThat(storedState(2).getFrozen()).isFalse();

    right.apply(prepareMerge(1, 2));
    ShardDescriptor rightShard = right.sm.state().getShard();
    assertShardError(
        left.apply(commitMerge(rightShard, 1, 1)), ShardError.Code.EPOCH_MISMATCH); // left epoch
    ShardDescriptor notAdjacent = rightShard.toBuilder().setStart(bs("n")).build();
    assertShardError(left.apply(commitMerge(notAdjacent, 1, 2)), ShardError.Code.EPOCH_MISMATCH);
    ShardDescriptor otherKeyspace = rightShard.toBuilder().setKeyspaceId(9).build();
    assertShardError(left.apply(commitMerge(otherKeyspace, 1, 2)), ShardError.Code.EPOCH_MISMATCH);

    assertThat(storedState(1)).isEqualTo(leftBefore);
    assertThat(storedState(2).getRetired()).isFalse();
  }

  // ------------------------------------------------------------------ found bugs
  // A replica reopened without a snapshot has a null applied term/index until it applies its first
  // entry (loadFromStore sets it to the snapshot's, which is null); two readers of it do not expect
  // that. Enable these once loadFromStore starts at TermIndex.INITIAL_VALUE, or the readers cope.

  @Test
  void statsOfAReplicaReopenedWithoutASnapshot() throws IOException {
    bytesShard(1, "", "").ops(put("a", "1"));
    LocalReplica after = reopen(1, 1);

    ShardReply stats = after.answer(ShardQuery.newBuilder().setKind(ShardQuery.Kind.STATS).build());

    assertThat(stats.hasStats()).isTrue();
  }

  @Test
  void commitMergeWaitsForARightReplicaThatHasNotAppliedTheFreeze() throws Exception {
    LocalReplica[] siblings = splitSiblings();
    LocalReplica right = siblings[1];
    ShardDescriptor rightShard = right.sm.state().getShard();
    // The leader's log has the freeze at index 1; this node's right replica has not applied it.
    CompletableFuture<ShardReply> merge =
        CompletableFuture.supplyAsync(() -> siblings[0].apply(commitMerge(rightShard, 1, 2)));

    Thread.sleep(100);
    assertThat(merge).as("waits for the right replica, does not fail").isNotDone();
    right.apply(prepareMerge(1, 2));

    assertThat(merge.get(5, TimeUnit.SECONDS).getState().getShard().getEnd()).isEmpty();
  }

  /**
   * A node restarted with a torn Raft log: the right replica replays only what its log still holds,
   * so its applied index stays below the freeze it had applied and stored. The other replicas of
   * the right shard may be retired and removed by then, leaving nobody to resend the lost entries;
   * the merge must go by what the store holds, or the left replica would wait for good
   * (LogTruncationChaosIT: "shard 11 on n2 at 90 < 486").
   */
  @Test
  void commitMergeGoesByTheStoreForARightReplicaThatLostItsLogTail() throws Exception {
    LocalReplica[] siblings = splitSiblings();
    siblings[1].apply(prepareMerge(1, 2));
    LocalReplica right = reopen(2, 1); // restarted; the entries its log lost never come back
    ShardDescriptor rightShard = right.sm.state().getShard();

    ShardReply merged =
        CompletableFuture.supplyAsync(() -> siblings[0].apply(commitMerge(rightShard, 1, 2)))
            .get(5, TimeUnit.SECONDS);

    assertThat(merged.getState().getShard().getEnd()).isEmpty();
    assertThat(right.sm.state().getRetired()).isTrue();
    assertThat(siblings[0].get("z").getPayload()).isEqualTo(bs("right"));
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
