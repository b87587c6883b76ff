package io.cleave.testing.chaos;

import java.time.Duration;

/** Settings shared by the chaos scenarios. */
final class ChaosSuite {
  /**
   * Fault time per scenario when neither {@code -Dchaos.seconds} nor {@code -Dchaos.minutes} is
   * given: short enough that the scenarios together stay under about 8 minutes on a 2-core CI
   * machine (each also spends about 30 s starting, healing and checking).
   */
  static final Duration DEFAULT_DURATION = Duration.ofSeconds(60);

  private ChaosSuite() {}
}
