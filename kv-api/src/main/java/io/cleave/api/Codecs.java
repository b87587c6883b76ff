package io.cleave.api;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** Ready-made codecs for common argument and result types. */
public final class Codecs {
  private Codecs() {}

  static final Codec<byte[]> BYTES =
      new Codec<>() {
        @Override
        public byte[] encode(byte[] value) {
          return value;
        }

        @Override
        public byte[] decode(byte[] bytes) {
          return bytes;
        }
      };

  /** UTF-8 strings. */
  public static final Codec<String> UTF8 =
      new Codec<>() {
        @Override
        public byte[] encode(String value) {
          return value.getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public String decode(byte[] bytes) {
          return new String(bytes, StandardCharsets.UTF_8);
        }
      };

  /** Signed 64-bit integers, 8 bytes big-endian. */
  public static final Codec<Long> INT64 =
      new Codec<>() {
        @Override
        public byte[] encode(Long value) {
          return ByteBuffer.allocate(Long.BYTES).putLong(value).array();
        }

        @Override
        public Long decode(byte[] bytes) {
          if (bytes.length != Long.BYTES) {
            throw new IllegalArgumentException(
                "expected 8 bytes of a big-endian int64, got " + bytes.length);
          }
          return ByteBuffer.wrap(bytes).getLong();
        }
      };
}
