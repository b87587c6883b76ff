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
 * twice. Every replica fills it the same way while applying the log, so whichever replica leads
 * when the resend arrives knows the answer.
 *
 * <p>Deterministic: what it keeps depends only on the applied entries (their order, sizes and the
 * leader times they carry), never on this node's clock or timing. Bounded by age (in leader time),
 * entry count and bytes; like Ratis's own retry cache it lives in memory and is rebuilt from the
 * log entries replayed after a restart, so a resend that arrives after it forgot the write (over a
 * minute later, or across a restart that replayed nothing) applies again.
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
  ShardReply find(RequestId id) {
    Key key = key(id);
    Outcome outcome = key == null ? null : outcomes.get(key);
    return outcome == null ? null : outcome.reply();
  }

  /** Remembers a write's outcome; writes without an id are not remembered. */
  void remember(RequestId id, ShardReply reply, long leaderTimeMillis) {
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
  void evict(long leaderTimeMillis) {
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

  int size() {
    return outcomes.size();
  }

  private static Key key(RequestId id) {
    return id == null || id.getClientId().isEmpty()
        ? null
        : new Key(id.getClientId(), id.getSequence());
  }
}
