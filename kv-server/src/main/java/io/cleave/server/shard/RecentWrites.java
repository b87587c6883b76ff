package io.cleave.server.shard;

import com.google.protobuf.ByteString;
import io.cleave.api.v1.RequestId;
import io.cleave.internal.v1.ShardReply;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The outcomes of a shard's recently applied client writes by request id, so that a write resent
 * after a timeout or a leader change is answered with its first outcome instead of being applied
 * twice. Every replica fills it while applying the log, so whichever replica leads when the resend
 * arrives usually knows the answer; the leader consults it before proposing (never the state
 * machine while applying: after a restart or a snapshot install a replica has forgotten what the
 * others remember, and deciding on it in apply would let replicas diverge).
 *
 * <p>Bounded by age (in leader time carried by the entries), entry count and bytes. Like Ratis's
 * own retry cache it lives in memory: a resend that arrives after it forgot the write (over a
 * minute later, after a restart, or before the new leader applied the first attempt) is applied
 * again, on every replica alike.
 *
 * <p>Thread-safe: filled by the apply thread, read by request threads.
 */
final class RecentWrites {
  static final long RETENTION_MILLIS = 60_000;

  private record Key(ByteString clientId, long sequence) {}

  private record Outcome(ShardReply reply, long leaderTimeMillis, int bytes) {}

  private final int maxEntries;
  private final long maxBytes;
  private final Map<Key, Outcome> outcomes = new LinkedHashMap<>();
  private long bytes;

  RecentWrites(int maxEntries, long maxBytes) {
    this.maxEntries = maxEntries;
    this.maxBytes = maxBytes;
  }

  /** The first outcome of the write with this id, or null (also for an unset id). */
  synchronized ShardReply find(RequestId id) {
    Key key = key(id);
    Outcome outcome = key == null ? null : outcomes.get(key);
    return outcome == null ? null : outcome.reply();
  }

  /** Remembers a write's outcome; writes without an id are not remembered. */
  synchronized void remember(RequestId id, ShardReply reply, long leaderTimeMillis) {
    Key key = key(id);
    if (key == null) {
      return;
    }
    Outcome outcome = new Outcome(reply, leaderTimeMillis, 48 + reply.getSerializedSize());
    Outcome replaced = outcomes.put(key, outcome);
    bytes += outcome.bytes() - (replaced == null ? 0 : replaced.bytes());
    evict(leaderTimeMillis);
  }

  /**
   * Forgets outcomes older than the retention (by the applying entry's leader time) or over size.
   */
  synchronized void evict(long leaderTimeMillis) {
    Iterator<Outcome> oldestFirst = outcomes.values().iterator();
    while (oldestFirst.hasNext()) {
      Outcome oldest = oldestFirst.next();
      boolean expired = oldest.leaderTimeMillis() < leaderTimeMillis - RETENTION_MILLIS;
      if (!expired && outcomes.size() <= maxEntries && bytes <= maxBytes) {
        return;
      }
      bytes -= oldest.bytes();
      oldestFirst.remove();
    }
  }

  synchronized int size() {
    return outcomes.size();
  }

  private static Key key(RequestId id) {
    return id == null || id.getClientId().isEmpty()
        ? null
        : new Key(id.getClientId(), id.getSequence());
  }
}
