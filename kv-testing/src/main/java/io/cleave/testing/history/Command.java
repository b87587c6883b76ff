package io.cleave.testing.history;

import java.util.Objects;

/**
 * What a client asked for: a single-key read, write, delete or compare-and-set.
 *
 * @param type the kind of request
 * @param key the key it targets
 * @param value the value written ({@code WRITE}) or the new value ({@code CAS}; {@code null} means
 *     the CAS deletes); always {@code null} for {@code READ} and {@code DELETE}
 * @param expected for {@code CAS}, the value the key must hold for the swap to happen; {@code null}
 *     means "expect absent" (create-if-absent); always {@code null} otherwise
 */
public record Command(Type type, Bytes key, Bytes value, Bytes expected) {

  /** The request kinds the register model understands. */
  public enum Type {
    /** Returns the current value or absent. */
    READ,
    /** Sets the value unconditionally. */
    WRITE,
    /** Sets the value if the current value equals the expected one (absent included). */
    CAS,
    /** Makes the key absent; modelled as a write of "absent". */
    DELETE
  }

  /** Rejects argument combinations the model would silently misread. */
  public Command {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(key, "key");
    if (type == Type.WRITE && value == null) {
      throw new IllegalArgumentException("a WRITE needs a value; use DELETE to make a key absent");
    }
    if ((type == Type.READ || type == Type.DELETE) && value != null) {
      throw new IllegalArgumentException(type + " takes no value");
    }
    if (type != Type.CAS && expected != null) {
      throw new IllegalArgumentException("only a CAS has an expected value");
    }
  }

  /** A read of {@code key}. */
  public static Command read(Bytes key) {
    return new Command(Type.READ, key, null, null);
  }

  /** An unconditional write. */
  public static Command write(Bytes key, Bytes value) {
    return new Command(Type.WRITE, key, value, null);
  }

  /** A delete, after which reads see absent. */
  public static Command delete(Bytes key) {
    return new Command(Type.DELETE, key, null, null);
  }

  /**
   * A compare-and-set; {@code expected == null} means "only if absent", {@code newValue == null}
   * means "delete if it matches".
   */
  public static Command cas(Bytes key, Bytes expected, Bytes newValue) {
    return new Command(Type.CAS, key, newValue, expected);
  }

  /** {@link #read(Bytes)} with a UTF-8 key. */
  public static Command read(String key) {
    return read(Bytes.utf8(key));
  }

  /** {@link #write(Bytes, Bytes)} with UTF-8 key and value. */
  public static Command write(String key, String value) {
    return write(Bytes.utf8(key), Bytes.utf8(value));
  }

  /** {@link #delete(Bytes)} with a UTF-8 key. */
  public static Command delete(String key) {
    return delete(Bytes.utf8(key));
  }

  /** {@link #cas(Bytes, Bytes, Bytes)} with UTF-8 strings; {@code null} still means absent. */
  public static Command cas(String key, String expected, String newValue) {
    return cas(Bytes.utf8(key), utf8OrNull(expected), utf8OrNull(newValue));
  }

  private static Bytes utf8OrNull(String text) {
    return text == null ? null : Bytes.utf8(text);
  }

  /** Whether applying this command can change the key (a write, delete or CAS). */
  public boolean mutates() {
    return type != Type.READ;
  }
}
