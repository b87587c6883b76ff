package io.cleave.client;

import io.cleave.api.v1.CompareAndSetRequest;
import java.util.Objects;

/** What {@link CleaveClient#compareAndSet} requires of the key's current state. Immutable. */
public final class Expectation {
  private enum Kind {
    VALUE,
    ABSENT,
    VERSION
  }

  private static final Expectation ABSENT = new Expectation(Kind.ABSENT, null, 0);

  private final Kind kind;
  private final Bytes value;
  private final long version;

  private Expectation(Kind kind, Bytes value, long version) {
    this.kind = kind;
    this.value = value;
    this.version = version;
  }

  /** The key must exist with exactly this value. */
  public static Expectation value(Bytes value) {
    return new Expectation(Kind.VALUE, Objects.requireNonNull(value), 0);
  }

  /** The key must not exist. */
  public static Expectation absent() {
    return ABSENT;
  }

  /** The key must exist with this version (from a {@link GetResult} or earlier write). */
  public static Expectation version(long version) {
    if (version <= 0) {
      throw new IllegalArgumentException("versions start at 1, got " + version);
    }
    return new Expectation(Kind.VERSION, null, version);
  }

  void applyTo(CompareAndSetRequest.Builder request) {
    switch (kind) {
      case VALUE -> request.setExpectedValue(value.toByteString());
      case ABSENT -> request.setExpectAbsent(true);
      case VERSION -> request.setExpectedVersion(version);
    }
  }

  @Override
  public String toString() {
    return switch (kind) {
      case VALUE -> "value " + value;
      case ABSENT -> "absent";
      case VERSION -> "version " + version;
    };
  }
}
