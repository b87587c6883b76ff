package io.cleave.client.internal;

import io.cleave.client.Bytes;
import io.cleave.client.Consistency;
import io.cleave.client.GetResult;
import io.cleave.client.ReadOptions;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Merges concurrent single-key reads into batch reads, as RheaKV's client does. Per keyspace and
 * read options at most {@code maxInFlight} reads are out at a time; a read that comes while they
 * are waits, and the reads waiting when one completes leave together as one batch read (split by
 * shard as any batch). An idle client therefore sends each read alone, at once; a busy one sends
 * fewer, larger calls, which costs the client, the network and the shard leader (one gRPC call, one
 * ReadIndex, one pass through the data executor) less per read. Measured in docs/benchmarks.md.
 *
 * <p>A merged read is still linearizable (unless it asked for STALE): it is served after it was
 * made. Its time budget starts when its batch is sent, so a read may take up to one in-flight
 * read's time longer than its timeout. A batch that fails fails each read in it with the same
 * error; callers check keys and keyspace names ({@link Dispatcher#checkKey}) before a read waits,
 * so one caller's bad input never fails another's read.
 */
public final class ReadCoalescer {
  /** Reads one key on its own. */
  public interface SingleRead {
    CompletableFuture<GetResult> get(String keyspace, Bytes key, ReadOptions options);
  }

  /** Reads several keys in one batch call; results in the order of the keys. */
  public interface BatchRead {
    CompletableFuture<List<GetResult>> get(String keyspace, List<Bytes> keys, ReadOptions options);
  }

  /** Keys per merged batch at most: enough to empty the queue of a busy client in a call or two. */
  static final int MAX_KEYS_PER_BATCH = 128;

  private record LaneKey(String keyspace, Consistency consistency, Duration timeout) {}

  private record Waiting(Bytes key, CompletableFuture<GetResult> result) {}

  private final int maxInFlight;
  private final SingleRead single;
  private final BatchRead batch;
  private final Counters counters;
  private final Map<LaneKey, Lane> lanes = new ConcurrentHashMap<>();

  /**
   * @param maxInFlight reads out at once per keyspace and read options before the next ones wait to
   *     be merged; 0 sends every read alone
   */
  public ReadCoalescer(int maxInFlight, SingleRead single, BatchRead batch, Counters counters) {
    if (maxInFlight < 0) {
      throw new IllegalArgumentException("maxInFlight must be >= 0, got " + maxInFlight);
    }
    this.maxInFlight = maxInFlight;
    this.single = single;
    this.batch = batch;
    this.counters = counters;
  }

  /**
   * Reads {@code key}, alone or merged with reads made at the same time. The caller has checked the
   * keyspace name and the key.
   */
  public CompletableFuture<GetResult> get(String keyspace, Bytes key, ReadOptions options) {
    if (maxInFlight == 0) {
      return single.get(keyspace, key, options);
    }
    LaneKey laneKey = new LaneKey(keyspace, options.consistency(), options.timeout());
    return lanes.computeIfAbsent(laneKey, k -> new Lane(keyspace, options)).get(key);
  }

  /** The reads of one keyspace with one set of read options. */
  private final class Lane {
    private final String keyspace;
    private final ReadOptions options;
    private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
    private int inFlight;

    Lane(String keyspace, ReadOptions options) {
      this.keyspace = keyspace;
      this.options = options;
    }

    CompletableFuture<GetResult> get(Bytes key) {
      synchronized (this) {
        if (inFlight >= maxInFlight) {
          Waiting read = new Waiting(key, new CompletableFuture<>());
          waiting.add(read);
          return read.result();
        }
        inFlight++;
      }
      CompletableFuture<GetResult> call;
      try {
        call = single.get(keyspace, key, options);
      } catch (RuntimeException e) {
        finished();
        throw e;
      }
      call.whenComplete((result, error) -> finished());
      return call;
    }

    /** A call of this lane completed: its slot goes to the reads waiting, as one batch. */
    private void finished() {
      List<Waiting> next = new ArrayList<>();
      synchronized (this) {
        while (!waiting.isEmpty() && next.size() < MAX_KEYS_PER_BATCH) {
          next.add(waiting.poll());
        }
        if (next.isEmpty()) {
          inFlight--;
          return;
        }
      }
      send(next);
    }

    private void send(List<Waiting> reads) {
      // The batch is one call for the dispatcher; the others merged into it are calls too.
      counters.calls.add(reads.size() - 1);
      CompletableFuture<List<GetResult>> call;
      try {
        call = batch.get(keyspace, reads.stream().map(Waiting::key).toList(), options);
      } catch (RuntimeException e) {
        call = CompletableFuture.failedFuture(e);
      }
      call.whenComplete(
          (results, error) -> {
            try {
              if (error != null) {
                counters.failures.add(reads.size() - 1);
                Throwable cause =
                    error instanceof CompletionException && error.getCause() != null
                        ? error.getCause()
                        : error;
                reads.forEach(read -> read.result().completeExceptionally(cause));
              } else {
                for (int i = 0; i < reads.size(); i++) {
                  reads.get(i).result().complete(results.get(i));
                }
              }
            } finally {
              finished();
            }
          });
    }
  }
}
