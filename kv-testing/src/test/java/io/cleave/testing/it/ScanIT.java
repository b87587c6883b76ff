package io.cleave.testing.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cleave.api.v1.Partitioning;
import io.cleave.client.BlockingClient;
import io.cleave.client.Bytes;
import io.cleave.client.CleaveClient;
import io.cleave.client.CleaveException;
import io.cleave.client.Consistency;
import io.cleave.client.KeyValue;
import io.cleave.client.KeyspaceOptions;
import io.cleave.client.ReadOptions;
import io.cleave.client.ScanEntry;
import io.cleave.testing.MiniCluster;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Ordered scans of a RANGE keyspace through the client: across shards and pages, bounded, after a
 * split the client has not heard of, and refused for a HASH keyspace.
 */
class ScanIT {
  private static MiniCluster cluster;
  private static CleaveClient client;
  private static BlockingClient kv;
  // What the "ordered" keyspace holds, as the tests expect a scan to return it.
  private static final TreeMap<Bytes, String> expected = new TreeMap<>();

  @BeforeAll
  static void startCluster() {
    cluster = MiniCluster.start(3);
    client = cluster.client();
    kv = client.blocking();
    kv.admin()
        .registerKeyspace(
            "ordered",
            KeyspaceOptions.builder()
                .partitioning(Partitioning.RANGE)
                .initialShards(3)
                .splitKeys(List.of(Bytes.utf8("h"), Bytes.utf8("q")))
                .build());
    kv.admin().registerKeyspace("hashed", KeyspaceOptions.builder().initialShards(2).build());
    // 26 x 100 keys: a0000 .. z0099, spread over the three shards; more than two pages.
    List<KeyValue> batch = new ArrayList<>();
    for (char letter = 'a'; letter <= 'z'; letter++) {
      for (int i = 0; i < 100; i++) {
        String key = String.format("%c%04d", letter, i);
        batch.add(KeyValue.of(Bytes.utf8(key), Bytes.utf8("v-" + key)));
        expected.put(Bytes.utf8(key), "v-" + key);
      }
      kv.batchPut("ordered", batch);
      batch.clear();
    }
  }

  @AfterAll
  static void stopCluster() {
    cluster.close();
  }

  private static List<String> keys(List<ScanEntry> entries) {
    return entries.stream().map(e -> e.key().toUtf8()).toList();
  }

  private static List<String> expectedKeys(String from, String to, int limit) {
    var range =
        to.isEmpty()
            ? expected.tailMap(Bytes.utf8(from), true)
            : expected.subMap(Bytes.utf8(from), true, Bytes.utf8(to), false);
    return range.keySet().stream().map(Bytes::toUtf8).limit(limit).toList();
  }

  @Test
  void aWholeScanReturnsEveryKeyInOrderAcrossShardsAndPages() {
    List<ScanEntry> all = kv.scan("ordered", Bytes.EMPTY, Bytes.EMPTY, 10_000);

    assertThat(keys(all)).isEqualTo(expectedKeys("", "", 10_000)).hasSize(2600);
    assertThat(all)
        .allSatisfy(
            e -> {
              assertThat(e.value().toUtf8()).isEqualTo("v-" + e.key().toUtf8());
              assertThat(e.version()).isEqualTo(1);
            });
  }

  @Test
  void aBoundedScanStopsAtItsEndAndItsLimit() {
    assertThat(keys(kv.scan("ordered", Bytes.utf8("g0090"), Bytes.utf8("r"), 10_000)))
        .isEqualTo(expectedKeys("g0090", "r", 10_000))
        .hasSize(10 + 10 * 100); // g0090..g0099, then h..q
    assertThat(keys(kv.scan("ordered", Bytes.utf8("g0095"), Bytes.EMPTY, 7)))
        .containsExactly("g0095", "g0096", "g0097", "g0098", "g0099", "h0000", "h0001");
    assertThat(kv.scan("ordered", Bytes.utf8("zz"), Bytes.EMPTY, 10)).isEmpty();
    assertThat(kv.scan("ordered", Bytes.utf8("c0000\0"), Bytes.utf8("c0001"), 10)).isEmpty();
  }

  @Test
  void pagingWithKeyAfterReadsARangePieceByPiece() {
    List<String> read = new ArrayList<>();
    Bytes from = Bytes.utf8("m");
    while (true) {
      List<ScanEntry> piece = kv.scan("ordered", from, Bytes.utf8("p"), 64);
      if (piece.isEmpty()) {
        break;
      }
      read.addAll(keys(piece));
      from = CleaveClient.keyAfter(piece.get(piece.size() - 1).key());
    }
    assertThat(read).isEqualTo(expectedKeys("m", "p", 10_000)).hasSize(300);
  }

  @Test
  void aScanSeesWritesDeletesAndASplitTheClientHasNotHeardOf() {
    // Keys of this test's own, so the others see the keyspace unchanged.
    kv.put("ordered", Bytes.utf8("s0001+"), Bytes.utf8("first"));
    kv.put("ordered", Bytes.utf8("s0001+"), Bytes.utf8("changed"));
    kv.put("ordered", Bytes.utf8("s0002+"), Bytes.utf8("gone"));
    kv.delete("ordered", Bytes.utf8("s0002+"));
    long shard =
        kv.admin().describeKeyspace("ordered").getShardsList().stream()
            .map(s -> s.getShard())
            .filter(s -> s.getStart().toStringUtf8().equals("q"))
            .findFirst()
            .orElseThrow()
            .getShardId();
    // Split through another client: this one's cached routes still say "q" to the end is one shard.
    try (CleaveClient other = cluster.client()) {
      other.blocking().admin().splitShard(shard, Bytes.utf8("s0050"));
    }

    List<ScanEntry> tail = kv.scan("ordered", Bytes.utf8("s"), Bytes.utf8("t"), 1000);

    List<String> withNewKey = new ArrayList<>(expectedKeys("s", "t", 1000));
    withNewKey.add(2, "s0001+");
    assertThat(keys(tail)).isEqualTo(withNewKey).hasSize(101);
    ScanEntry changed = tail.get(2);
    assertThat(changed.value().toUtf8()).isEqualTo("changed");
    assertThat(changed.version()).isEqualTo(2);
    kv.delete("ordered", Bytes.utf8("s0001+"));
  }

  @Test
  void aStaleScanCatchesUpWithTheLinearizableOne() {
    ReadOptions stale = ReadOptions.builder().consistency(Consistency.STALE).build();
    Awaitility.await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () ->
                assertThat(keys(kv.scan("ordered", Bytes.utf8("b"), Bytes.utf8("d"), 1000, stale)))
                    .isEqualTo(expectedKeys("b", "d", 1000)));
  }

  @Test
  void aHashKeyspaceCannotBeScannedInKeyOrder() {
    kv.put("hashed", Bytes.utf8("a"), Bytes.utf8("1"));
    assertThatThrownBy(() -> kv.scan("hashed", Bytes.EMPTY, Bytes.EMPTY, 10))
        .isInstanceOfSatisfying(
            CleaveException.class,
            e -> {
              assertThat(e.code()).isEqualTo(Status.Code.FAILED_PRECONDITION);
              assertThat(e.getMessage()).contains("hash-partitioned", "RANGE");
            });
  }
}
