package io.cleave.server.storage;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A value as stored: the key's version (writes since it was created), the size its value type
 * reported, and the encoded value. Layout: version(8) size(8) value.
 */
public record StoredValue(long version, long size, byte[] value) {
  private static final int HEADER = 2 * Long.BYTES;

  public byte[] encode() {
    return ByteBuffer.allocate(HEADER + value.length)
        .putLong(version)
        .putLong(size)
        .put(value)
        .array();
  }

  public static StoredValue decode(byte[] bytes) {
    ByteBuffer buffer = ByteBuffer.wrap(bytes);
    return new StoredValue(
        buffer.getLong(), buffer.getLong(), Arrays.copyOfRange(bytes, HEADER, bytes.length));
  }

  /** Reads only the size, without copying the value. */
  public static long sizeOf(byte[] encoded) {
    return ByteBuffer.wrap(encoded).getLong(Long.BYTES);
  }
}
