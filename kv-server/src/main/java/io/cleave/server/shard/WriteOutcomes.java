package io.cleave.server.shard;

import com.google.protobuf.InvalidProtocolBufferException;
import io.cleave.api.RoutingKeys;
import io.cleave.api.v1.RequestId;
import io.cleave.api.v1.ShardDescriptor;
import io.cleave.internal.v1.ClientWrite;
import io.cleave.internal.v1.KeyOp;
import io.cleave.internal.v1.KeyResult;
import io.cleave.internal.v1.ShardState;
import io.cleave.server.storage.NodeStore;
import io.cleave.server.storage.StorageKeys;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

/**
 * The stored outcomes of a shard's client writes: per op of a write with a request id, its result,
 * written in the same RocksDB batch as the op's data change (docs/design/0007). A write resent
 * after an ambiguous failure finds them and is answered with its first outcome instead of being
 * applied twice, and because they are part of the shard's data the decision is the same on every
 * replica: after a restart, on a replica that installed a copy of the shard, on the new leader of a
 * term, and after a split or merge moved the key (outcomes are keyed by the op's routing key, so
 * they move with the key; {@link StorageKeys#outcomeKey}).
 *
 * <p>Outcomes expire by the shard's log clock, the largest leader time of any entry applied so far:
 * it is a function of the log alone, so every replica expires the same outcomes at the same entry,
 * and it never goes back, so once expired always expired and deleting expired outcomes (a sweep
 * that runs whenever enough new ones were written) never changes a decision.
 *
 * <p>Used by the apply thread only.
 */
final class WriteOutcomes {
  /**
   * How long, in log time, an outcome answers resends: five times the client's resend window (a
   * client does not resend a write a minute after its first attempt), so a leader whose clock runs
   * up to four minutes ahead of the others (a broken NTP, ClockSkewChaosIT's doubled clock) still
   * cannot expire an outcome a resend needs. Costs about 70 bytes per op for five minutes.
   */
  static final long RETENTION_MILLIS = 300_000;

  /**
   * Outcomes written between two sweeps. A sweep opens a RocksDB iterator and reads blocks outside
   * the block cache, so it runs once per this many outcomes rather than once per log entry (per
   * entry it cost a sixth of the apply thread's CPU, measured in docs/benchmarks.md "Session 5").
   */
  static final int SWEEP_EVERY = 256;

  private final NodeStore store;
  // Where the next sweep continues; null = at the start of the shard's outcome range.
  private byte[] sweepFrom;
  // Outcomes written since the last sweep. In memory only: after a restart expired outcomes wait a
  // little longer for their sweep, which changes no decision.
  private int writtenSinceSweep;

  WriteOutcomes(NodeStore store) {
    this.store = store;
  }

  /**
   * The outcome keys of a write's ops, in op order, or null for a write without a request id (it is
   * applied as often as it reaches the log).
   */
  static byte[][] keysOf(ShardState state, ClientWrite write) {
    RequestId id = write.getRequestId();
    if (id.getClientId().isEmpty()) {
      return null;
    }
    byte[] clientId = id.getClientId().toByteArray();
    List<KeyOp> ops = write.getOps().getOpsList();
    byte[][] keys = new byte[ops.size()][];
    for (int i = 0; i < keys.length; i++) {
      KeyOp op = ops.get(i);
      keys[i] =
          StorageKeys.outcomeKey(
              state.getShard().getKeyspaceId(),
              RoutingKeys.routingKey(state.getPartitioning(), op.getKey().toByteArray()),
              clientId,
              id.getSequence(),
              op.getCallIndex());
    }
    return keys;
  }

  /** Outcomes written while applying one log entry, before they reach the store. */
  static final class Pending {
    private final Map<ByteBuffer, byte[]> outcomes = new HashMap<>();

    void put(byte[] key, long logClockMillis, KeyResult result) {
      byte[] encoded = result.toByteArray();
      outcomes.put(
          ByteBuffer.wrap(key),
          ByteBuffer.allocate(Long.BYTES + encoded.length)
              .putLong(logClockMillis)
              .put(encoded)
              .array());
    }

    int size() {
      return outcomes.size();
    }

    void flushInto(WriteBatch batch) throws RocksDBException {
      for (Map.Entry<ByteBuffer, byte[]> e : outcomes.entrySet()) {
        batch.put(e.getKey().array(), e.getValue());
      }
    }
  }

  /**
   * The first outcome of the op stored under {@code key}, or null when the op was never applied or
   * its outcome expired at log time {@code logClockMillis}.
   */
  KeyResult find(byte[] key, Pending pending, long logClockMillis) throws IOException {
    byte[] stored = pending.outcomes.get(ByteBuffer.wrap(key));
    if (stored == null) {
      stored = store.getRarelyPresent(key);
    }
    if (stored == null || expired(stored, logClockMillis)) {
      return null;
    }
    try {
      return KeyResult.parseFrom(ByteBuffer.wrap(stored, Long.BYTES, stored.length - Long.BYTES));
    } catch (InvalidProtocolBufferException e) {
      throw new IOException("corrupt stored outcome", e);
    }
  }

  private static boolean expired(byte[] stored, long logClockMillis) {
    return ByteBuffer.wrap(stored).getLong() < logClockMillis - RETENTION_MILLIS;
  }

  /**
   * Counts {@code written} new outcomes and, once {@link #SWEEP_EVERY} have been written since the
   * last sweep, deletes expired outcomes of the shard: it looks at twice as many as were written,
   * from where the last sweep stopped, so the sweep keeps pace with the outcomes written.
   */
  void sweep(ShardDescriptor shard, WriteBatch batch, int written, long logClockMillis) {
    writtenSinceSweep += written;
    if (writtenSinceSweep < SWEEP_EVERY) {
      return;
    }
    int budget = 2 * writtenSinceSweep;
    writtenSinceSweep = 0;
    StorageKeys.Range range =
        StorageKeys.outcomeRange(
            shard.getKeyspaceId(), shard.getStart().toByteArray(), shard.getEnd().toByteArray());
    byte[] from = sweepFrom;
    if (from == null
        || Arrays.compareUnsigned(from, range.start()) < 0
        || Arrays.compareUnsigned(from, range.end()) >= 0) {
      from = range.start(); // first sweep, or the range changed (split, merge)
    }
    int[] seen = {0};
    byte[][] last = {null};
    RocksDBException[] failed = {null};
    store.scan(
        from,
        range.end(),
        (key, value) -> {
          if (expired(value, logClockMillis)) {
            try {
              batch.delete(key);
            } catch (RocksDBException e) {
              failed[0] = e;
              return false;
            }
          }
          last[0] = key;
          return ++seen[0] < budget;
        });
    if (failed[0] != null) {
      throw new IllegalStateException("cannot delete an expired outcome", failed[0]);
    }
    // Stopped early: continue after the last key next time. Reached the end: start over.
    sweepFrom = seen[0] < budget ? null : Arrays.copyOf(last[0], last[0].length + 1);
  }
}
