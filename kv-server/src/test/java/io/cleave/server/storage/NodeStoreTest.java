package io.cleave.server.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.RocksDBException;
import org.rocksdb.TickerType;
import org.rocksdb.WriteBatch;

class NodeStoreTest {
  private static final long CACHE = 8L * 1024 * 1024;

  @TempDir Path dir;
  private NodeStore store;

  @BeforeEach
  void open() throws IOException {
    store = NodeStore.open(dir.resolve("store"), CACHE);
  }

  @AfterEach
  void close() {
    if (store != null) {
      store.close();
    }
  }

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String s(byte[] bytes) {
    return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
  }

  private void put(String... keyValues) throws IOException, RocksDBException {
    try (WriteBatch batch = new WriteBatch()) {
      for (int i = 0; i < keyValues.length; i += 2) {
        batch.put(b(keyValues[i]), b(keyValues[i + 1]));
      }
      store.write(batch);
    }
  }

  private List<String> scanKeys(String start, String end) {
    List<String> keys = new ArrayList<>();
    store.scan(
        b(start),
        b(end),
        (k, v) -> {
          keys.add(s(k));
          return true;
        });
    return keys;
  }

  @Test
  void writeBatchAppliesPutsAndDeletesTogether() throws Exception {
    put("a", "1", "b", "2");

    try (WriteBatch batch = new WriteBatch()) {
      batch.delete(b("a"));
      batch.put(b("b"), b("3"));
      batch.put(b("c"), b("4"));
      store.write(batch);
    }

    assertThat(store.get(b("a"))).isNull();
    assertThat(s(store.get(b("b")))).isEqualTo("3");
    assertThat(s(store.get(b("c")))).isEqualTo("4");
  }

  private byte[] both(String key) throws IOException {
    byte[] plain = store.get(b(key));
    byte[] rare = store.getRarelyPresent(b(key));
    assertThat(rare).isEqualTo(plain);
    return plain;
  }

  @Test
  void bothGetsSeeTheNewestValueWhereverItLivesAndMissInEveryLayer() throws Exception {
    // getRarelyPresent asks memtables, filters and cache first: its answer must still be get's,
    // whether the key sits in a memtable, in an SST file (cached or not), or was overwritten or
    // deleted over a flushed value.
    put("flushed", "old", "deleted", "x", "kept", "sst-value-of-some-thirty-bytes");
    store.flush();
    put("flushed", "new", "fresh", "mem");
    try (WriteBatch batch = new WriteBatch()) {
      batch.delete(b("deleted"));
      store.write(batch);
    }

    assertThat(s(both("flushed"))).isEqualTo("new");
    assertThat(s(both("fresh"))).isEqualTo("mem");
    assertThat(s(both("kept"))).isEqualTo("sst-value-of-some-thirty-bytes");
    assertThat(both("deleted")).isNull();
    assertThat(both("never")).isNull();

    store.close();
    store = NodeStore.open(dir.resolve("store"), CACHE); // empty block cache, data in files
    assertThat(s(both("kept"))).isEqualTo("sst-value-of-some-thirty-bytes");
    assertThat(s(both("flushed"))).isEqualTo("new");
    assertThat(both("deleted")).isNull();
    assertThat(both("never")).isNull();
  }

  @Test
  void aReaderNeverSeesHalfABatch() throws Exception {
    // Each batch writes the same counter to two keys; a consistent read sees them equal.
    Thread writer =
        new Thread(
            () -> {
              try {
                for (int i = 0; i < 2_000; i++) {
                  put("x", Integer.toString(i), "y", Integer.toString(i));
                }
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    put("x", "-1", "y", "-1");
    writer.start();
    int reads = 0;
    while (writer.isAlive() || reads == 0) {
      String[] seen =
          store.read(
              view -> {
                try {
                  return new String[] {s(view.get(b("x"))), s(view.get(b("y")))};
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
      assertThat(seen[0]).isEqualTo(seen[1]);
      reads++;
    }
    writer.join();
  }

  @Test
  void scanVisitsExactlyStartInclusiveToEndExclusiveInOrder() throws Exception {
    put("a", "1", "b", "2", "ba", "3", "c", "4", "d", "5");

    assertThat(scanKeys("b", "d")).containsExactly("b", "ba", "c");
    assertThat(scanKeys("ba", "c")).containsExactly("ba");
    assertThat(scanKeys("bb", "c")).isEmpty();
    assertThat(scanKeys("", "\u007f")).containsExactly("a", "b", "ba", "c", "d");
  }

  @Test
  void scanStopsWhenTheVisitorSaysSo() throws Exception {
    put("a", "1", "b", "2", "c", "3");
    List<String> seen = new ArrayList<>();

    store.scan(
        b("a"),
        b("z"),
        (k, v) -> {
          seen.add(s(k));
          return seen.size() < 2;
        });

    assertThat(seen).containsExactly("a", "b");
  }

  @Test
  void scanComparesBytesUnsigned() throws Exception {
    try (WriteBatch batch = new WriteBatch()) {
      batch.put(new byte[] {0x01}, b("low"));
      batch.put(new byte[] {(byte) 0x80}, b("high"));
      batch.put(new byte[] {(byte) 0xFF}, b("top"));
      store.write(batch);
    }
    List<String> values = new ArrayList<>();

    store.scan(
        new byte[] {0x02},
        new byte[] {(byte) 0xFF},
        (k, v) -> {
          values.add(s(v));
          return true;
        });

    assertThat(values).containsExactly("high");
  }

  @Test
  void readViewIsFrozenAtItsStartWhileOthersWrite() throws Exception {
    put("k1", "old", "k2", "old");

    List<String> seen =
        store.read(
            view -> {
              try {
                put("k1", "new", "k3", "new");
                List<String> out = new ArrayList<>();
                out.add(s(view.get(b("k1"))));
                out.add(s(view.get(b("k3"))));
                view.scan(
                    b("k"),
                    b("l"),
                    (k, v) -> {
                      out.add(s(k) + "=" + s(v));
                      return true;
                    });
                return out;
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });

    assertThat(seen).containsExactly("old", null, "k1=old", "k2=old");
    assertThat(s(store.get(b("k1")))).isEqualTo("new");
  }

  @Test
  void flushedDataSurvivesReopenAndLivesInSstFiles() throws Exception {
    put("durable", "yes");

    store.flush();

    try (var files = Files.list(dir.resolve("store"))) {
      assertThat(files.map(p -> p.getFileName().toString())).anyMatch(n -> n.endsWith(".sst"));
    }
    store.close();
    store = NodeStore.open(dir.resolve("store"), CACHE);
    assertThat(s(store.get(b("durable")))).isEqualTo("yes");
  }

  @Test
  void openingALockedStoreFailsWithTheDirectory() {
    assertThatThrownBy(() -> NodeStore.open(dir.resolve("store"), CACHE))
        .isInstanceOf(IOException.class)
        .hasMessageContaining(dir.resolve("store").toString());
  }

  /**
   * An apply looks up its writes' outcomes, keys that are nearly never there, while reading values
   * that churn the block cache. The lookups must keep finding their filter blocks in the cache.
   * Before filters were partitioned, an SST's filter was one block, and once it outgrew a cache
   * shard (64 shards of 1 MiB in a 64 MiB cache) it could not stay cached: each lookup reread it
   * from the file (docs/benchmarks.md, session 7). Here: 600,000 keys make a ~750 KiB filter, and a
   * 4 MiB cache has 8 shards of 512 KiB.
   */
  @Test
  void absentKeyLookupsKeepTheirFiltersCachedWhileValueReadsChurnTheCache() throws Exception {
    store.close();
    store = NodeStore.open(dir.resolve("small-cache"), 4 * 1024 * 1024);
    Random random = new Random(7);
    int keys = 600_000;
    for (int from = 0; from < keys; from += 50_000) {
      try (WriteBatch batch = new WriteBatch()) {
        for (int i = from; i < from + 50_000; i++) {
          byte[] value = new byte[16];
          random.nextBytes(value);
          batch.put(b(String.format("value-%07d", i)), value);
        }
        store.write(batch);
      }
    }
    store.flush();
    store.compactRange(b(""), b("~")); // the bottom level: L0 pinning does not apply

    int lookups = 5_000;
    long filterMissesBefore = store.tickerCount(TickerType.BLOCK_CACHE_FILTER_MISS);
    long dataMissesBefore = store.tickerCount(TickerType.BLOCK_CACHE_DATA_MISS);
    for (int i = 0; i < lookups; i++) {
      assertThat(store.get(b(String.format("value-%07d", random.nextInt(keys))))).hasSize(16);
      assertThat(store.getRarelyPresent(b("outcome-" + i))).isNull();
    }

    assertThat(store.tickerCount(TickerType.BLOCK_CACHE_DATA_MISS) - dataMissesBefore)
        .as("value reads miss the cache, so they keep replacing its data blocks")
        .isGreaterThan(lookups / 2);
    assertThat(store.tickerCount(TickerType.BLOCK_CACHE_FILTER_MISS) - filterMissesBefore)
        .as("filter blocks loaded from the file during %d absent-key lookups", lookups)
        .isLessThan(lookups / 10);
  }
}
