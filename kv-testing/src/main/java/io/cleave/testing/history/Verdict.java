package io.cleave.testing.history;

/** What a check concluded, for one key or for a whole history. */
public enum Verdict {
  /** A legal order was found. */
  LINEARIZABLE,
  /** The search was exhaustive and found no legal order: a real violation (or a recording bug). */
  NOT_LINEARIZABLE,
  /**
   * The search ran out of its budget. Never read this as a pass: the history may hide a violation;
   * shrink the per-key history (fewer ops per key, fewer UNKNOWN outcomes) instead.
   */
  UNKNOWN;

  /** The overall verdict of two parts: any violation wins, then any undecided part. */
  Verdict and(Verdict other) {
    if (this == NOT_LINEARIZABLE || other == NOT_LINEARIZABLE) {
      return NOT_LINEARIZABLE;
    }
    return this == UNKNOWN || other == UNKNOWN ? UNKNOWN : LINEARIZABLE;
  }
}
