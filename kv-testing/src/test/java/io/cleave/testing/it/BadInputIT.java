package io.cleave.testing.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.cleave.api.Limits;
import io.cleave.api.types.CounterType;
import io.cleave.api.v1.BatchEntry;
import io.cleave.api.v1.BatchRequest;
import io.cleave.api.v1.CommandRequest;
import io.cleave.api.v1.CompareAndSetRequest;
import io.cleave.api.v1.GetRequest;
import io.cleave.api.v1.KvServiceGrpc;
import io.cleave.api.v1.MultiBatchRequest;
import io.cleave.api.v1.MultiBatchResponse;
import io.cleave.api.v1.Partitioning;
import io.cleave.api.v1.PutRequest;
import io.cleave.api.v1.ReadConsistency;
import io.cleave.api.v1.ScanRequest;
import io.cleave.client.Bytes;
import io.cleave.client.CleaveClient;
import io.cleave.client.CleaveException;
import io.cleave.client.ClientMetrics;
import io.cleave.client.InvalidArgumentException;
import io.cleave.client.KeyspaceOptions;
import io.cleave.testing.MiniCluster;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Bad input reaches the server through the raw gRPC API (the client SDK would refuse most of it
 * before sending) and must get a clear status and change nothing.
 */
class BadInputIT {
  private static final int MAX_VALUE = 1024;
  private static MiniCluster cluster;
  private static CleaveClient client;
  private static ManagedChannel channel;
  private static KvServiceGrpc.KvServiceBlockingStub kv;

  @BeforeAll
  static void startCluster() {
    cluster = MiniCluster.start(3, config -> config.withMaxValueBytes(MAX_VALUE));
    client = cluster.client();
    client.blocking().admin().registerKeyspace("kv", KeyspaceOptions.builder().build());
    client
        .blocking()
        .admin()
        .registerKeyspace(
            "ranged", KeyspaceOptions.builder().partitioning(Partitioning.RANGE).build());
    client
        .blocking()
        .admin()
        .registerKeyspace(
            "counters", KeyspaceOptions.builder().valueType(CounterType.NAME).build());
    channel = ManagedChannelBuilder.forTarget(cluster.endpoints().get(0)).usePlaintext().build();
    kv = KvServiceGrpc.newBlockingStub(channel);
  }

  @AfterAll
  static void stopCluster() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    cluster.close();
  }

  private static KvServiceGrpc.KvServiceBlockingStub stub() {
    return kv.withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  private static PutRequest put(String keyspace, ByteString key, ByteString value) {
    return PutRequest.newBuilder().setKeyspace(keyspace).setKey(key).setValue(value).build();
  }

  @Test
  void emptyKeyIsInvalid() {
    assertThatThrownBy(() -> stub().put(put("kv", ByteString.EMPTY, ByteString.copyFromUtf8("v"))))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription()).contains("key is empty");
            });
  }

  @Test
  void keyOverTheLimitIsInvalidAndNotWritten() {
    ByteString key = ByteString.copyFrom(new byte[Limits.MAX_KEY_BYTES + 1]);
    assertThatThrownBy(() -> stub().put(put("kv", key, ByteString.copyFromUtf8("v"))))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription())
                  .contains("key is 4097 bytes")
                  .contains("4096");
            });
  }

  @Test
  void valueOverTheConfiguredLimitIsInvalidAndNotWritten() {
    ByteString key = ByteString.copyFromUtf8("big");
    assertThatThrownBy(
            () -> stub().put(put("kv", key, ByteString.copyFrom(new byte[MAX_VALUE + 1]))))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription())
                  .contains("value is 1025 bytes")
                  .contains("1024");
            });
    // Checked through the client, which finds the shard's leader (the stub's node may not lead).
    assertThat(client.blocking().get("kv", Bytes.utf8("big")).found()).isFalse();
    // The same value at the limit is accepted.
    assertThat(client.blocking().put("kv", Bytes.utf8("big"), Bytes.of(new byte[MAX_VALUE])))
        .isEqualTo(1);
  }

  @Test
  void anOversizedPutMergedWithOthersFailsAloneAndTheOthersApply() throws Exception {
    // One put in flight at a time: the nine made while the first is out wait and leave as one
    // batch of independent entries, one of them too large.
    try (CleaveClient merging = cluster.client(b -> b.maxCallsInFlight(1))) {
      List<CompletableFuture<Long>> puts = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        byte[] value = i == 5 ? new byte[MAX_VALUE + 1] : ("v" + i).getBytes(UTF_8);
        puts.add(merging.put("kv", Bytes.utf8("merged" + i), Bytes.of(value)));
      }

      for (int i = 0; i < 10; i++) {
        if (i == 5) {
          assertThatThrownBy(puts.get(i)::join)
              .hasCauseInstanceOf(InvalidArgumentException.class)
              .hasMessageContaining("value is 1025 bytes");
          assertThat(client.blocking().get("kv", Bytes.utf8("merged5")).found()).isFalse();
        } else {
          assertThat(puts.get(i).join()).isEqualTo(1);
          assertThat(client.blocking().get("kv", Bytes.utf8("merged" + i)).value().toUtf8())
              .isEqualTo("v" + i);
        }
      }
      ClientMetrics used = merging.metrics();
      assertThat(used.calls()).isEqualTo(10);
      assertThat(used.failures()).isEqualTo(1);
      assertThat(used.attempts()).isLessThan(10); // merged: fewer RPCs than calls
    }
  }

  @Test
  void eachBatchOfAMultiBatchFailsAloneWithItsOwnStatusAndTheOthersAreAnswered() {
    ByteString key = ByteString.copyFromUtf8("multi");
    BatchEntry oversized =
        BatchEntry.newBuilder()
            .setKey(key)
            .setPayload(ByteString.copyFrom(new byte[MAX_VALUE + 1]))
            .build();
    MultiBatchResponse answer =
        stub()
            .multiBatch(
                MultiBatchRequest.newBuilder()
                    .addBatches(
                        BatchRequest.newBuilder()
                            .setKeyspace("kv")
                            .setKind(BatchRequest.Kind.PUT)
                            .addEntries(oversized))
                    .addBatches(
                        BatchRequest.newBuilder()
                            .setKeyspace("no-such-keyspace")
                            .setKind(BatchRequest.Kind.GET)
                            .addEntries(BatchEntry.newBuilder().setKey(key)))
                    .addBatches(
                        BatchRequest.newBuilder()
                            .setKeyspace("kv")
                            .setKind(BatchRequest.Kind.GET)
                            .setConsistency(ReadConsistency.STALE)
                            .addEntries(BatchEntry.newBuilder().setKey(key)))
                    .build());

    assertThat(answer.getOutcomesList())
        .extracting(
            o -> o.hasError() ? Status.fromCodeValue(o.getError().getCode()).getCode() : null)
        .containsExactly(Status.Code.INVALID_ARGUMENT, Status.Code.NOT_FOUND, null);
    assertThat(answer.getOutcomes(0).getError().getMessage()).contains("value");
    assertThat(answer.getOutcomes(2).getResponse().getResultsList())
        .singleElement()
        .satisfies(r -> assertThat(r.getFound()).isFalse());
    assertThat(client.blocking().get("kv", Bytes.of(key.toByteArray())).found()).isFalse();
  }

  @Test
  void independentEntriesAreForPutBatchesOnly() {
    assertThatThrownBy(
            () ->
                stub()
                    .batch(
                        BatchRequest.newBuilder()
                            .setKeyspace("kv")
                            .setKind(BatchRequest.Kind.DELETE)
                            .setIndependent(true)
                            .addEntries(
                                BatchEntry.newBuilder().setKey(ByteString.copyFromUtf8("k")))
                            .build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription()).contains("PUT only");
            });
  }

  private static void assertScanRefused(
      ScanRequest.Builder scan, Status.Code code, String... described) {
    assertThatThrownBy(() -> stub().scan(scan.build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(code);
              assertThat(e.getStatus().getDescription()).contains(described);
            });
  }

  @Test
  void badScansGetAClearStatus() {
    ByteString a = ByteString.copyFromUtf8("a");
    ByteString b = ByteString.copyFromUtf8("b");
    assertScanRefused(ScanRequest.newBuilder().setKeyspace("nope"), Status.Code.NOT_FOUND, "nope");
    assertScanRefused(
        ScanRequest.newBuilder().setKeyspace("kv"),
        Status.Code.FAILED_PRECONDITION,
        "hash-partitioned");
    assertScanRefused(
        ScanRequest.newBuilder().setKeyspace("ranged").setStart(b).setEnd(a),
        Status.Code.INVALID_ARGUMENT,
        "end must be after");
    assertScanRefused(
        ScanRequest.newBuilder().setKeyspace("ranged").setStart(a).setEnd(a),
        Status.Code.INVALID_ARGUMENT,
        "end must be after");
    assertScanRefused(
        ScanRequest.newBuilder().setKeyspace("ranged").setLimit(Limits.MAX_SCAN_PAGE_ENTRIES + 1),
        Status.Code.INVALID_ARGUMENT,
        "limit is 1001");
    assertScanRefused(
        ScanRequest.newBuilder()
            .setKeyspace("ranged")
            .setStart(ByteString.copyFrom(new byte[Limits.MAX_KEY_BYTES + 2])),
        Status.Code.INVALID_ARGUMENT,
        "scan start is 4098 bytes");
    // The same keyspace answers a good scan (through the client, which finds the leader).
    var kv = client.blocking();
    kv.put("ranged", Bytes.utf8("a"), Bytes.utf8("1"));
    assertThat(kv.scan("ranged", Bytes.EMPTY, Bytes.EMPTY, 10))
        .extracting(e -> e.key().toUtf8())
        .containsExactly("a");
  }

  @Test
  void unknownKeyspaceIsNotFound() {
    assertThatThrownBy(
            () ->
                stub()
                    .put(
                        put(
                            "no-such-keyspace",
                            ByteString.copyFromUtf8("k"),
                            ByteString.copyFromUtf8("v"))))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
              assertThat(e.getStatus().getDescription())
                  .contains("no-such-keyspace")
                  .contains("does not exist");
            });
  }

  @Test
  void malformedCommandIsInvalidAndChangesNothing() {
    Bytes key = Bytes.utf8("malformed");
    client.keyspace("counters", new CounterType()).blocking().command(key, 7L);
    CommandRequest bad =
        CommandRequest.newBuilder()
            .setKeyspace("counters")
            .setKey(ByteString.copyFrom(key.toByteArray()))
            .setArgument(ByteString.copyFrom(new byte[3]))
            .build();
    assertThatThrownBy(() -> stub().command(bad))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription())
                  .contains("malformed command")
                  .contains("8 bytes");
            });
    assertThat(client.keyspace("counters", new CounterType()).blocking().query(key, 0L))
        .contains(7L);
  }

  @Test
  void commandTheTypeRefusesChangesNothing() {
    Bytes key = Bytes.utf8("overflow");
    var counters = client.keyspace("counters", new CounterType()).blocking();
    counters.command(key, Long.MAX_VALUE);
    // The overflow is only found when the command runs in the log, on the leader: the client
    // routes it there.
    assertThatThrownBy(() -> counters.command(key, 1L))
        .isInstanceOfSatisfying(
            CleaveException.class,
            e -> {
              assertThat(e.code()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getMessage()).contains("rejected by the value type");
            });
    assertThat(counters.query(key, 0L)).contains(Long.MAX_VALUE);
  }

  @Test
  void wrongTypeIsFailedPrecondition() {
    assertThatThrownBy(
            () ->
                stub()
                    .put(
                        put(
                            "counters",
                            ByteString.copyFromUtf8("c"),
                            ByteString.copyFromUtf8("not a counter"))))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
              assertThat(e.getStatus().getDescription()).contains("type counter");
            });
    assertThatThrownBy(
            () ->
                stub()
                    .compareAndSet(
                        CompareAndSetRequest.newBuilder()
                            .setKeyspace("counters")
                            .setKey(ByteString.copyFromUtf8("c"))
                            .setExpectAbsent(true)
                            .setNewValue(ByteString.copyFromUtf8("x"))
                            .build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION));
    assertThat(client.blocking().get("counters", Bytes.utf8("c")).found()).isFalse();
  }

  @Test
  void reservedKeyspaceIsInvalid() {
    assertThatThrownBy(
            () ->
                stub()
                    .get(
                        GetRequest.newBuilder()
                            .setKeyspace("__meta")
                            .setKey(ByteString.copyFromUtf8("map"))
                            .build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
  }
}
