package io.cleave.testing.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.cleave.api.Codecs;
import io.cleave.api.types.CounterType;
import io.cleave.api.v1.CommandRequest;
import io.cleave.api.v1.CommandResponse;
import io.cleave.api.v1.KvServiceGrpc;
import io.cleave.api.v1.RequestId;
import io.cleave.client.Bytes;
import io.cleave.client.CasResult;
import io.cleave.client.CleaveClient;
import io.cleave.client.Expectation;
import io.cleave.client.KeyspaceOptions;
import io.cleave.client.Update;
import io.cleave.testing.MiniCluster;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.server.raftlog.RaftLog;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Round trips of every data operation through the client on a 3-node cluster. */
class BasicOperationsIT {
  private static MiniCluster cluster;
  private static CleaveClient client;

  @BeforeAll
  static void startCluster() {
    cluster = MiniCluster.start(3);
    client = cluster.client();
    client
        .blocking()
        .admin()
        .registerKeyspace("kv", KeyspaceOptions.builder().initialShards(1).build());
    client
        .blocking()
        .admin()
        .registerKeyspace(
            "counters", KeyspaceOptions.builder().valueType(CounterType.NAME).build());
  }

  @AfterAll
  static void stopCluster() {
    cluster.close();
  }

  @Test
  void putGetDeleteRoundTrip() {
    var kv = client.blocking();
    long version = kv.put("kv", Bytes.utf8("hello"), Bytes.utf8("world"));
    assertThat(version).isEqualTo(1);
    var got = kv.get("kv", Bytes.utf8("hello"));
    assertThat(got.found()).isTrue();
    assertThat(got.value().toUtf8()).isEqualTo("world");
    assertThat(kv.put("kv", Bytes.utf8("hello"), Bytes.utf8("again"))).isEqualTo(2);
    assertThat(kv.delete("kv", Bytes.utf8("hello"))).isTrue();
    assertThat(kv.get("kv", Bytes.utf8("hello")).found()).isFalse();
    assertThat(kv.delete("kv", Bytes.utf8("hello"))).isFalse();
  }

  @Test
  void compareAndSetHonoursEveryExpectation() {
    var kv = client.blocking();
    Bytes key = Bytes.utf8("cas");
    CasResult created =
        kv.compareAndSet("kv", key, Expectation.absent(), Update.set(Bytes.utf8("v1")));
    assertThat(created.succeeded()).isTrue();
    CasResult refused =
        kv.compareAndSet("kv", key, Expectation.absent(), Update.set(Bytes.utf8("v2")));
    assertThat(refused.succeeded()).isFalse();
    assertThat(refused.value().toUtf8()).isEqualTo("v1");
    CasResult byValue =
        kv.compareAndSet(
            "kv", key, Expectation.value(Bytes.utf8("v1")), Update.set(Bytes.utf8("v2")));
    assertThat(byValue.succeeded()).isTrue();
    CasResult byVersion =
        kv.compareAndSet("kv", key, Expectation.version(byValue.version()), Update.delete());
    assertThat(byVersion.succeeded()).isTrue();
    assertThat(kv.get("kv", key).found()).isFalse();
  }

  @Test
  void counterAddsAndReads() {
    var counters = client.keyspace("counters", new CounterType());
    assertThat(counters.blocking().command(Bytes.utf8("c"), 5L)).isEqualTo(5L);
    assertThat(counters.blocking().command(Bytes.utf8("c"), 3L)).isEqualTo(8L);
    assertThat(counters.blocking().query(Bytes.utf8("c"), 0L)).contains(8L);
    assertThat(
            Codecs.INT64.decode(
                client.blocking().get("counters", Bytes.utf8("c")).value().toByteArray()))
        .isEqualTo(8L);
  }

  @Test
  void aResentWriteWithTheSameRequestIdAppliesOnce() {
    Bytes key = Bytes.utf8("once");
    RequestId first =
        RequestId.newBuilder()
            .setClientId(ByteString.copyFrom(new byte[16]))
            .setSequence(1)
            .build();
    CommandRequest add =
        CommandRequest.newBuilder()
            .setKeyspace("counters")
            .setKey(ByteString.copyFrom(key.toByteArray()))
            .setArgument(ByteString.copyFrom(Codecs.INT64.encode(5L)))
            .setRequestId(first)
            .build();
    // Sent twice, as after a connection that broke once the node had the request: applied once,
    // and the second answer is the first one.
    assertThat(Codecs.INT64.decode(onLeader(add).getResult().toByteArray())).isEqualTo(5L);
    assertThat(Codecs.INT64.decode(onLeader(add).getResult().toByteArray())).isEqualTo(5L);
    var counters = client.keyspace("counters", new CounterType()).blocking();
    assertThat(counters.query(key, 0L)).contains(5L);
    // A new sequence is a new write.
    CommandRequest again = add.toBuilder().setRequestId(first.toBuilder().setSequence(2)).build();
    assertThat(Codecs.INT64.decode(onLeader(again).getResult().toByteArray())).isEqualTo(10L);
  }

  @Test
  void aResendAfterASplitAndARestartOfTheNewOwnerIsStillAppliedOnce() {
    client
        .blocking()
        .admin()
        .registerKeyspace(
            "moves",
            KeyspaceOptions.builder()
                .valueType(CounterType.NAME)
                .partitioning(io.cleave.api.v1.Partitioning.RANGE)
                .initialShards(1)
                .build());
    CommandRequest add =
        CommandRequest.newBuilder()
            .setKeyspace("moves")
            .setKey(ByteString.copyFromUtf8("x-key"))
            .setArgument(ByteString.copyFrom(Codecs.INT64.encode(5L)))
            .setRequestId(
                RequestId.newBuilder()
                    .setClientId(
                        ByteString.copyFrom(
                            new byte[] {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9}))
                    .setSequence(1))
            .build();
    assertThat(resultOf(add)).isEqualTo(5L);

    // The key moves to a new shard (another Raft group), whose leader then restarts: the outcome
    // moved with the key and is on disk, so the resend is answered, not applied.
    long parent =
        client.blocking().admin().describeKeyspace("moves").getShards(0).getShard().getShardId();
    client.blocking().admin().splitShard(parent, Bytes.utf8("m"));
    assertThat(resultOf(add)).isEqualTo(5L);
    long child =
        client.blocking().admin().describeKeyspace("moves").getShardsList().stream()
            .map(s -> s.getShard())
            .filter(s -> s.getStart().toStringUtf8().equals("m"))
            .findFirst()
            .orElseThrow()
            .getShardId();
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> cluster.leaderOf(child) >= 0);
    cluster.restartNode(cluster.leaderOf(child));
    assertThat(resultOf(add)).isEqualTo(5L);
    cluster.awaitNodesAlive(); // the other tests of this class share the cluster

    var moves = client.keyspace("moves", new CounterType()).blocking();
    assertThat(moves.query(Bytes.utf8("x-key"), 0L)).contains(5L);
  }

  /** The counter a command request answered, once some node led the key's shard. */
  private static long resultOf(CommandRequest request) {
    long[] result = new long[1];
    Awaitility.await()
        .atMost(Duration.ofSeconds(60))
        .ignoreExceptions()
        .until(
            () -> {
              result[0] = Codecs.INT64.decode(onLeader(request).getResult().toByteArray());
              return true;
            });
    return result[0];
  }

  /** Sends {@code request} to whichever node leads its shard. */
  private static CommandResponse onLeader(CommandRequest request) {
    StatusRuntimeException last = null;
    for (String endpoint : cluster.endpoints()) {
      ManagedChannel channel = ManagedChannelBuilder.forTarget(endpoint).usePlaintext().build();
      try {
        return KvServiceGrpc.newBlockingStub(channel)
            .withDeadlineAfter(10, TimeUnit.SECONDS)
            .command(request);
      } catch (StatusRuntimeException e) {
        last = e;
      } finally {
        channel.shutdownNow();
      }
    }
    throw last;
  }

  @Test
  void everyCallIsCountedInTheMetrics() {
    client.blocking().put("kv", Bytes.utf8("metered"), Bytes.utf8("v"));
    String scraped =
        java.util.stream.IntStream.range(0, cluster.size())
            .mapToObj(i -> cluster.server(i).metrics().scrape())
            .reduce("", String::concat);
    assertThat(scraped)
        .contains(
            "cleave_grpc_requests_seconds_count{code=\"OK\",method=\"Put\",service=\"cleave.v1.KvService\"}")
        .contains("cleave_shard_replicas")
        .contains("cleave_shard_leaders")
        .contains("cleave_store_block_cache_total{kind=\"filter\",result=\"miss\"}")
        .contains("cleave_store_block_cache_total{kind=\"data\",result=\"hit\"}")
        .contains("jvm_memory_used_bytes");
  }

  @Test
  void writeThroughOneNodeIsReadThroughAnother() {
    for (int writer = 0; writer < cluster.size(); writer++) {
      try (CleaveClient viaOne =
          CleaveClient.builder().endpoints(cluster.endpoints().get(writer)).build()) {
        viaOne.blocking().put("kv", Bytes.utf8("k" + writer), Bytes.utf8("v" + writer));
      }
      for (int reader = 0; reader < cluster.size(); reader++) {
        try (CleaveClient viaOther =
            CleaveClient.builder().endpoints(cluster.endpoints().get(reader)).build()) {
          assertThat(viaOther.blocking().get("kv", Bytes.utf8("k" + writer)).value().toUtf8())
              .isEqualTo("v" + writer);
        }
      }
    }
  }

  /**
   * Each write adds one entry to its shard's Raft log and nothing else: Ratis's default appends a
   * commit marker (METADATAENTRY) after every commit, which doubled the entries, append RPCs and
   * fsyncs per write (docs/design/0001, "Commit markers").
   */
  @Test
  void aWriteAddsOneLogEntryAndNoCommitMarker() throws Exception {
    long shardId =
        client.blocking().admin().describeKeyspace("kv").getShards(0).getShard().getShardId();
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> cluster.leaderOf(shardId) >= 0);
    RaftLog log =
        cluster
            .server(cluster.leaderOf(shardId))
            .node()
            .division(shardId)
            .orElseThrow()
            .getRaftLog();
    long first = log.getNextIndex();
    int writes = 10;
    for (int i = 0; i < writes; i++) {
      client.blocking().put("kv", Bytes.utf8("entry-" + i), Bytes.utf8("v"));
    }
    List<LogEntryProto> added = new ArrayList<>();
    for (long index = first; index < log.getNextIndex(); index++) {
      added.add(log.get(index));
    }
    assertThat(added).noneMatch(LogEntryProto::hasMetadataEntry);
    assertThat(added).filteredOn(LogEntryProto::hasStateMachineLogEntry).hasSize(writes);
  }
}
