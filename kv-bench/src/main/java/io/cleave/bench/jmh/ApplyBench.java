package io.cleave.bench.jmh;

import io.cleave.api.v1.Partitioning;
import io.cleave.server.shard.ShardStateMachine;
import io.cleave.server.storage.NodeStore;
import io.cleave.server.storage.StorageKeys;
import io.cleave.server.storage.StoredValue;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.ratis.server.protocol.TermIndex;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

/**
 * The storage half of applying a Raft entry of puts, as {@code ShardStateMachine} does it on every
 * replica: per key read the stored value (for the version), encode the new {@link StoredValue}, and
 * write all of them plus the shard's applied index in one RocksDB {@link WriteBatch} (WAL on, no
 * sync). The node's real {@link NodeStore} (bloom filters, 8 MiB block cache here), keys drawn
 * uniformly from {@code keys} YCSB-like keys that are preloaded, 100 B values. Raft, gRPC and
 * protobuf decoding are not included.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class ApplyBench {
  /** Puts per Raft entry (the client's batchPut or a batch of many callers' puts). */
  @Param({"1", "16"})
  public int opsPerEntry;

  @Param({"100000"})
  public int keys;

  private Path dir;
  private NodeStore store;
  private byte[][] dataKeys;
  private final byte[] value = new byte[100];
  private long index;
  private final long shardId = 7;

  @Setup(Level.Trial)
  public void open() throws IOException, RocksDBException {
    dir = Files.createTempDirectory("cleave-jmh-apply");
    store = NodeStore.open(dir, 8L * 1024 * 1024);
    dataKeys = new byte[keys][];
    for (int i = 0; i < keys; i++) {
      byte[] user =
          ("user" + Long.toUnsignedString(i * 0x9E3779B97F4A7C15L))
              .getBytes(StandardCharsets.UTF_8);
      dataKeys[i] = StorageKeys.dataKey(1, Partitioning.HASH, user);
    }
    for (int i = 0; i < keys; i += 1000) {
      try (WriteBatch batch = new WriteBatch()) {
        for (int j = i; j < Math.min(keys, i + 1000); j++) {
          batch.put(dataKeys[j], new StoredValue(1, value.length, value).encode());
        }
        store.write(batch);
      }
    }
    store.flush();
  }

  @TearDown(Level.Trial)
  public void close() throws IOException {
    store.close();
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  /**
   * One Raft entry of {@code opsPerEntry} puts; throughput is entries/s (x opsPerEntry = puts/s).
   */
  @Benchmark
  public void applyPutEntry() throws IOException, RocksDBException {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    try (WriteBatch batch = new WriteBatch()) {
      for (int i = 0; i < opsPerEntry; i++) {
        byte[] key = dataKeys[random.nextInt(keys)];
        byte[] old = store.get(key);
        long version = old == null ? 1 : StoredValue.decode(old).version() + 1;
        batch.put(key, new StoredValue(version, value.length, value).encode());
      }
      batch.put(
          StorageKeys.appliedKey(shardId),
          ShardStateMachine.encodeTermIndex(TermIndex.valueOf(1, ++index)));
      store.write(batch);
    }
  }

  /** A leader's local read of one key (what a linearizable get costs in storage). */
  @Benchmark
  public byte[] get() throws IOException {
    return store.get(dataKeys[ThreadLocalRandom.current().nextInt(keys)]);
  }
}
