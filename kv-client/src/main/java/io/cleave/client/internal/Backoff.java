package io.cleave.client.internal;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential backoff with "equal jitter": the n-th delay is drawn from [d/2, d] where d = initial
 * * 2^n, capped at max. The random half spreads clients that failed together (a leader crash hits
 * them all at once) so they do not come back in lockstep; the fixed half keeps the delay growing.
 */
public final class Backoff {
  private final long initialNanos;
  private final long maxNanos;

  /**
   * @param initial the first delay before jitter; must be positive
   * @param max the cap on any delay; at least {@code initial}
   */
  public Backoff(Duration initial, Duration max) {
    if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
      throw new IllegalArgumentException("need 0 < initial <= max, got " + initial + ", " + max);
    }
    this.initialNanos = initial.toNanos();
    this.maxNanos = max.toNanos();
  }

  /** The delay before retry number {@code retry} (0 for the first retry), in nanoseconds. */
  public long delayNanos(int retry) {
    // Shift only as far as it cannot overflow; the cap makes larger shifts pointless anyway.
    long ceiling = Math.min(maxNanos, initialNanos << Math.min(retry, 30));
    if (ceiling <= 0) {
      ceiling = maxNanos;
    }
    long half = ceiling / 2;
    return half + ThreadLocalRandom.current().nextLong(ceiling - half + 1);
  }

  /** The longest delay this backoff returns; also how long a node that refused us stays avoided. */
  public long maxNanos() {
    return maxNanos;
  }
}
