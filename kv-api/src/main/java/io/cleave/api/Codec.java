package io.cleave.api;

/**
 * Turns values of one type into bytes and back. Implementations must be deterministic: the same
 * object always encodes to the same bytes, because replicas compare nothing but apply the same
 * bytes.
 *
 * @param <T> the decoded type
 */
public interface Codec<T> {

  byte[] encode(T value);

  /**
   * Decodes bytes written by {@link #encode}.
   *
   * @throws IllegalArgumentException if the bytes are malformed; the server answers the caller with
   *     INVALID_ARGUMENT and changes nothing
   */
  T decode(byte[] bytes);

  /** The identity codec, for types that work on raw bytes. */
  static Codec<byte[]> bytes() {
    return Codecs.BYTES;
  }
}
