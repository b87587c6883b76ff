package io.cleave.testing.history;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * An immutable byte string used for keys and values in recorded histories.
 *
 * <p>Histories are compared by value, so {@code byte[]} (identity equality) cannot be used
 * directly; this type owns a private copy and compares contents. "Absent" is never a {@code Bytes}:
 * the history types use {@code null} for it.
 */
public final class Bytes implements Comparable<Bytes> {
  private final byte[] data;

  private Bytes(byte[] data) {
    this.data = data;
  }

  /** Copies {@code data}, so later changes to the caller's array do not rewrite the history. */
  public static Bytes of(byte[] data) {
    return new Bytes(data.clone());
  }

  /** The UTF-8 encoding of {@code text}. */
  public static Bytes utf8(String text) {
    return new Bytes(text.getBytes(StandardCharsets.UTF_8));
  }

  /** Parses the hexadecimal form written by {@link #toHex()}. */
  public static Bytes fromHex(String hex) {
    return new Bytes(HexFormat.of().parseHex(hex));
  }

  /** A fresh copy of the contents. */
  public byte[] toByteArray() {
    return data.clone();
  }

  /** Number of bytes. */
  public int size() {
    return data.length;
  }

  /** Lower-case hexadecimal, the lossless form used when the bytes are not readable UTF-8. */
  public String toHex() {
    return HexFormat.of().formatHex(data);
  }

  /**
   * The contents as text if they are valid UTF-8 without control characters, else {@code null}.
   * Binary values must not be mangled into replacement characters in JSON dumps, or a re-read
   * history would compare unequal to the recorded one.
   */
  public String utf8OrNull() {
    try {
      String text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(data))
              .toString();
      return text.chars().anyMatch(Character::isISOControl) ? null : text;
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  @Override
  public int compareTo(Bytes other) {
    return Arrays.compareUnsigned(data, other.data);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Bytes other && Arrays.equals(data, other.data);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(data);
  }

  /** Quoted text when readable, else {@code 0x} and hex; used in checker explanations. */
  @Override
  public String toString() {
    String text = utf8OrNull();
    return text != null ? '"' + text + '"' : "0x" + toHex();
  }

  /** Renders a possibly absent value the way explanations show it. */
  static String show(Bytes valueOrNull) {
    return Objects.toString(valueOrNull, "<absent>");
  }
}
