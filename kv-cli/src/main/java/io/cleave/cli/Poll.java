package io.cleave.cli;

import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Waiting for a cluster to reach a state, for {@code cleave dev}: asks again every 100 ms until the
 * answer is present or the time is up. Failures while asking count as "not yet" (a cluster that is
 * electing its leaders answers UNAVAILABLE); the last one is reported if time runs out.
 */
final class Poll {
  private static final long INTERVAL_MILLIS = 100;

  private Poll() {}

  static <T> T until(Duration max, String what, Supplier<Optional<T>> attempt) {
    long deadline = System.nanoTime() + max.toNanos();
    RuntimeException last = null;
    while (true) {
      try {
        Optional<T> answer = attempt.get();
        if (answer.isPresent()) {
          return answer.get();
        }
      } catch (RuntimeException e) {
        last = e;
      }
      if (System.nanoTime() > deadline) {
        throw new CliException(
            "timed out after "
                + max.toSeconds()
                + " s waiting for "
                + what
                + (last == null ? "" : "; last error: " + ErrorReporter.describe(last)));
      }
      try {
        Thread.sleep(INTERVAL_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CliException("interrupted while waiting for " + what);
      }
    }
  }
}
