package io.cleave.examples.types;

import java.util.Comparator;
import java.util.Objects;

/**
 * A member of a sorted set and its score.
 *
 * @param member non-empty, at most {@link SortedSetType#MAX_MEMBER_BYTES} bytes of UTF-8
 * @param score any 64-bit integer
 */
public record ZEntry(String member, long score) {
  /** Rank order: by score, then by member ({@link String#compareTo}) among equal scores. */
  public static final Comparator<ZEntry> RANK_ORDER =
      Comparator.comparingLong(ZEntry::score).thenComparing(ZEntry::member);

  public ZEntry {
    checkMember(member);
  }

  /** Checks a member name; {@link IllegalArgumentException} if it is empty, too long or bad. */
  static String checkMember(String member) {
    Objects.requireNonNull(member, "member");
    if (member.isEmpty()) {
      throw new IllegalArgumentException("empty member");
    }
    // Cheap bound first: a char is at most 3 UTF-8 bytes, a surrogate pair 4 bytes for 2 chars.
    if (member.length() > SortedSetType.MAX_MEMBER_BYTES
        || Wire.utf8(member).length > SortedSetType.MAX_MEMBER_BYTES) {
      throw new IllegalArgumentException(
          "member longer than " + SortedSetType.MAX_MEMBER_BYTES + " bytes of UTF-8");
    }
    return member;
  }
}
