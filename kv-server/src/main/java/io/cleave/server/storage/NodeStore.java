package io.cleave.server.storage;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BiPredicate;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.FlushOptions;
import org.rocksdb.HistogramType;
import org.rocksdb.IndexType;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.Snapshot;
import org.rocksdb.Statistics;
import org.rocksdb.TickerType;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * The node's single RocksDB, shared by every shard replica on the node.
 *
 * <p>Durability: the Raft log is the write-ahead log of record. RocksDB's own WAL stays on without
 * sync, so a killed process loses nothing and a lost OS page cache loses at most the tail that
 * Ratis replays from its log — which is why a snapshot flushes memtables before Ratis may purge the
 * log (see {@link #flush()}).
 */
public final class NodeStore implements AutoCloseable {
  static {
    RocksDB.loadLibrary();
  }

  private final RocksDB db;
  private final Options options;
  private final LRUCache blockCache;
  private final Statistics statistics;
  private final WriteOptions writeOptions = new WriteOptions().setSync(false);
  private final ExecutorService flusher =
      Executors.newSingleThreadExecutor(
          new ThreadFactoryBuilder().setNameFormat("cleave-store-flush").setDaemon(true).build());
  // A background flush requested but not started yet; later requests join it.
  private CompletableFuture<Void> queuedFlush;

  private NodeStore(RocksDB db, Options options, LRUCache blockCache, Statistics statistics) {
    this.db = db;
    this.options = options;
    this.blockCache = blockCache;
    this.statistics = statistics;
  }

  /** Opens (creating if missing) the store in {@code dir} with a block cache of the given size. */
  public static NodeStore open(Path dir, long blockCacheBytes) throws IOException {
    Files.createDirectories(dir);
    // Half of the cache is a high-priority pool that index and filter blocks go to, so data blocks
    // (values read by applies and gets) cannot evict them. With partitioned filters (below) this
    // keeps an apply's outcome lookups (keys that are nearly never there) in memory; before both,
    // a whole SST's filter outgrew its 1 MiB cache shard and was reread from the file on every
    // lookup: 74 % of the nodes' CPU, writes down from 7,800/s to 3,000/s after three minutes of
    // updates (docs/design/0001, docs/benchmarks.md session 7).
    LRUCache cache = new LRUCache(blockCacheBytes, -1, false, 0.5);
    // Tickers only (cache hits and misses, exported as node metrics); no histograms, which would
    // time every get and write.
    Statistics statistics = new Statistics(EnumSet.allOf(HistogramType.class));
    Options options =
        new Options()
            .setCreateIfMissing(true)
            .setMaxBackgroundJobs(2)
            .setWriteBufferSize(32L * 1024 * 1024)
            // A bloom filter over each memtable's keys: most point reads of an apply miss (is
            // there a stored outcome for this request id? nearly never) and a miss then skips the
            // skip-list search, which was a fifth of the apply thread's CPU (docs/benchmarks.md).
            .setMemtablePrefixBloomSizeRatio(0.05)
            .setMemtableWholeKeyFiltering(true)
            .setStatistics(statistics)
            .setTableFormatConfig(
                new BlockBasedTableConfig()
                    .setBlockCache(cache)
                    .setCacheIndexAndFilterBlocks(true)
                    .setCacheIndexAndFilterBlocksWithHighPriority(true)
                    // Partitioned filters and a two-level index: a lookup loads the 4 KiB
                    // partition it needs, not a filter of the whole SST (megabytes for large
                    // ones), and only the small top levels stay pinned.
                    .setIndexType(IndexType.kTwoLevelIndexSearch)
                    .setPartitionFilters(true)
                    .setMetadataBlockSize(4096)
                    .setPinTopLevelIndexAndFilter(true)
                    .setPinL0FilterAndIndexBlocksInCache(true)
                    .setFilterPolicy(new BloomFilter(10, false)));
    try {
      return new NodeStore(RocksDB.open(options, dir.toString()), options, cache, statistics);
    } catch (RocksDBException e) {
      options.close();
      statistics.close();
      cache.close();
      throw new IOException("cannot open RocksDB in " + dir + ": " + e.getMessage(), e);
    }
  }

  public byte[] get(byte[] key) throws IOException {
    try {
      return db.get(key);
    } catch (RocksDBException e) {
      throw new IOException(e);
    }
  }

  /**
   * {@link #get} for keys that are nearly always absent (a write's stored outcome): asks the
   * memtables, bloom filters and block cache first ({@code keyMayExist}, no I/O), and a miss ends
   * there. RocksJava's {@code get} reports a miss by throwing and catching a C++ exception inside
   * JNI (facebook/rocksdb#13023), a third of the apply thread's outcome lookups. Only the yes/no
   * answer is used: the value {@code keyMayExist} can hand back came back empty for stored keys
   * after a restart (index blocks kept in the block cache), which broke CliIT's restart.
   */
  public byte[] getRarelyPresent(byte[] key) throws IOException {
    return db.keyMayExist(key, null) ? get(key) : null;
  }

  /**
   * How often, since the store opened, RocksDB counted {@code ticker} (e.g. block cache misses).
   */
  public long tickerCount(TickerType ticker) {
    return statistics.getTickerCount(ticker);
  }

  /** Applies every change of {@code batch} atomically. */
  public void write(WriteBatch batch) throws IOException {
    try {
      db.write(writeOptions, batch);
    } catch (RocksDBException e) {
      throw new IOException(e);
    }
  }

  /**
   * Visits the keys in {@code [start, end)} in order until {@code visitor} returns false. Reads a
   * consistent snapshot of the store.
   */
  public void scan(byte[] start, byte[] end, BiPredicate<byte[], byte[]> visitor) {
    Snapshot snapshot = db.getSnapshot();
    try {
      iterate(snapshot, start, end, visitor);
    } finally {
      db.releaseSnapshot(snapshot);
    }
  }

  private void iterate(
      Snapshot snapshot, byte[] start, byte[] end, BiPredicate<byte[], byte[]> visitor) {
    try (Slice upper = new Slice(end);
        ReadOptions read =
            new ReadOptions()
                .setSnapshot(snapshot)
                .setIterateUpperBound(upper)
                .setFillCache(false);
        RocksIterator it = db.newIterator(read)) {
      for (it.seek(start); it.isValid(); it.next()) {
        if (!visitor.test(it.key(), it.value())) {
          break;
        }
      }
    }
  }

  /** A consistent read-only view of the store at one moment. */
  public interface View {
    byte[] get(byte[] key) throws IOException;

    void scan(byte[] start, byte[] end, BiPredicate<byte[], byte[]> visitor);
  }

  /** Runs {@code reader} on a consistent view of the store. */
  public <T> T read(java.util.function.Function<View, T> reader) {
    Snapshot snapshot = db.getSnapshot();
    try (ReadOptions read = new ReadOptions().setSnapshot(snapshot).setFillCache(false)) {
      View view =
          new View() {
            @Override
            public byte[] get(byte[] key) throws IOException {
              try {
                return db.get(read, key);
              } catch (RocksDBException e) {
                throw new IOException(e);
              }
            }

            @Override
            public void scan(byte[] start, byte[] end, BiPredicate<byte[], byte[]> visitor) {
              iterate(snapshot, start, end, visitor);
            }
          };
      return reader.apply(view);
    } finally {
      db.releaseSnapshot(snapshot);
    }
  }

  /**
   * {@link #flush} on the store's own thread: completes once everything written before the call is
   * durable in SST files. Requests made while a flush waits to start share it, so shards asking at
   * about the same time cost one flush.
   */
  public synchronized CompletableFuture<Void> flushInBackground() {
    if (queuedFlush != null) {
      return queuedFlush;
    }
    CompletableFuture<Void> flushed = new CompletableFuture<>();
    queuedFlush = flushed;
    try {
      flusher.execute(
          () -> {
            synchronized (this) {
              queuedFlush = null; // from here on, new requests need the next flush
            }
            try {
              flush();
              flushed.complete(null);
            } catch (IOException | RuntimeException e) {
              flushed.completeExceptionally(e);
            }
          });
    } catch (RejectedExecutionException e) {
      queuedFlush = null;
      flushed.completeExceptionally(new IOException("store closed", e));
    }
    return flushed;
  }

  /** Makes everything written so far durable in SST files, waiting for the flush. */
  public void flush() throws IOException {
    try (FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
      db.flush(flush);
    } catch (RocksDBException e) {
      throw new IOException(e);
    }
  }

  /** Lets RocksDB reclaim the space of a deleted range now rather than at some later compaction. */
  public void compactRange(byte[] start, byte[] end) {
    try {
      db.compactRange(start, end);
    } catch (RocksDBException e) {
      // Only space reclamation; the data is already deleted.
    }
  }

  @Override
  public void close() {
    // A background flush still running must end before the database closes under it.
    flusher.shutdown();
    try {
      if (!flusher.awaitTermination(1, TimeUnit.MINUTES)) {
        throw new IllegalStateException("a store flush did not end within a minute");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    writeOptions.close();
    db.close();
    options.close();
    statistics.close();
    blockCache.close();
  }
}
