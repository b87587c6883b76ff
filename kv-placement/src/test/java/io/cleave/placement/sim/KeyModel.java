package io.cleave.placement.sim;

import com.google.protobuf.ByteString;
import io.cleave.placement.internal.RoutingSpace;

/**
 * Where a keyspace's keys sit in its routing space, as a time-independent position per routing key,
 * so a shard's key count is a difference of two cached positions and costs O(1) per round.
 */
interface KeyModel {
  /**
   * Position of a routing key; shard {@code [a, b)} holds the keys with positions in [p(a), p(b)).
   */
  double position(ByteString routingKey);

  /** Position of the end of the routing space (an empty end). */
  double endPosition();

  /** How many of {@code n} keys lie below {@code position}. */
  double keysBelow(double position, double n);

  /** A routing key at {@code position}, for samples; at or after the keys below it. */
  ByteString keyAt(double position);

  /** HASH keyspace: {@code n} keys spread uniformly over the hash space, position in [0, 1). */
  final class Hash implements KeyModel {
    private static final double TWO_64 = 0x1p64;

    @Override
    public double position(ByteString routingKey) {
      if (routingKey.isEmpty()) {
        return 0;
      }
      long v = RoutingSpace.toUnsignedLong(routingKey);
      return ((v >>> 1) * 2.0 + (v & 1)) / TWO_64;
    }

    @Override
    public double endPosition() {
      return 1;
    }

    @Override
    public double keysBelow(double position, double n) {
      return position * n;
    }

    @Override
    public ByteString keyAt(double position) {
      double scaled = Math.min(position, Math.nextDown(1.0)) * TWO_64;
      long v = scaled >= 0x1p63 ? (long) (scaled - 0x1p63) ^ Long.MIN_VALUE : (long) scaled;
      return RoutingSpace.fromUnsignedLong(v);
    }
  }

  /**
   * RANGE keyspace of keys {@code u0000000000}, {@code u0000000001}, …: the first {@code n} ids
   * exist, so growth appends at the end (the sequential-insert pattern of range keyspaces) and the
   * byte-wise middle of the whole space (0x80) says nothing about where keys are.
   */
  final class Range implements KeyModel {
    static final int DIGITS = 10;

    @Override
    public double position(ByteString routingKey) {
      // Number of ids whose key sorts before routingKey: binary search, done once per boundary.
      long lo = 0;
      long hi = 10_000_000_000L;
      while (lo < hi) {
        long mid = (lo + hi) >>> 1;
        if (RoutingSpace.compare(key(mid), routingKey) < 0) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      return lo;
    }

    @Override
    public double endPosition() {
      return Double.POSITIVE_INFINITY;
    }

    @Override
    public double keysBelow(double position, double n) {
      return Math.min(position, Math.floor(n));
    }

    @Override
    public ByteString keyAt(double position) {
      return key((long) Math.ceil(position));
    }

    static ByteString key(long id) {
      byte[] b = new byte[DIGITS + 1];
      b[0] = 'u';
      for (int i = DIGITS; i >= 1; i--) {
        b[i] = (byte) ('0' + id % 10);
        id /= 10;
      }
      return ByteString.copyFrom(b);
    }
  }
}
