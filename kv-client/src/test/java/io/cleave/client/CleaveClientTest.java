package io.cleave.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cleave.api.Limits;
import io.cleave.api.RoutingKeys;
import io.cleave.api.types.CounterType;
import io.cleave.api.v1.BatchEntry;
import io.cleave.api.v1.BatchRequest;
import io.cleave.api.v1.Partitioning;
import io.cleave.api.v1.ShardDescriptor;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The client against fake nodes that answer like the real server: each test changes the truth
 * behind the client's cached map and checks where the call ended, what the cache learned, and what
 * it cost in round trips.
 */
class CleaveClientTest {
  private static final String KS = "users";

  private FakeCluster cluster;
  private CleaveClient client;
  private BlockingClient blocking;

  @BeforeEach
  void start() {
    cluster = FakeCluster.start(3);
    cluster.addKeyspace(KS, Partitioning.RANGE);
    cluster.publishMap();
    client = cluster.client().build();
    blocking = client.blocking();
  }

  @AfterEach
  void stop() {
    client.close();
    cluster.close();
  }

  private static Bytes key(String k) {
    return Bytes.utf8(k);
  }

  private long shardId() {
    return cluster.shards(KS).get(0).getShardId();
  }

  /** Loads the map and learns the leader with one call, then returns the metrics after it. */
  private ClientMetrics warm() {
    blocking.put(KS, key("warm"), key("up"));
    return client.metrics();
  }

  private FakeCluster.Seen last() {
    List<FakeCluster.Seen> all = cluster.requests();
    return all.get(all.size() - 1);
  }

  @Test
  void putThenGetCostsOneMapLoadAndOneAttemptEach() {
    assertThat(blocking.put(KS, key("ada"), key("lovelace"))).isEqualTo(1);
    assertThat(blocking.get(KS, key("ada"))).isEqualTo(new GetResult(true, key("lovelace"), 1));
    assertThat(blocking.get(KS, key("nobody"))).isEqualTo(GetResult.NOT_FOUND);
    assertThat(blocking.delete(KS, key("ada"))).isTrue();
    assertThat(blocking.delete(KS, key("ada"))).isFalse();

    assertThat(client.metrics()).isEqualTo(new ClientMetrics(5, 5, 0, 0, 1, 0));
    assertThat(cluster.requests()).allMatch(s -> s.nodeId().equals("n1"));
  }

  @Test
  void staleReadsSpreadOverTheReplicasWhileLinearizableReadsGoToTheLeader() {
    blocking.put(KS, key("k"), key("v"));
    ClientMetrics before = client.metrics();
    int seenBefore = cluster.requests().size();

    ReadOptions stale = ReadOptions.builder().consistency(Consistency.STALE).build();
    for (int i = 0; i < 6; i++) {
      assertThat(blocking.get(KS, key("k"), stale).value()).isEqualTo(key("v"));
    }
    List<FakeCluster.Seen> staleReads = cluster.requests().subList(seenBefore, seenBefore + 6);
    blocking.get(KS, key("k"));

    assertThat(staleReads).extracting(FakeCluster.Seen::nodeId).containsOnly("n1", "n2", "n3");
    assertThat(staleReads.stream().map(FakeCluster.Seen::nodeId).distinct()).hasSize(3);
    assertThat(last().nodeId()).isEqualTo("n1");
    // Every read answered at its first attempt: no NOT_LEADER detours.
    assertThat(client.metrics().minus(before).attempts()).isEqualTo(7);
  }

  @Test
  void leaderMoveWithHintCostsOneExtraRoundTripThenGoesStraightToTheNewLeader() {
    ClientMetrics before = warm();
    cluster.moveLeader(shardId(), "n2"); // the published map still says n1

    blocking.put(KS, key("k"), key("v"));

    assertThat(client.metrics().minus(before)).isEqualTo(new ClientMetrics(1, 2, 1, 0, 0, 0));
    assertThat(last().nodeId()).isEqualTo("n2");

    ClientMetrics after = client.metrics();
    assertThat(blocking.get(KS, key("k")).value()).isEqualTo(key("v"));
    assertThat(client.metrics().minus(after).attempts()).isEqualTo(1);
    assertThat(last().nodeId()).isEqualTo("n2");
  }

  @Test
  void leaderMoveWithoutHintWalksTheReplicas() {
    warm();
    cluster.leaderHints(false);
    cluster.moveLeader(shardId(), "n3");

    blocking.put(KS, key("k"), key("v"));

    assertThat(last().nodeId()).isEqualTo("n3");
    ClientMetrics m = client.metrics();
    assertThat(m.routingRetries()).isBetween(1L, 2L); // n1 and maybe n2 said NOT_LEADER
    assertThat(m.failures()).isZero();
  }

  @Test
  void splitIsRepairedFromTheErrorDetailWithoutAMapReload() {
    ClientMetrics before = warm();
    ShardDescriptor right = cluster.split(shardId(), "m".getBytes(), "n2").get(1);

    blocking.put(KS, key("zebra"), key("stripes")); // in the new right shard

    // n1 said EPOCH_MISMATCH with both halves; the right half's descriptor names its leader, so
    // the retry goes straight to n2: one extra round trip, no map reload.
    assertThat(client.metrics().minus(before)).isEqualTo(new ClientMetrics(1, 2, 1, 0, 0, 0));
    assertThat(last().nodeId()).isEqualTo("n2");
    assertThat(last().hintedShard()).isEqualTo(right.getShardId());

    ClientMetrics after = client.metrics();
    blocking.get(KS, key("apple")); // left shard, cached from the same error
    blocking.get(KS, key("zebra"));
    assertThat(client.metrics().minus(after).attempts()).isEqualTo(2);
  }

  @Test
  void mergeIsRepairedFromTheErrorDetail() {
    List<ShardDescriptor> halves = cluster.split(shardId(), "m".getBytes(), "n1");
    cluster.publishMap();
    ClientMetrics before = warm();
    ShardDescriptor merged = cluster.merge(halves.get(0).getShardId(), halves.get(1).getShardId());

    blocking.put(KS, key("zebra"), key("v"));

    assertThat(client.metrics().minus(before).mapReloads()).isZero();
    assertThat(last().hintedShard()).isEqualTo(merged.getShardId());
    assertThat(last().outcome()).isEqualTo("OK");
  }

  @Test
  void unknownKeyspaceReloadsTheMapOnceThenFails() {
    assertThatThrownBy(() -> blocking.get("nope", key("k")))
        .isInstanceOf(KeyspaceNotFoundException.class)
        .extracting(e -> ((CleaveException) e).code())
        .isEqualTo(Status.Code.NOT_FOUND);
    assertThat(client.metrics()).isEqualTo(new ClientMetrics(1, 0, 0, 0, 1, 1));
    assertThat(cluster.mapRequests.get()).isEqualTo(1);
  }

  @Test
  void keyspaceCreatedAfterTheMapLoadIsFoundByOneReload() {
    ClientMetrics before = warm();
    cluster.addKeyspace("late", Partitioning.HASH);
    cluster.publishMap();

    blocking.put("late", key("k"), key("v"));

    assertThat(client.metrics().minus(before)).isEqualTo(new ClientMetrics(1, 1, 0, 0, 1, 0));
  }

  @Test
  void keyspaceDeletedBehindTheCacheFailsAfterOneReload() {
    ClientMetrics before = warm();
    cluster.removeKeyspace(KS);
    cluster.publishMap();

    assertThatThrownBy(() -> blocking.get(KS, key("k")))
        .isInstanceOf(KeyspaceNotFoundException.class);
    assertThat(client.metrics().minus(before)).isEqualTo(new ClientMetrics(1, 1, 0, 0, 1, 1));
  }

  @Test
  void keyspaceRecreatedWithANewIdIsFoundAfterTheNodeSaysNotFoundOrMismatch() {
    warm();
    cluster.removeKeyspace(KS);
    cluster.addKeyspace(KS, Partitioning.RANGE);
    cluster.publishMap();

    blocking.put(KS, key("k"), key("v"));

    assertThat(last().outcome()).isEqualTo("OK");
    assertThat(last().hintedShard()).isEqualTo(shardId());
  }

  @Test
  void nodeDownFailsOverToAnotherReplica() {
    warm();
    cluster.stopNode("n1");
    cluster.moveLeader(shardId(), "n2");

    blocking.put(KS, key("k"), key("v"));

    assertThat(last().nodeId()).isEqualTo("n2");
    assertThat(client.metrics().backoffRetries()).isEqualTo(1);
    assertThat(client.metrics().failures()).isZero();
  }

  @Test
  void mapIsLoadedFromTheNextEndpointWhenTheFirstIsDown() {
    try (CleaveClient other =
        cluster.client().endpoints("nowhere:1", cluster.address("n2")).build()) {
      other.blocking().put(KS, key("k"), key("v"));
      assertThat(other.metrics().mapReloads()).isEqualTo(1);
    }
  }

  @Test
  void writeTimingOutInFlightHasAnUnknownOutcomeAndIsNotRetried() {
    ClientMetrics before = warm();
    cluster.hangWrites("n1");
    WriteOptions fast = WriteOptions.builder().timeout(Duration.ofMillis(200)).build();

    long start = System.nanoTime();
    assertThatThrownBy(() -> blocking.command(KS, key("c"), Bytes.of(new byte[8]), fast))
        .isInstanceOf(UnknownOutcomeException.class)
        .extracting(e -> ((CleaveException) e).code())
        .isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
    assertThat(client.metrics().minus(before).attempts()).isEqualTo(1);
  }

  @Test
  void readTimingOutIsADeadlineFailureNotAnUnknownOutcome() {
    warm();
    cluster.hangReads("n1");
    ReadOptions fast = ReadOptions.builder().timeout(Duration.ofMillis(200)).build();

    assertThatThrownBy(() -> blocking.get(KS, key("k"), fast))
        .isInstanceOf(CleaveException.class)
        .isNotInstanceOf(UnknownOutcomeException.class)
        .extracting(e -> ((CleaveException) e).code())
        .isEqualTo(Status.Code.DEADLINE_EXCEEDED);
  }

  @Test
  void busyShardIsRetriedWithBackoffUntilItServes() {
    ClientMetrics before = warm();
    cluster.busy(shardId(), 3);

    blocking.put(KS, key("k"), key("v"));

    assertThat(client.metrics().minus(before)).isEqualTo(new ClientMetrics(1, 4, 0, 3, 0, 0));
  }

  @Test
  void retriesStopAtTheDeadline() {
    warm();
    cluster.busy(shardId(), Integer.MAX_VALUE);
    try (CleaveClient patient =
        cluster
            .client()
            .maxRetries(1000)
            .backoff(Duration.ofMillis(20), Duration.ofMillis(40))
            .build()) {
      WriteOptions budget = WriteOptions.builder().timeout(Duration.ofMillis(300)).build();
      long start = System.nanoTime();
      assertThatThrownBy(() -> patient.blocking().put(KS, key("k"), key("v"), budget))
          .isInstanceOf(CleaveException.class)
          .extracting(e -> ((CleaveException) e).code())
          // The real cause when the budget ran out between attempts; on a starved CPU the
          // deadline can also cut the last attempt in flight, and then it is the cause.
          .isIn(Status.Code.UNAVAILABLE, Status.Code.DEADLINE_EXCEEDED);
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      assertThat(took).isLessThan(Duration.ofMillis(300 + 1700)); // slack for a busy CI box
      assertThat(patient.metrics().attempts()).isBetween(2L, 30L);
    }
  }

  @Test
  void retriesStopAtMaxRetries() {
    warm();
    try (CleaveClient bounded = cluster.client().maxRetries(3).build()) {
      bounded.blocking().get(KS, key("warm")); // the map is loaded before the nodes go
      List.of("n1", "n2", "n3").forEach(cluster::stopNode);
      assertThatThrownBy(() -> bounded.blocking().put(KS, key("k"), key("v")))
          .isInstanceOf(CleaveException.class);
      assertThat(bounded.metrics().attempts()).isEqualTo(1 + 4);
    }
  }

  @Test
  void aBusyShardIsWaitedOutBeyondMaxRetriesBecauseItIsHealthy() {
    warm();
    cluster.busy(shardId(), 6);
    try (CleaveClient bounded = cluster.client().maxRetries(2).build()) {
      bounded.blocking().put(KS, key("k"), key("v"));
      assertThat(bounded.metrics().attempts()).isEqualTo(7);
      assertThat(bounded.metrics().backoffRetries()).isEqualTo(6);
      assertThat(bounded.metrics().failures()).isZero();
    }
  }

  @Test
  void invalidArgumentFailsAtOnce() {
    ClientMetrics before = warm();
    assertThatThrownBy(() -> blocking.command(KS, key("c"), key("not 8 bytes")))
        .isInstanceOf(InvalidArgumentException.class);
    assertThat(client.metrics().minus(before).attempts()).isEqualTo(1);
  }

  @Test
  void badKeysAreRejectedBeforeAnyRpc() {
    Bytes tooLong = Bytes.of(new byte[Limits.MAX_KEY_BYTES + 1]);
    assertThatThrownBy(() -> client.get(KS, Bytes.EMPTY))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> client.put(KS, tooLong, key("v")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> client.batchGet(KS, List.of(key("ok"), Bytes.EMPTY)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> client.get("", key("k"))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> client.scan(KS, key("a"), key("z"), 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> client.scan(KS, key("z"), key("a"), 10))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> client.scan(KS, key("a"), key("a"), 10))
        .isInstanceOf(IllegalArgumentException.class);
    Bytes pastAnyResumeKey = Bytes.of(new byte[Limits.MAX_KEY_BYTES + 2]);
    assertThatThrownBy(() -> client.scan(KS, pastAnyResumeKey, Bytes.EMPTY, 10))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(client.metrics()).isEqualTo(new ClientMetrics(0, 0, 0, 0, 0, 0));
    assertThat(cluster.mapRequests.get()).isZero();
  }

  @Test
  void batchesAreGroupedPerShardAndAnsweredInTheCallersOrder() {
    cluster.addKeyspace("h", Partitioning.HASH);
    long hashShard = cluster.shards("h").get(0).getShardId();
    cluster.split(hashShard, new byte[] {(byte) 0x80, 0, 0, 0, 0, 0, 0, 0}, "n2");
    cluster.publishMap();

    List<KeyValue> puts = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      puts.add(KeyValue.of(key("k" + i), key("v" + i)));
    }
    List<Long> versions = blocking.batchPut("h", puts);
    assertThat(versions).hasSize(40).containsOnly(1L);

    // Every key was sent to its owner; the fake rejects a batch that spans shards.
    List<FakeCluster.Seen> batches = cluster.requests();
    assertThat(batches).hasSize(2).allMatch(s -> s.outcome().equals("OK"));
    assertThat(batches.stream().mapToInt(FakeCluster.Seen::keys).sum()).isEqualTo(40);
    assertThat(batches.stream().map(FakeCluster.Seen::nodeId))
        .containsExactlyInAnyOrder("n1", "n2");

    List<Bytes> keys = new ArrayList<>(puts.stream().map(KeyValue::key).toList());
    keys.add(key("missing"));
    Collections.shuffle(keys, new Random(7));
    List<GetResult> got = blocking.batchGet("h", keys);
    for (int i = 0; i < keys.size(); i++) {
      String k = keys.get(i).toUtf8();
      assertThat(got.get(i))
          .isEqualTo(
              k.equals("missing")
                  ? GetResult.NOT_FOUND
                  : new GetResult(true, key("v" + k.substring(1)), 1));
    }
    assertThat(blocking.batchDelete("h", List.of(key("k1"), key("missing"), key("k2"))))
        .containsExactly(true, false, true);
  }

  @Test
  void batchAcrossASplitIsRegroupedAfterTheRepair() {
    cluster.addKeyspace("h", Partitioning.HASH);
    cluster.publishMap();
    List<Bytes> keys = IntStream.range(0, 30).mapToObj(i -> key("k" + i)).toList();
    blocking.batchPut("h", keys.stream().map(k -> KeyValue.of(k, k)).toList());
    ClientMetrics before = client.metrics();

    long shard = cluster.shards("h").get(0).getShardId();
    cluster.split(shard, new byte[] {(byte) 0x80}, "n1");

    assertThat(blocking.batchGet("h", keys))
        .extracting(GetResult::value)
        .containsExactlyElementsOf(keys);
    ClientMetrics cost = client.metrics().minus(before);
    assertThat(cost.mapReloads()).isZero();
    assertThat(cost.routingRetries()).isEqualTo(1);
    assertThat(cost.attempts()).isEqualTo(3); // the stale one, then one per new shard
  }

  @Test
  void bigBatchesAreCutToTheNodeLimit() {
    List<KeyValue> many = new ArrayList<>();
    for (int i = 0; i < Limits.MAX_BATCH_ENTRIES + 5; i++) {
      many.add(KeyValue.of(key("k" + i), key("v")));
    }
    blocking.batchPut(KS, many);
    assertThat(cluster.requests())
        .extracting(FakeCluster.Seen::keys)
        .containsExactly(Limits.MAX_BATCH_ENTRIES, 5);
  }

  @Test
  void compareAndSetCoversEveryExpectation() {
    Bytes k = key("cas");
    assertThat(blocking.compareAndSet(KS, k, Expectation.absent(), Update.set(key("a"))))
        .isEqualTo(new CasResult(true, true, key("a"), 1));
    assertThat(blocking.compareAndSet(KS, k, Expectation.absent(), Update.set(key("b"))))
        .isEqualTo(new CasResult(false, true, key("a"), 1));
    assertThat(blocking.compareAndSet(KS, k, Expectation.value(key("a")), Update.set(key("b"))))
        .isEqualTo(new CasResult(true, true, key("b"), 2));
    assertThat(blocking.compareAndSet(KS, k, Expectation.version(1), Update.delete()).succeeded())
        .isFalse();
    assertThat(blocking.compareAndSet(KS, k, Expectation.version(2), Update.delete()))
        .isEqualTo(new CasResult(true, false, Bytes.EMPTY, 0));
  }

  @Test
  void typedKeyspaceEncodesCommandsAndDecodesResults() {
    cluster.addKeyspace("counters", Partitioning.HASH, CounterType.NAME);
    cluster.publishMap();
    TypedKeyspace<Long, Long, Long, Long> counters = client.keyspace("counters", new CounterType());

    assertThat(counters.blocking().command(key("hits"), 5L)).isEqualTo(5L);
    assertThat(counters.command(key("hits"), 2L).join()).isEqualTo(7L);
    assertThat(counters.blocking().query(key("hits"), 0L)).contains(7L);
    assertThat(counters.blocking().query(key("none"), 0L)).isEmpty();
    assertThat(counters.blocking().get(key("hits"))).contains(7L);
    assertThat(
            counters
                .blocking()
                .batchCommand(List.of(Map.entry(key("hits"), 1L), Map.entry(key("b"), -4L))))
        .containsExactly(8L, -4L);
  }

  @Test
  void adminRegistersAKeyspaceTheDataCallsThenFind() {
    ClientMetrics before = warm();
    client
        .admin()
        .registerKeyspace(
            "fresh", KeyspaceOptions.builder().partitioning(Partitioning.HASH).build())
        .join();
    assertThat(blocking.admin().listKeyspaces()).extracting(k -> k.getName()).contains("fresh");
    assertThatThrownBy(() -> blocking.admin().registerKeyspace("fresh", KeyspaceOptions.DEFAULT))
        .isInstanceOf(CleaveException.class)
        .extracting(e -> ((CleaveException) e).code())
        .isEqualTo(Status.Code.ALREADY_EXISTS);

    blocking.put("fresh", key("k"), key("v"));
    assertThat(client.metrics().minus(before).mapReloads()).isEqualTo(1);
  }

  @Test
  void aKeyspaceWhoseMapNoNodeCouldReadYetIsRetriedNotReportedMissing() {
    // A fresh client: its first call loads the map, and one whole round of loads fails.
    cluster.refuseMapReads(3); // 3 nodes
    try (CleaveClient fresh = cluster.client().build()) {
      fresh.blocking().put(KS, key("k"), key("v"));
      assertThat(fresh.blocking().get(KS, key("k")).value()).isEqualTo(key("v"));
    }
  }

  @Test
  void anAdminCallNoNodeCanServeYetIsRetriedInRoundsUntilOneDoes() {
    // More refusals than nodes: a single pass over the nodes would give up.
    cluster.refuseRegistrations(3 * 2 + 1); // 3 nodes
    assertThat(
            blocking
                .admin()
                .registerKeyspace("later", KeyspaceOptions.DEFAULT)
                .getKeyspace()
                .getName())
        .isEqualTo("later");
    assertThat(blocking.admin().listKeyspaces()).extracting(k -> k.getName()).contains("later");
  }

  @Test
  void anAdminCallNoNodeCanServeFailsUnavailableAtItsDeadline() {
    cluster.refuseRegistrations(Integer.MAX_VALUE);
    try (CleaveClient impatient = cluster.client().defaultTimeout(Duration.ofMillis(500)).build()) {
      long start = System.nanoTime();
      assertThatThrownBy(
              () -> impatient.blocking().admin().registerKeyspace("never", KeyspaceOptions.DEFAULT))
          .isInstanceOf(CleaveException.class)
          .extracting(e -> ((CleaveException) e).code())
          .isIn(Status.Code.UNAVAILABLE, Status.Code.DEADLINE_EXCEEDED);
      assertThat(Duration.ofNanos(System.nanoTime() - start))
          .isGreaterThanOrEqualTo(Duration.ofMillis(250))
          .isLessThan(Duration.ofMillis(500 + 1700)); // slack for a busy CI box
    }
  }

  @Test
  void asyncFailuresCarryTheClientException() {
    assertThat(client.get("nope", key("k")))
        .failsWithin(Duration.ofSeconds(2))
        .withThrowableOfType(java.util.concurrent.ExecutionException.class)
        .withCauseInstanceOf(KeyspaceNotFoundException.class);
  }

  @Test
  void hashRoutingMatchesTheContract() {
    cluster.addKeyspace("h", Partitioning.HASH);
    long shard = cluster.shards("h").get(0).getShardId();
    cluster.split(shard, new byte[] {(byte) 0x80}, "n2");
    cluster.publishMap();
    Bytes k = key("some key");
    blocking.put("h", k, key("v"));
    String expected =
        Byte.toUnsignedInt(RoutingKeys.hash(k.toByteArray())[0]) >= 0x80 ? "n2" : "n1";
    assertThat(last().nodeId()).isEqualTo(expected);
    assertThat(client.metrics().routingRetries()).isZero();
  }

  @Test
  void closingTheClientEndsCallsWaitingToRetry() {
    CleaveClient closing =
        cluster.client().backoff(Duration.ofMillis(200), Duration.ofMillis(400)).build();
    closing.blocking().get(KS, key("warm"));
    cluster.busy(shardId(), Integer.MAX_VALUE);
    var pending = closing.put(KS, key("k"), key("v"));
    closing.close();
    assertThat(pending)
        .failsWithin(Duration.ofSeconds(2))
        .withThrowableOfType(java.util.concurrent.ExecutionException.class)
        .withCauseInstanceOf(CleaveException.class);
  }

  @Test
  void aWriteWhoseAnswerWasLostIsResentUnderTheSameRequestId() {
    cluster.loseAnswersOfPuts(1);
    blocking.put(KS, key("once"), Bytes.utf8("v"));
    List<io.cleave.api.v1.RequestId> ids = cluster.putRequestIds();
    // The client also tries the other replicas (the leader looked down); every attempt of this
    // one write carries the same id.
    assertThat(ids.size()).isGreaterThanOrEqualTo(2);
    assertThat(ids.get(0).getClientId().size()).isEqualTo(16);
    assertThat(ids).containsOnly(ids.get(0));
  }

  @Test
  void everyAttemptOfAWriteCarriesItsOneRequestIdAndTheNextWriteANewOne() {
    cluster.busy(shardId(), 1);
    blocking.put(KS, key("twice"), Bytes.utf8("v"));
    blocking.put(KS, key("once"), Bytes.utf8("v"));
    List<io.cleave.api.v1.RequestId> ids = cluster.putRequestIds();
    // A busy answer is definite, but the shard decides resends from the outcomes it stored, so
    // reusing the id is always safe and never needs a judgement of which failures hide an apply.
    assertThat(ids).hasSize(3);
    assertThat(ids.get(1)).isEqualTo(ids.get(0));
    assertThat(ids.get(2).getSequence()).isNotEqualTo(ids.get(0).getSequence());
  }

  @Test
  void aBatchWriteRegroupedByASplitKeepsItsIdAndEachEntrysPlaceInTheCall() {
    cluster.addKeyspace("h", Partitioning.HASH);
    cluster.publishMap();
    List<Bytes> keys = IntStream.range(0, 30).mapToObj(i -> key("k" + i)).toList();
    cluster.split(cluster.shards("h").get(0).getShardId(), new byte[] {(byte) 0x80}, "n1");

    blocking.batchPut("h", keys.stream().map(k -> KeyValue.of(k, k)).toList());

    List<BatchRequest> sent = cluster.batchWrites();
    assertThat(sent).hasSize(3); // the whole batch to the stale shard, then one part per child
    assertThat(sent)
        .extracting(BatchRequest::getRequestId)
        .containsOnly(sent.get(0).getRequestId());
    for (BatchRequest request : sent) {
      for (BatchEntry entry : request.getEntriesList()) {
        assertThat(keys.get(entry.getCallIndex()).toByteArray())
            .isEqualTo(entry.getKey().toByteArray());
      }
    }
    assertThat(sent.get(1).getEntriesCount() + sent.get(2).getEntriesCount()).isEqualTo(30);
  }

  /** Keyspace "h" in two shards, both led by n1, with keys k0..k29 stored (value = key). */
  private List<Bytes> twoShardsLedByOneNode() {
    cluster.addKeyspace("h", Partitioning.HASH);
    cluster.publishMap();
    cluster.split(cluster.shards("h").get(0).getShardId(), new byte[] {(byte) 0x80}, "n1");
    cluster.publishMap();
    List<Bytes> keys = IntStream.range(0, 30).mapToObj(i -> key("k" + i)).toList();
    blocking.batchPut("h", keys.stream().map(k -> KeyValue.of(k, k)).toList());
    return keys;
  }

  @Test
  void batchesForShardsLedByOneNodeGoAsOneMultiBatchCall() {
    List<Bytes> keys = twoShardsLedByOneNode();
    int before = cluster.multiBatchCalls().size();

    List<GetResult> got = blocking.batchGet("h", keys);

    assertThat(got).extracting(GetResult::value).containsExactlyElementsOf(keys);
    assertThat(cluster.multiBatchCalls().subList(before, cluster.multiBatchCalls().size()))
        .containsExactly(new FakeCluster.MultiBatchCall("n1", 2));
  }

  @Test
  void aShardFailingInsideAMultiBatchIsRetriedAloneAndTheOtherIsAnsweredOnce() {
    List<Bytes> keys = twoShardsLedByOneNode();
    long busyShard = cluster.shards("h").get(1).getShardId();
    cluster.busy(busyShard, 1);
    int before = cluster.requests().size();

    List<GetResult> got = blocking.batchGet("h", keys);

    assertThat(got).extracting(GetResult::value).containsExactlyElementsOf(keys);
    List<FakeCluster.Seen> seen = cluster.requests().subList(before, cluster.requests().size());
    // Both shards in the MultiBatch call, then only the busy one again.
    assertThat(seen).extracting(FakeCluster.Seen::hintedShard).endsWith(busyShard);
    assertThat(seen).hasSize(3);
    assertThat(seen.get(seen.size() - 1).outcome()).isEqualTo("OK");
  }

  @Test
  void nodesWithoutMultiBatchGetOneBatchCallPerShard() {
    List<Bytes> keys = twoShardsLedByOneNode();
    cluster.multiBatch(false);
    int before = cluster.requests().size();

    assertThat(blocking.batchGet("h", keys))
        .extracting(GetResult::value)
        .containsExactlyElementsOf(keys);
    assertThat(blocking.batchGet("h", keys))
        .extracting(GetResult::value)
        .containsExactlyElementsOf(keys);

    assertThat(cluster.requests().subList(before, cluster.requests().size()))
        .hasSize(4)
        .extracting(FakeCluster.Seen::method)
        .containsOnly("Batch");
    assertThat(client.metrics().failures()).isZero();
  }
}
