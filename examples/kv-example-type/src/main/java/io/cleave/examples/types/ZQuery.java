package io.cleave.examples.types;

/** A zset query. Constructors validate, like {@link ZCommand}'s. */
public sealed interface ZQuery {

  /** The member's score; {@link ZResult.Absent} if it is not in the set. */
  record Score(String member) implements ZQuery {
    public Score {
      ZEntry.checkMember(member);
    }
  }

  /**
   * The member's 0-based rank, lowest score first (highest first when {@code reverse}); {@link
   * ZResult.Absent} if it is not in the set.
   */
  record Rank(String member, boolean reverse) implements ZQuery {
    public Rank {
      ZEntry.checkMember(member);
    }
  }

  /**
   * Up to {@code limit} entries from rank {@code offset}, lowest score first (highest first when
   * {@code reverse}).
   */
  record Range(int offset, int limit, boolean reverse) implements ZQuery {
    public Range {
      if (offset < 0 || offset >= SortedSetType.MAX_MEMBERS) {
        throw new IllegalArgumentException("offset " + offset + " outside the set's capacity");
      }
      checkLimit(limit);
    }
  }

  /** Up to {@code limit} entries with {@code min <= score <= max}, lowest score first. */
  record RangeByScore(long min, long max, int limit) implements ZQuery {
    public RangeByScore {
      if (min > max) {
        throw new IllegalArgumentException("min " + min + " > max " + max);
      }
      checkLimit(limit);
    }
  }

  /** The number of members. */
  record Card() implements ZQuery {}

  static ZQuery score(String member) {
    return new Score(member);
  }

  static ZQuery rank(String member) {
    return new Rank(member, false);
  }

  static ZQuery reverseRank(String member) {
    return new Rank(member, true);
  }

  static ZQuery range(int offset, int limit) {
    return new Range(offset, limit, false);
  }

  static ZQuery reverseRange(int offset, int limit) {
    return new Range(offset, limit, true);
  }

  static ZQuery rangeByScore(long min, long max, int limit) {
    return new RangeByScore(min, max, limit);
  }

  static ZQuery card() {
    return new Card();
  }

  private static void checkLimit(int limit) {
    if (limit < 1 || limit > SortedSetType.MAX_MEMBERS) {
      throw new IllegalArgumentException(
          "limit " + limit + " outside 1.." + SortedSetType.MAX_MEMBERS);
    }
  }
}
