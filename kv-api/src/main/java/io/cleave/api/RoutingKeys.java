package io.cleave.api;

import com.google.common.hash.Hashing;
import com.google.common.primitives.Longs;
import io.cleave.api.v1.Partitioning;

/**
 * The routing key of a user key: where it falls in its keyspace's routing space. Client and server
 * must agree on it byte for byte, which is why it lives in the contract.
 *
 * <p>HASH keyspaces use the 64-bit murmur3 hash of the key, big-endian, so shards split the hash
 * space as unsigned 8-byte ranges. RANGE keyspaces use the key itself.
 */
public final class RoutingKeys {
  /** Length of a HASH routing key. */
  public static final int HASH_LENGTH = Long.BYTES;

  private RoutingKeys() {}

  public static byte[] routingKey(Partitioning partitioning, byte[] key) {
    return partitioning == Partitioning.RANGE ? key : hash(key);
  }

  /** The HASH routing key of {@code key}: murmur3_128's first 64 bits, big-endian. */
  public static byte[] hash(byte[] key) {
    return Longs.toByteArray(Hashing.murmur3_128().hashBytes(key).asLong());
  }

  /**
   * Whether {@code routingKey} lies in {@code [start, end)}, comparing bytes as unsigned; an empty
   * end is the end of the routing space.
   */
  public static boolean inRange(byte[] routingKey, byte[] start, byte[] end) {
    return compare(routingKey, start) >= 0 && (end.length == 0 || compare(routingKey, end) < 0);
  }

  /** Unsigned lexicographic comparison, the order of RocksDB's default comparator. */
  public static int compare(byte[] a, byte[] b) {
    return java.util.Arrays.compareUnsigned(a, b);
  }
}
