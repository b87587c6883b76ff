package io.cleave.client;

import java.util.Objects;

/**
 * A key with a value (for a batch put) or a command argument (for a batch command).
 *
 * @param key the key
 * @param value the value or argument
 */
public record KeyValue(Bytes key, Bytes value) {
  /** Both parts are required. */
  public KeyValue {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
  }

  /** Shorthand for the constructor. */
  public static KeyValue of(Bytes key, Bytes value) {
    return new KeyValue(key, value);
  }
}
