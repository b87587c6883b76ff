package io.cleave.client.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Merges concurrent single-key calls of one kind (reads, puts) into batch calls, as RheaKV's client
 * does. Per keyspace and lane of options at most {@code maxInFlight} calls are out at a time; a
 * call that comes while they are waits, and the calls waiting when one completes leave together as
 * one batch call (split by shard as any batch). An idle client therefore sends each call alone, at
 * once; a busy one sends fewer, larger calls, which costs the client, the network and the shard
 * leader (one gRPC call, one ReadIndex or log proposal, one pass through the node's executor) less
 * per key. Measured in docs/benchmarks.md "Session 5".
 *
 * <p>A merged read is still linearizable (unless it asked for STALE) and a merged write still
 * applied once: it is served after it was made, in a batch whose entries the shards treat as
 * independent calls. A merged call's time budget starts when its batch is sent, so it may take up
 * to one in-flight call's time longer than its timeout. A batch that fails fails each call in it
 * with the same error: only errors every member would have had alone (keyspace gone, no quorum,
 * deadline), since callers check keys before a call waits and nodes answer a bad entry of a batch
 * on its own ({@code BatchResult.error}).
 *
 * @param <I> one call's input (a key, a key and value)
 * @param <O> the call's options; calls merge only with calls of the same lane of options
 * @param <R> one call's result
 */
public final class Coalescer<I, O, R> {
  /** Makes one call on its own. */
  public interface SingleCall<I, O, R> {
    CompletableFuture<R> call(String keyspace, I input, O options);
  }

  /** Makes several calls in one batch; results in the order of the inputs. */
  public interface BatchCall<I, O, R> {
    CompletableFuture<List<R>> call(String keyspace, List<I> inputs, O options);
  }

  /**
   * Calls per merged batch at most: enough to empty the queue of a busy client in a call or two.
   */
  static final int MAX_PER_BATCH = 128;

  private record LaneKey(String keyspace, Object options) {}

  private record Waiting<I, R>(I input, CompletableFuture<R> result) {}

  private final int maxInFlight;
  private final Function<O, Object> laneOf;
  private final SingleCall<I, O, R> single;
  private final BatchCall<I, O, R> batch;
  private final Counters counters;
  private final Map<LaneKey, Lane> lanes = new ConcurrentHashMap<>();

  /**
   * @param maxInFlight calls out at once per keyspace and lane before the next ones wait to be
   *     merged; 0 sends every call alone
   * @param laneOf what of the options must be equal for two calls to merge (a value with equals)
   */
  public Coalescer(
      int maxInFlight,
      Function<O, Object> laneOf,
      SingleCall<I, O, R> single,
      BatchCall<I, O, R> batch,
      Counters counters) {
    if (maxInFlight < 0) {
      throw new IllegalArgumentException("maxInFlight must be >= 0, got " + maxInFlight);
    }
    this.maxInFlight = maxInFlight;
    this.laneOf = laneOf;
    this.single = single;
    this.batch = batch;
    this.counters = counters;
  }

  /**
   * Makes the call, alone or merged with calls made at the same time. The caller has checked the
   * keyspace name and the key ({@link Dispatcher#checkKey}), so one caller's bad key never fails a
   * batch another call is in.
   */
  public CompletableFuture<R> call(String keyspace, I input, O options) {
    if (maxInFlight == 0) {
      return single.call(keyspace, input, options);
    }
    LaneKey key = new LaneKey(keyspace, laneOf.apply(options));
    return lanes.computeIfAbsent(key, k -> new Lane(k, options)).call(input);
  }

  /** Lanes with calls out or waiting (for tests). */
  int lanes() {
    return lanes.size();
  }

  /**
   * The calls of one keyspace with one lane of options. An idle lane leaves the map (a caller may
   * use a new timeout on every call); a caller that got it just before still uses it correctly, it
   * only merges less until the next lane forms.
   */
  private final class Lane {
    private final LaneKey key;
    private final String keyspace;
    private final O options;
    private final ArrayDeque<Waiting<I, R>> waiting = new ArrayDeque<>();
    private int inFlight;

    Lane(LaneKey key, O options) {
      this.key = key;
      this.keyspace = key.keyspace();
      this.options = options;
    }

    CompletableFuture<R> call(I input) {
      synchronized (this) {
        if (inFlight >= maxInFlight) {
          Waiting<I, R> call = new Waiting<>(input, new CompletableFuture<>());
          waiting.add(call);
          return call.result();
        }
        inFlight++;
      }
      CompletableFuture<R> call;
      try {
        call = single.call(keyspace, input, options);
      } catch (RuntimeException e) {
        finished();
        throw e;
      }
      call.whenComplete((result, error) -> finished());
      return call;
    }

    /** A call of this lane completed: its slot goes to the calls waiting, as one batch. */
    private void finished() {
      List<Waiting<I, R>> next = new ArrayList<>();
      synchronized (this) {
        while (!waiting.isEmpty() && next.size() < MAX_PER_BATCH) {
          next.add(waiting.poll());
        }
        if (next.isEmpty()) {
          if (--inFlight == 0) {
            lanes.remove(key, this);
          }
          return;
        }
      }
      send(next);
    }

    private void send(List<Waiting<I, R>> calls) {
      // The batch is one call for the dispatcher; the others merged into it are calls too.
      counters.calls.add(calls.size() - 1);
      CompletableFuture<List<R>> sent;
      try {
        sent = batch.call(keyspace, calls.stream().map(Waiting::input).toList(), options);
      } catch (RuntimeException e) {
        sent = CompletableFuture.failedFuture(e);
      }
      sent.whenComplete(
          (results, error) -> {
            try {
              if (error != null) {
                counters.failures.add(calls.size() - 1);
                Throwable cause = Errors.unwrap(error);
                calls.forEach(call -> call.result().completeExceptionally(cause));
              } else {
                for (int i = 0; i < calls.size(); i++) {
                  calls.get(i).result().complete(results.get(i));
                }
              }
            } finally {
              finished();
            }
          });
    }
  }
}
