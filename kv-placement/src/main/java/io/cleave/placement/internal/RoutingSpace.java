package io.cleave.placement.internal;

import com.google.protobuf.ByteString;
import java.util.Comparator;
import java.util.Optional;

/**
 * Arithmetic on routing keys: where to cut a shard's range {@code [start, end)} in two.
 *
 * <p>Routing keys compare as unsigned bytes. An empty start is the beginning of the routing space
 * and an empty end is its end, so "empty" means zero on the left and 2^64 (HASH) or "past every
 * key" (RANGE) on the right. Every cut returned here lies strictly inside the range, because a cut
 * at {@code start} would leave an empty left shard and a cut at {@code end} an empty right one.
 */
public final class RoutingSpace {
  /** Length of a HASH routing key: an unsigned 64-bit hash, big-endian. */
  public static final int HASH_LENGTH = Long.BYTES;

  private static final Comparator<ByteString> ORDER =
      ByteString.unsignedLexicographicalComparator();

  private RoutingSpace() {}

  /** Unsigned byte order, the order of shards in the routing space. */
  public static int compare(ByteString a, ByteString b) {
    return ORDER.compare(a, b);
  }

  /**
   * Whether {@code key} can be a cut of {@code [start, end)}: strictly after start and strictly
   * before end (an empty end is past every key).
   */
  public static boolean strictlyInside(ByteString key, ByteString start, ByteString end) {
    return compare(key, start) > 0 && (end.isEmpty() || compare(key, end) < 0);
  }

  /**
   * The middle of a HASH range, as an 8-byte key, or empty when the range holds fewer than two
   * hashes and so cannot be cut. Bounds that are not 8 bytes (never written by Cleave, but possible
   * in a hand-edited cluster map) fall back to {@link #byteMidpoint}.
   */
  public static Optional<ByteString> hashMidpoint(ByteString start, ByteString end) {
    if (!isHashBound(start) || !isHashBound(end)) {
      return byteMidpoint(start, end);
    }
    long lo = start.isEmpty() ? 0L : toUnsignedLong(start);
    // end - start in unsigned arithmetic; an empty end is 2^64, which wraps to -lo, and to 0 when
    // lo
    // is 0 too, the one case where the width (2^64) does not fit in 64 bits.
    long width = end.isEmpty() ? -lo : toUnsignedLong(end) - lo;
    long half = (end.isEmpty() && lo == 0) ? 1L << 63 : width >>> 1;
    if (half == 0) {
      return Optional.empty();
    }
    return Optional.of(fromUnsignedLong(lo + half));
  }

  /**
   * A key strictly between {@code start} and {@code end} near the middle of the range, treating
   * keys as base-256 fractions (so "a" to "c" gives "b", and "" to "" gives 0x80), or empty when no
   * key lies strictly between them (e.g. "a" and "a\0").
   *
   * <p>Keys that are equal as fractions but differ as strings ("a" vs "a\0\0") have no numeric
   * midpoint; the successor of start ({@code start + 0x00}) is then the only candidate.
   */
  public static Optional<ByteString> byteMidpoint(ByteString start, ByteString end) {
    int len = Math.max(start.size(), end.size());
    // sum = start + end as (len + 1) base-256 digits, digit 0 the carry; an empty end is 1.0, which
    // is a carry of one over len zero digits.
    int[] sum = new int[len + 1];
    if (end.isEmpty()) {
      sum[0] = 1;
    }
    int carry = 0;
    for (int i = len - 1; i >= 0; i--) {
      int d = digit(start, i) + digit(end, i) + carry;
      sum[i + 1] += d & 0xff;
      carry = d >>> 8;
    }
    sum[0] += carry;
    // Halve: mid has len digits after the point, plus a 0x80 digit when the sum is odd.
    byte[] mid = new byte[len + 1];
    int rem = sum[0];
    for (int i = 0; i < len; i++) {
      int d = (rem << 8) | sum[i + 1];
      mid[i] = (byte) (d >>> 1);
      rem = d & 1;
    }
    mid[len] = (byte) (rem == 1 ? 0x80 : 0);
    ByteString candidate = trimTrailingZeros(mid, start);
    if (strictlyInside(candidate, start, end)) {
      return Optional.of(candidate);
    }
    ByteString successor = start.concat(ByteString.copyFrom(new byte[1]));
    return strictlyInside(successor, start, end) ? Optional.of(successor) : Optional.empty();
  }

  /** Reads an 8-byte HASH routing key as an unsigned 64-bit number (in a signed long). */
  public static long toUnsignedLong(ByteString key) {
    long v = 0;
    for (int i = 0; i < HASH_LENGTH; i++) {
      v = (v << 8) | (key.byteAt(i) & 0xffL);
    }
    return v;
  }

  /** The 8-byte HASH routing key of an unsigned 64-bit number. */
  public static ByteString fromUnsignedLong(long v) {
    byte[] b = new byte[HASH_LENGTH];
    for (int i = HASH_LENGTH - 1; i >= 0; i--) {
      b[i] = (byte) v;
      v >>>= 8;
    }
    return ByteString.copyFrom(b);
  }

  private static boolean isHashBound(ByteString bound) {
    return bound.isEmpty() || bound.size() == HASH_LENGTH;
  }

  private static int digit(ByteString key, int i) {
    return i < key.size() ? key.byteAt(i) & 0xff : 0;
  }

  /**
   * Drops trailing zero bytes, which do not move the key as a fraction, while the shorter key still
   * sorts after start: "a\0" and "a" are different keys and only the longer one is after "a". A
   * prefix sorts before the key, so trimming never moves the cut past end.
   */
  private static ByteString trimTrailingZeros(byte[] key, ByteString start) {
    ByteString cut = ByteString.copyFrom(key);
    while (!cut.isEmpty() && cut.byteAt(cut.size() - 1) == 0) {
      ByteString shorter = cut.substring(0, cut.size() - 1);
      if (compare(shorter, start) <= 0) {
        break;
      }
      cut = shorter;
    }
    return cut;
  }
}
