package io.cleave.client;

import java.time.Duration;

/** Checks shared by the option builders. */
final class Options {
  private Options() {}

  static Duration positive(Duration duration) {
    if (duration == null || duration.isNegative() || duration.isZero()) {
      throw new IllegalArgumentException("duration must be positive, got " + duration);
    }
    return duration;
  }
}
