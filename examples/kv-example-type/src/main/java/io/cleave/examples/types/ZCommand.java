package io.cleave.examples.types;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A zset command. Every constructor validates its input, so a command that exists can be encoded,
 * and bytes that decode into one are well-formed; what is left for the command itself to refuse is
 * state-dependent (the set would exceed its capacity, a score would overflow).
 */
public sealed interface ZCommand {

  /** Which members {@link Add} may write. */
  enum AddMode {
    /** Add new members and update existing ones. */
    ALWAYS(0),
    /** Only add new members; existing scores stay (Redis NX). */
    IF_ABSENT(1),
    /** Only update existing members; never add (Redis XX). */
    IF_PRESENT(2),
    /**
     * Add new members, and update existing ones only to a higher score (Redis GT): a high score.
     */
    IF_HIGHER(3);

    final int code;

    AddMode(int code) {
      this.code = code;
    }

    static AddMode ofCode(int code) {
      for (AddMode mode : values()) {
        if (mode.code == code) {
          return mode;
        }
      }
      throw new IllegalArgumentException("unknown add mode " + code);
    }
  }

  /**
   * Sets the scores of {@code entries} as {@code mode} allows. Result: the number of members added
   * or whose score changed.
   */
  record Add(AddMode mode, List<ZEntry> entries) implements ZCommand {
    public Add {
      Objects.requireNonNull(mode, "mode");
      entries = List.copyOf(entries);
      checkCount(entries.size());
      Set<String> seen = new HashSet<>();
      for (ZEntry entry : entries) {
        if (!seen.add(entry.member())) {
          throw new IllegalArgumentException("member '" + entry.member() + "' given twice");
        }
      }
    }
  }

  /** Removes members; a set left empty is deleted. Result: the number removed. */
  record Remove(List<String> members) implements ZCommand {
    public Remove {
      members = List.copyOf(members);
      checkCount(members.size());
      Set<String> seen = new HashSet<>();
      for (String member : members) {
        if (!seen.add(ZEntry.checkMember(member))) {
          throw new IllegalArgumentException("member '" + member + "' given twice");
        }
      }
    }
  }

  /**
   * Adds {@code delta} to the member's score, adding the member at {@code delta} if absent. Result:
   * the new score. Overflow refuses the command.
   */
  record IncrBy(String member, long delta) implements ZCommand {
    public IncrBy {
      ZEntry.checkMember(member);
    }
  }

  /** Sets one member's score. */
  static ZCommand add(String member, long score) {
    return new Add(AddMode.ALWAYS, List.of(new ZEntry(member, score)));
  }

  /** Sets several members' scores as {@code mode} allows. */
  static ZCommand add(AddMode mode, List<ZEntry> entries) {
    return new Add(mode, entries);
  }

  static ZCommand remove(String member) {
    return new Remove(List.of(member));
  }

  static ZCommand remove(List<String> members) {
    return new Remove(members);
  }

  static ZCommand incrBy(String member, long delta) {
    return new IncrBy(member, delta);
  }

  private static void checkCount(int count) {
    if (count == 0 || count > SortedSetType.MAX_MEMBERS) {
      throw new IllegalArgumentException(
          "a command names 1 to " + SortedSetType.MAX_MEMBERS + " members, not " + count);
    }
  }
}
