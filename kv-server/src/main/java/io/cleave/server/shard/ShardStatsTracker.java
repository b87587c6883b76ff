package io.cleave.server.shard;

import com.google.protobuf.ByteString;
import io.cleave.api.v1.KeySample;
import io.cleave.api.v1.ShardStats;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Approximate statistics of one shard replica: key count and size (kept by deltas, reset by a
 * background recount of the shard's range), load per second over a sliding window, and a sample of
 * the routing keys that carried the load.
 *
 * <p>Soft state by design: nothing here is replicated or persisted, only reported, so it may use
 * the local clock.
 */
public final class ShardStatsTracker {
  private static final long WINDOW_MILLIS = 10_000;
  private static final int MAX_SAMPLES = 512;
  private static final int REPORTED_HOT_KEYS = 32;

  private final AtomicLong keyCount = new AtomicLong();
  private final AtomicLong size = new AtomicLong();
  private final ArrayDeque<long[]> loadEvents = new ArrayDeque<>(); // {millis, load}
  private final ArrayDeque<Sample> samples = new ArrayDeque<>();
  private long sampleCounter;
  private long windowStartMillis = System.currentTimeMillis();

  private record Sample(long millis, ByteBuffer routingKey, long load) {}

  public void addKeys(long delta) {
    keyCount.addAndGet(delta);
  }

  public void addSize(long delta) {
    size.addAndGet(delta);
  }

  private volatile Object countedFor;

  /**
   * Replaces the counts with the result of a recount of the shard's range {@code countedFor} (its
   * descriptor): until then the counts describe an older range.
   */
  public void reset(long keys, long bytes, Object countedFor) {
    keyCount.set(keys);
    size.set(bytes);
    this.countedFor = countedFor;
  }

  /**
   * Whether the counts describe {@code shard}: after a split or merge they do not until the recount
   * finishes, and the placement policy must not act on them.
   */
  public boolean countedFor(Object shard) {
    return shard.equals(countedFor);
  }

  /**
   * Forgets the load seen so far: after a split or merge it belonged to another range. Load per
   * second is then measured over the time since, not the whole window, so it is not understated.
   */
  public synchronized void clearLoad(long nowMillis) {
    loadEvents.clear();
    samples.clear();
    windowStartMillis = nowMillis;
  }

  /** Records {@code load} units spent on a key now. */
  public synchronized void recordLoad(byte[] routingKey, long load, long nowMillis) {
    if (load <= 0) {
      return;
    }
    long[] last = loadEvents.peekLast();
    // Coalesce events of the same 100 ms so the window stays small under heavy load.
    if (last != null && nowMillis - last[0] < 100) {
      last[1] += load;
    } else {
      loadEvents.addLast(new long[] {nowMillis, load});
    }
    // Keep every 8th event: enough to find a load-weighted median, cheap under load.
    if ((sampleCounter++ & 7) == 0) {
      samples.addLast(new Sample(nowMillis, ByteBuffer.wrap(routingKey), load * 8));
      if (samples.size() > MAX_SAMPLES) {
        samples.removeFirst();
      }
    }
    expire(nowMillis);
  }

  private void expire(long nowMillis) {
    while (!loadEvents.isEmpty() && loadEvents.peekFirst()[0] < nowMillis - WINDOW_MILLIS) {
      loadEvents.removeFirst();
    }
    while (!samples.isEmpty() && samples.peekFirst().millis() < nowMillis - WINDOW_MILLIS) {
      samples.removeFirst();
    }
  }

  public long keyCount() {
    return Math.max(0, keyCount.get());
  }

  public long size() {
    return Math.max(0, size.get());
  }

  /** The shard's statistics now, for the leader's heartbeat. */
  public synchronized ShardStats snapshot(long shardId, long appliedIndex, long nowMillis) {
    expire(nowMillis);
    long load = 0;
    for (long[] event : loadEvents) {
      load += event[1];
    }
    Map<ByteBuffer, Long> byKey = new HashMap<>();
    for (Sample sample : samples) {
      byKey.merge(sample.routingKey(), sample.load(), Long::sum);
    }
    ShardStats.Builder stats =
        ShardStats.newBuilder()
            .setShardId(shardId)
            .setKeyCount(keyCount())
            .setSize(size())
            .setLoadPerSecond(load * 1000.0 / window(nowMillis))
            .setAppliedIndex(appliedIndex)
            .setTakenAtMillis(nowMillis);
    byKey.entrySet().stream()
        .sorted(Map.Entry.<ByteBuffer, Long>comparingByValue(Comparator.reverseOrder()))
        .limit(REPORTED_HOT_KEYS)
        .forEach(
            e ->
                stats.addHotKeys(
                    KeySample.newBuilder()
                        .setRoutingKey(ByteString.copyFrom(e.getKey().duplicate()))
                        .setLoad(e.getValue() * 1000.0 / window(nowMillis))));
    return stats.build();
  }

  /** The span the load was measured over: the window, or less right after a clear. */
  private long window(long nowMillis) {
    return Math.max(1_000, Math.min(WINDOW_MILLIS, nowMillis - windowStartMillis));
  }
}
