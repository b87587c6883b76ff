package io.cleave.examples.types;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The compact binary encoding behind the zset codecs: unsigned LEB128 varints for counts and
 * lengths, zigzag varints for signed numbers, length-prefixed strict UTF-8 for strings.
 *
 * <p>Every value has exactly one encoding (no overlong varints, no lone surrogates, no trailing
 * bytes), and the reader rejects anything else with {@link IllegalArgumentException}, which the
 * node turns into INVALID_ARGUMENT without touching the key.
 */
final class Wire {
  private Wire() {}

  /** Strict UTF-8: a string with a lone surrogate has no encoding and is refused. */
  static byte[] utf8(String text) {
    try {
      ByteBuffer encoded =
          StandardCharsets.UTF_8
              .newEncoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .encode(CharBuffer.wrap(text));
      byte[] bytes = new byte[encoded.remaining()];
      encoded.get(bytes);
      return bytes;
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("not encodable as UTF-8 (lone surrogate?)", e);
    }
  }

  /** Appends fields to a growing buffer. */
  static final class Writer {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Writer tag(int tag) {
      out.write(tag);
      return this;
    }

    Writer bool(boolean value) {
      out.write(value ? 1 : 0);
      return this;
    }

    Writer unsigned(long value) {
      if (value < 0) {
        throw new IllegalArgumentException("negative count " + value);
      }
      return varint(value);
    }

    Writer signed(long value) {
      return varint((value << 1) ^ (value >> 63)); // zigzag: small magnitudes, few bytes
    }

    private Writer varint(long bits) {
      while ((bits & ~0x7FL) != 0) {
        out.write((int) ((bits & 0x7F) | 0x80));
        bits >>>= 7;
      }
      out.write((int) bits);
      return this;
    }

    Writer string(String value) {
      byte[] bytes = utf8(value);
      unsigned(bytes.length);
      out.write(bytes, 0, bytes.length);
      return this;
    }

    byte[] toBytes() {
      return out.toByteArray();
    }
  }

  /** Reads fields back, refusing anything {@link Writer} would not have written. */
  static final class Reader {
    private final byte[] bytes;
    private int position;

    Reader(byte[] bytes) {
      if (bytes == null) {
        throw new IllegalArgumentException("no bytes");
      }
      this.bytes = bytes;
    }

    int tag() {
      return Byte.toUnsignedInt(next());
    }

    boolean bool() {
      int value = tag();
      if (value > 1) {
        throw new IllegalArgumentException("boolean byte " + value + " at " + (position - 1));
      }
      return value == 1;
    }

    /** An unsigned varint that must not exceed {@code max}. */
    int count(int max) {
      long value = rawVarint();
      if (value < 0 || value > max) {
        throw new IllegalArgumentException(
            "count " + Long.toUnsignedString(value) + " over the limit " + max);
      }
      return (int) value;
    }

    long signed() {
      long zigzag = rawVarint();
      return (zigzag >>> 1) ^ -(zigzag & 1);
    }

    /** A length-prefixed UTF-8 string of at most {@code maxBytes} bytes. */
    String string(int maxBytes) {
      int length = count(maxBytes);
      if (length > bytes.length - position) {
        throw new IllegalArgumentException(
            "string of " + length + " bytes runs past the end at " + position);
      }
      try {
        String value =
            StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(bytes, position, length))
                .toString();
        position += length;
        return value;
      } catch (CharacterCodingException e) {
        throw new IllegalArgumentException("malformed UTF-8 at " + position, e);
      }
    }

    /** Fails unless every byte was read. */
    void end() {
      if (position != bytes.length) {
        throw new IllegalArgumentException(
            (bytes.length - position) + " trailing bytes at " + position);
      }
    }

    private long rawVarint() {
      int start = position;
      long value = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        byte b = next();
        if (shift == 63 && (b & 0xFE) != 0) {
          throw new IllegalArgumentException("varint overflows 64 bits at " + start);
        }
        value |= (long) (b & 0x7F) << shift;
        if ((b & 0x80) == 0) {
          if (b == 0 && shift > 0) {
            throw new IllegalArgumentException("overlong varint at " + start);
          }
          return value;
        }
      }
      throw new IllegalArgumentException("varint longer than 10 bytes at " + start);
    }

    private byte next() {
      if (position >= bytes.length) {
        throw new IllegalArgumentException(
            "truncated: needed more than " + bytes.length + " bytes");
      }
      return bytes[position++];
    }
  }
}
