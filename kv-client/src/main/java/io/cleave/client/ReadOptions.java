package io.cleave.client;

import java.time.Duration;
import java.util.Objects;

/** Per-call choices of a read or query. Immutable; build with {@link #builder()}. */
public final class ReadOptions {
  /** Linearizable, with the client's default timeout. */
  public static final ReadOptions DEFAULT = builder().build();

  private final Consistency consistency;
  private final Duration timeout;

  private ReadOptions(Builder builder) {
    this.consistency = builder.consistency;
    this.timeout = builder.timeout;
  }

  /** A builder starting from the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  public Consistency consistency() {
    return consistency;
  }

  /** The call's total time budget, retries included; null means the client's default. */
  public Duration timeout() {
    return timeout;
  }

  /** Builds {@link ReadOptions}. */
  public static final class Builder {
    private Consistency consistency = Consistency.LINEARIZABLE;
    private Duration timeout;

    private Builder() {}

    /** LINEARIZABLE (the default) or STALE. */
    public Builder consistency(Consistency consistency) {
      this.consistency = Objects.requireNonNull(consistency);
      return this;
    }

    /** The call's total time budget, retries included. */
    public Builder timeout(Duration timeout) {
      this.timeout = Options.positive(timeout);
      return this;
    }

    public ReadOptions build() {
      return new ReadOptions(this);
    }
  }
}
