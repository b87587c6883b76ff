package io.cleave.server.storage;

import io.cleave.api.RoutingKeys;
import io.cleave.api.v1.Partitioning;
import io.cleave.api.v1.ShardDescriptor;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * The key layout of the node's RocksDB.
 *
 * <pre>
 *   0x00 'a' shardId(8)                         applied term and index of the shard's replica
 *   0x00 's' shardId(8)                         the replica's ShardState (descriptor, type, flags)
 *   0x00 'p' shardId(8)                         term and index of the replica's last snapshot
 *   0x01 keyspaceId(4) routingKey userKey       HASH data key (routing key = 8-byte hash)
 *   0x01 keyspaceId(4) userKey                  RANGE data key (routing key = the key)
 *   0x02 keyspaceId(4) ordered(routingKey)       stored outcome of one op of a client write
 *        clientId(16) sequence(8) callIndex(4)   (request id and the op's place in the write)
 * </pre>
 *
 * <p>A shard is the routing range {@code [start, end)} of one keyspace, so its data is the one
 * contiguous RocksDB range {@code [0x01 ks start, 0x01 ks end)} and its stored outcomes the range
 * {@code [0x02 ks ordered(start), 0x02 ks ordered(end))}: split and merge move no bytes. The keys
 * carry no shard id on purpose. Outcome keys encode the routing key {@link #ordered
 * order-preserving and prefix-free}, so the request id after it cannot carry a key across a range
 * bound.
 */
public final class StorageKeys {
  private static final byte META = 0x00;
  private static final byte DATA = 0x01;
  private static final byte OUTCOME = 0x02;
  private static final int DATA_PREFIX = 1 + Integer.BYTES;
  private static final int ORDERED_GROUP = 8;

  /** A RocksDB key range {@code [start, end)}. */
  public record Range(byte[] start, byte[] end) {}

  private StorageKeys() {}

  public static byte[] appliedKey(long shardId) {
    return metaKey('a', shardId);
  }

  public static byte[] stateKey(long shardId) {
    return metaKey('s', shardId);
  }

  public static byte[] snapshotKey(long shardId) {
    return metaKey('p', shardId);
  }

  /** First and last+1 key of all shard-state keys, to list the replicas stored on this node. */
  public static byte[] stateKeysStart() {
    return new byte[] {META, 's'};
  }

  public static byte[] stateKeysEnd() {
    return new byte[] {META, 't'};
  }

  public static long shardIdOfMetaKey(byte[] metaKey) {
    return ByteBuffer.wrap(metaKey, 2, Long.BYTES).getLong();
  }

  private static byte[] metaKey(char kind, long shardId) {
    return ByteBuffer.allocate(2 + Long.BYTES).put(META).put((byte) kind).putLong(shardId).array();
  }

  /** The RocksDB key of {@code userKey} in keyspace {@code keyspaceId}. */
  public static byte[] dataKey(int keyspaceId, Partitioning partitioning, byte[] userKey) {
    if (partitioning == Partitioning.RANGE) {
      return ByteBuffer.allocate(DATA_PREFIX + userKey.length)
          .put(DATA)
          .putInt(keyspaceId)
          .put(userKey)
          .array();
    }
    return ByteBuffer.allocate(DATA_PREFIX + RoutingKeys.HASH_LENGTH + userKey.length)
        .put(DATA)
        .putInt(keyspaceId)
        .put(RoutingKeys.hash(userKey))
        .put(userKey)
        .array();
  }

  /** The user key stored in a data key. */
  public static byte[] userKey(Partitioning partitioning, byte[] dataKey) {
    int from = DATA_PREFIX + (partitioning == Partitioning.RANGE ? 0 : RoutingKeys.HASH_LENGTH);
    return Arrays.copyOfRange(dataKey, from, dataKey.length);
  }

  /** The routing key stored in a data key. */
  public static byte[] routingKey(Partitioning partitioning, byte[] dataKey) {
    int to = partitioning == Partitioning.RANGE ? dataKey.length : DATA_PREFIX + 8;
    return Arrays.copyOfRange(dataKey, DATA_PREFIX, to);
  }

  /** First RocksDB key of routing position {@code routingStart} in a keyspace. */
  public static byte[] rangeStart(int keyspaceId, byte[] routingStart) {
    return ByteBuffer.allocate(DATA_PREFIX + routingStart.length)
        .put(DATA)
        .putInt(keyspaceId)
        .put(routingStart)
        .array();
  }

  /**
   * Exclusive RocksDB upper bound of routing range end {@code routingEnd}; an empty end is the
   * start of the next keyspace.
   */
  public static byte[] rangeEnd(int keyspaceId, byte[] routingEnd) {
    if (routingEnd.length == 0) {
      return keyspaceEnd(DATA, keyspaceId);
    }
    return rangeStart(keyspaceId, routingEnd);
  }

  /**
   * Every RocksDB range holding a shard's keys, for copying or deleting a replica: its data and the
   * stored outcomes of writes to it.
   */
  public static List<Range> shardRanges(ShardDescriptor shard) {
    int keyspaceId = shard.getKeyspaceId();
    byte[] start = shard.getStart().toByteArray();
    byte[] end = shard.getEnd().toByteArray();
    return List.of(
        new Range(rangeStart(keyspaceId, start), rangeEnd(keyspaceId, end)),
        outcomeRange(keyspaceId, start, end));
  }

  /** The first key after every key of {@code keyspaceId} in the region {@code kind}. */
  private static byte[] keyspaceEnd(byte kind, int keyspaceId) {
    return ByteBuffer.allocate(DATA_PREFIX).put(kind).putInt(keyspaceId + 1).array();
  }

  /** The stored outcomes of writes to the routing range {@code [start, end)} of a keyspace. */
  public static Range outcomeRange(int keyspaceId, byte[] routingStart, byte[] routingEnd) {
    byte[] end =
        routingEnd.length == 0
            ? keyspaceEnd(OUTCOME, keyspaceId)
            : outcomePrefix(keyspaceId, routingEnd);
    return new Range(outcomePrefix(keyspaceId, routingStart), end);
  }

  /**
   * The key of the stored outcome of one op of a client write: the op's routing key places it in
   * the shard that owns the op's key; the request id and the op's place in the write name it.
   */
  public static byte[] outcomeKey(
      int keyspaceId, byte[] routingKey, byte[] clientId, long sequence, int callIndex) {
    byte[] prefix = outcomePrefix(keyspaceId, routingKey);
    return ByteBuffer.allocate(prefix.length + clientId.length + Long.BYTES + Integer.BYTES)
        .put(prefix)
        .put(clientId)
        .putLong(sequence)
        .putInt(callIndex)
        .array();
  }

  private static byte[] outcomePrefix(int keyspaceId, byte[] routingKey) {
    byte[] ordered = ordered(routingKey);
    return ByteBuffer.allocate(DATA_PREFIX + ordered.length)
        .put(OUTCOME)
        .putInt(keyspaceId)
        .put(ordered)
        .array();
  }

  /**
   * An order-preserving, prefix-free encoding of {@code bytes} (the "memcomparable" group encoding
   * TiKV and MyRocks use): groups of 8 bytes, the last padded with zeros, each followed by a
   * marker, 255 for a full group that has more after it, else 255 minus the padding. {@code a < b}
   * exactly when {@code ordered(a) < ordered(b)}, and no encoding is a prefix of another, so
   * whatever follows an encoded key compares after every smaller key and before every larger one.
   */
  static byte[] ordered(byte[] bytes) {
    int groups = bytes.length / ORDERED_GROUP + 1;
    byte[] out = new byte[groups * (ORDERED_GROUP + 1)];
    for (int g = 0; g < groups; g++) {
      int from = g * ORDERED_GROUP;
      int length = Math.min(ORDERED_GROUP, bytes.length - from);
      System.arraycopy(bytes, from, out, g * (ORDERED_GROUP + 1), length);
      boolean last = g == groups - 1;
      out[g * (ORDERED_GROUP + 1) + ORDERED_GROUP] =
          (byte) (last ? 255 - (ORDERED_GROUP - length) : 255);
    }
    return out;
  }
}
