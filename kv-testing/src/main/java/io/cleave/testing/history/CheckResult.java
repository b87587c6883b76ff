package io.cleave.testing.history;

import java.time.Duration;
import java.util.List;

/**
 * The outcome of {@link LinearizabilityChecker#check}: an overall verdict and one entry per key.
 *
 * @param verdict {@code NOT_LINEARIZABLE} if any key is, else {@code UNKNOWN} if any key ran out of
 *     budget, else {@code LINEARIZABLE}
 * @param keys per-key results, ordered by key
 */
public record CheckResult(Verdict verdict, List<KeyResult> keys) {

  /**
   * The result for one key.
   *
   * @param key the key
   * @param verdict what the search concluded for this key
   * @param operations operations recorded for the key, including dropped ones
   * @param unknownOperations of those, how many had an {@code UNKNOWN} outcome
   * @param droppedOperations of those, how many the search ignored because they cannot constrain it
   *     ({@code FAIL}, unknown reads, unknown writes of values nobody observes)
   * @param explored search configurations memoised, a measure of how hard the key was
   * @param elapsed wall time spent on the key
   * @param explanation empty when linearizable; otherwise what went wrong, for a human
   */
  public record KeyResult(
      Bytes key,
      Verdict verdict,
      int operations,
      int unknownOperations,
      int droppedOperations,
      long explored,
      Duration elapsed,
      String explanation) {}

  /** Builds the result from per-key results, deriving the overall verdict. */
  public static CheckResult of(List<KeyResult> keys) {
    Verdict overall = Verdict.LINEARIZABLE;
    for (KeyResult k : keys) {
      overall = overall.and(k.verdict());
    }
    return new CheckResult(overall, List.copyOf(keys));
  }

  /** Whether the whole history was shown linearizable (not merely "no violation found"). */
  public boolean isLinearizable() {
    return verdict == Verdict.LINEARIZABLE;
  }

  /** Keys that are not {@code LINEARIZABLE}: violations and undecided ones. */
  public List<KeyResult> problems() {
    return keys.stream().filter(k -> k.verdict() != Verdict.LINEARIZABLE).toList();
  }

  /** Number of keys with the given verdict. */
  public long keyCount(Verdict v) {
    return keys.stream().filter(k -> k.verdict() == v).count();
  }

  /** Number of operations across all keys. */
  public long operationCount() {
    return keys.stream().mapToLong(KeyResult::operations).sum();
  }

  /** A readable report: the counts, then every problem key with its explanation. */
  public String report() {
    StringBuilder s = new StringBuilder();
    s.append(verdict)
        .append(": ")
        .append(keys.size())
        .append(" keys, ")
        .append(operationCount())
        .append(" operations; ")
        .append(keyCount(Verdict.LINEARIZABLE))
        .append(" linearizable, ")
        .append(keyCount(Verdict.NOT_LINEARIZABLE))
        .append(" not linearizable, ")
        .append(keyCount(Verdict.UNKNOWN))
        .append(" unknown\n");
    for (KeyResult k : problems()) {
      s.append("\n== key ")
          .append(k.key())
          .append(": ")
          .append(k.verdict())
          .append(" (")
          .append(k.operations())
          .append(" ops, ")
          .append(k.unknownOperations())
          .append(" unknown, ")
          .append(k.explored())
          .append(" configurations, ")
          .append(k.elapsed().toMillis())
          .append(" ms)\n")
          .append(k.explanation())
          .append('\n');
    }
    return s.toString();
  }

  @Override
  public String toString() {
    return report();
  }
}
