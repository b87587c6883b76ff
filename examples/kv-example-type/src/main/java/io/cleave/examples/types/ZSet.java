package io.cleave.examples.types;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * The value of one zset key: at most {@link SortedSetType#MAX_MEMBERS} members, each with a score,
 * kept in {@linkplain ZEntry#RANK_ORDER rank order}. Immutable; commands build a new one.
 */
public final class ZSet {
  private final List<ZEntry> byRank;
  private final Map<String, Long> scores;

  private ZSet(List<ZEntry> byRank, Map<String, Long> scores) {
    this.byRank = Collections.unmodifiableList(byRank);
    this.scores = Collections.unmodifiableMap(scores);
  }

  /** A set of {@code scores}' members; the map's iteration order does not matter. */
  public static ZSet of(Map<String, Long> scores) {
    if (scores.size() > SortedSetType.MAX_MEMBERS) {
      throw new IllegalArgumentException(
          "a zset holds at most " + SortedSetType.MAX_MEMBERS + " members, not " + scores.size());
    }
    List<ZEntry> entries = new ArrayList<>(scores.size());
    scores.forEach((member, score) -> entries.add(new ZEntry(member, score)));
    entries.sort(ZEntry.RANK_ORDER);
    return new ZSet(entries, new HashMap<>(scores));
  }

  /**
   * A set from entries already in strict rank order with distinct members, as the value codec
   * decodes them; {@link IllegalArgumentException} otherwise.
   */
  static ZSet ofRankOrder(List<ZEntry> entries) {
    if (entries.size() > SortedSetType.MAX_MEMBERS) {
      throw new IllegalArgumentException(
          "a zset holds at most " + SortedSetType.MAX_MEMBERS + " members");
    }
    Map<String, Long> scores = new HashMap<>();
    for (int i = 0; i < entries.size(); i++) {
      ZEntry entry = entries.get(i);
      if (i > 0 && ZEntry.RANK_ORDER.compare(entries.get(i - 1), entry) >= 0) {
        throw new IllegalArgumentException("entries out of rank order at " + i);
      }
      if (scores.put(entry.member(), entry.score()) != null) {
        throw new IllegalArgumentException("member '" + entry.member() + "' appears twice");
      }
    }
    return new ZSet(new ArrayList<>(entries), scores);
  }

  public int size() {
    return byRank.size();
  }

  /** Every entry, lowest score first. */
  public List<ZEntry> entries() {
    return byRank;
  }

  /** Member to score, unordered. */
  public Map<String, Long> scores() {
    return scores;
  }

  public OptionalLong score(String member) {
    Long score = scores.get(member);
    return score == null ? OptionalLong.empty() : OptionalLong.of(score);
  }

  /** 0-based position of {@code member}, lowest score first; -1 when absent. */
  public int rank(String member) {
    Long score = scores.get(member);
    if (score == null) {
      return -1;
    }
    return Collections.binarySearch(byRank, new ZEntry(member, score), ZEntry.RANK_ORDER);
  }

  /**
   * Up to {@code limit} entries from position {@code offset}, lowest score first, or highest first
   * when {@code reverse}.
   */
  public List<ZEntry> range(int offset, int limit, boolean reverse) {
    int size = byRank.size();
    List<ZEntry> out = new ArrayList<>(Math.max(0, Math.min(limit, size - offset)));
    for (int i = offset; i < size && out.size() < limit; i++) {
      out.add(byRank.get(reverse ? size - 1 - i : i));
    }
    return out;
  }

  /** Up to {@code limit} entries with {@code min <= score <= max}, lowest score first. */
  public List<ZEntry> rangeByScore(long min, long max, int limit) {
    int low = 0;
    int high = byRank.size();
    while (low < high) { // first entry with score >= min
      int mid = (low + high) >>> 1;
      if (byRank.get(mid).score() < min) {
        low = mid + 1;
      } else {
        high = mid;
      }
    }
    List<ZEntry> out = new ArrayList<>();
    for (int i = low; i < byRank.size() && out.size() < limit; i++) {
      ZEntry entry = byRank.get(i);
      if (entry.score() > max) {
        break;
      }
      out.add(entry);
    }
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ZSet other && byRank.equals(other.byRank);
  }

  @Override
  public int hashCode() {
    return byRank.hashCode();
  }

  @Override
  public String toString() {
    return "ZSet" + byRank;
  }
}
