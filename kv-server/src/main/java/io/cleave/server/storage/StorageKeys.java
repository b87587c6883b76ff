package io.cleave.server.storage;

import io.cleave.api.RoutingKeys;
import io.cleave.api.v1.Partitioning;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The key layout of the node's RocksDB.
 *
 * <pre>
 *   0x00 'a' shardId(8)                         applied term and index of the shard's replica
 *   0x00 's' shardId(8)                         the replica's ShardState (descriptor, type, flags)
 *   0x00 'p' shardId(8)                         term and index of the replica's last snapshot
 *   0x01 keyspaceId(4) routingKey userKey       HASH data key (routing key = 8-byte hash)
 *   0x01 keyspaceId(4) userKey                  RANGE data key (routing key = the key)
 * </pre>
 *
 * <p>A shard is the routing range {@code [start, end)} of one keyspace, so its data is the one
 * contiguous RocksDB range {@code [0x01 ks start, 0x01 ks end)}: split and merge move no bytes. The
 * key carries no shard id on purpose.
 */
public final class StorageKeys {
  private static final byte META = 0x00;
  private static final byte DATA = 0x01;
  private static final int DATA_PREFIX = 1 + Integer.BYTES;

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
      return ByteBuffer.allocate(DATA_PREFIX).put(DATA).putInt(keyspaceId + 1).array();
    }
    return rangeStart(keyspaceId, routingEnd);
  }
}
