package io.cleave.examples.types;

import java.util.List;
import java.util.OptionalLong;

/**
 * What zset commands and queries return: a number, "absent", or a list of entries. The accessors
 * let callers skip the type test when they know which one their call returns.
 */
public sealed interface ZResult {

  /** A count, a score or a rank. */
  record Number(long value) implements ZResult {}

  /** The member asked about is not in the set. */
  record Absent() implements ZResult {}

  /** Entries in the order the query asked for. */
  record Entries(List<ZEntry> entries) implements ZResult {
    public Entries {
      entries = List.copyOf(entries);
    }
  }

  /** The number; {@link IllegalStateException} for another kind of result. */
  default long asLong() {
    if (this instanceof Number number) {
      return number.value();
    }
    throw new IllegalStateException("not a number: " + this);
  }

  /** The number, or empty when {@link Absent}; {@link IllegalStateException} for entries. */
  default OptionalLong asOptionalLong() {
    if (this instanceof Absent) {
      return OptionalLong.empty();
    }
    return OptionalLong.of(asLong());
  }

  /** The entries; {@link IllegalStateException} for another kind of result. */
  default List<ZEntry> asEntries() {
    if (this instanceof Entries entries) {
      return entries.entries();
    }
    throw new IllegalStateException("not entries: " + this);
  }
}
