package io.cleave.client;

import java.time.Duration;

/** Per-call choices of a write or command. Immutable; build with {@link #builder()}. */
public final class WriteOptions {
  /** The client's default timeout. */
  public static final WriteOptions DEFAULT = builder().build();

  private final Duration timeout;

  private WriteOptions(Builder builder) {
    this.timeout = builder.timeout;
  }

  /** A builder starting from the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The call's total time budget, retries included; null means the client's default. A write still
   * in flight when it ends fails with {@link UnknownOutcomeException}.
   */
  public Duration timeout() {
    return timeout;
  }

  /** Builds {@link WriteOptions}. */
  public static final class Builder {
    private Duration timeout;

    private Builder() {}

    /** The call's total time budget, retries included. */
    public Builder timeout(Duration timeout) {
      this.timeout = Options.positive(timeout);
      return this;
    }

    public WriteOptions build() {
      return new WriteOptions(this);
    }
  }
}
