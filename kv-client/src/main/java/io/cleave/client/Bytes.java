package io.cleave.client;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * An immutable sequence of bytes: a key, a value, a command argument. Copies in and out, so a
 * caller that reuses its array cannot change a key already handed to the client. Ordered as nodes
 * order keys: unsigned, byte by byte, shorter prefix first.
 */
public final class Bytes implements Comparable<Bytes> {
  /** No bytes. */
  public static final Bytes EMPTY = new Bytes(new byte[0]);

  private static final int SHOWN = 64;
  private final byte[] bytes;

  private Bytes(byte[] bytes) {
    this.bytes = bytes;
  }

  /** A copy of {@code bytes}. */
  public static Bytes of(byte[] bytes) {
    return new Bytes(bytes.clone());
  }

  /** The UTF-8 encoding of {@code text}. */
  public static Bytes utf8(String text) {
    return new Bytes(text.getBytes(StandardCharsets.UTF_8));
  }

  /** The bytes of a protobuf {@code ByteString}; one copy, as {@link #of} makes. */
  static Bytes of(ByteString bytes) {
    return bytes.isEmpty() ? EMPTY : new Bytes(bytes.toByteArray());
  }

  /** A copy of the bytes. */
  public byte[] toByteArray() {
    return bytes.clone();
  }

  /** The bytes decoded as UTF-8; malformed input becomes U+FFFD. */
  public String toUtf8() {
    return new String(bytes, StandardCharsets.UTF_8);
  }

  /** Number of bytes. */
  public int size() {
    return bytes.length;
  }

  /** Whether there are no bytes. */
  public boolean isEmpty() {
    return bytes.length == 0;
  }

  /** The bytes as a protobuf ByteString without a copy: safe because neither side mutates. */
  ByteString toByteString() {
    return UnsafeByteOperations.unsafeWrap(bytes);
  }

  /** The internal array, not copied: for the SDK's own read-only use. */
  byte[] array() {
    return bytes;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Bytes other && Arrays.equals(bytes, other.bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  /** Unsigned lexicographic order, the order of keys in a RANGE keyspace. */
  @Override
  public int compareTo(Bytes other) {
    return Arrays.compareUnsigned(bytes, other.bytes);
  }

  /**
   * Printable UTF-8 text in quotes, anything else as hex; long contents are cut, so logging a large
   * value does not flood the log.
   */
  @Override
  public String toString() {
    String text = printable();
    if (text != null) {
      return text.length() > SHOWN
          ? "\"" + text.substring(0, SHOWN) + "\"...(" + bytes.length + " bytes)"
          : "\"" + text + "\"";
    }
    String hex = HexFormat.of().formatHex(bytes, 0, Math.min(bytes.length, SHOWN));
    return bytes.length > SHOWN ? "0x" + hex + "...(" + bytes.length + " bytes)" : "0x" + hex;
  }

  private String printable() {
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(java.nio.ByteBuffer.wrap(bytes))
              .toString();
    } catch (CharacterCodingException e) {
      return null;
    }
    return text.codePoints().allMatch(c -> c >= 0x20 && c != 0x7f && c != '"' && c != '\\')
        ? text
        : null;
  }
}
