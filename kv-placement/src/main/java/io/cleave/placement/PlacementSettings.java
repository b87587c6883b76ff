package io.cleave.placement;

/**
 * Cluster-wide knobs of the placement policy; per-keyspace limits come from each keyspace's {@code
 * SplitMergePolicy}. Immutable; build with {@link #builder()}.
 *
 * @param maxConcurrentOperations most splits and merges running at once, counting those already in
 *     flight: each one copies data and creates or removes a Raft group, so an unbounded burst would
 *     starve client traffic
 * @param hotKeyShare above this fraction of a shard's sampled load in one key, a load split is
 *     useless (the key stays whole on one side) and the key is reported instead
 */
public record PlacementSettings(int maxConcurrentOperations, double hotKeyShare) {
  /** Default {@link #maxConcurrentOperations()}. */
  public static final int DEFAULT_MAX_CONCURRENT_OPERATIONS = 8;

  /** Default {@link #hotKeyShare()}. */
  public static final double DEFAULT_HOT_KEY_SHARE = 0.8;

  /** Validates the settings. */
  public PlacementSettings {
    if (maxConcurrentOperations < 1) {
      throw new IllegalArgumentException(
          "maxConcurrentOperations must be >= 1, was " + maxConcurrentOperations);
    }
    if (!(hotKeyShare > 0.5 && hotKeyShare <= 1.0)) {
      // At or below one half, two keys could both count as "most of the load".
      throw new IllegalArgumentException("hotKeyShare must be in (0.5, 1], was " + hotKeyShare);
    }
  }

  /** The defaults. */
  public static PlacementSettings defaults() {
    return builder().build();
  }

  /** A builder starting from the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** Builds {@link PlacementSettings}. */
  public static final class Builder {
    private int maxConcurrentOperations = DEFAULT_MAX_CONCURRENT_OPERATIONS;
    private double hotKeyShare = DEFAULT_HOT_KEY_SHARE;

    private Builder() {}

    /** See {@link PlacementSettings#maxConcurrentOperations()}. */
    public Builder maxConcurrentOperations(int value) {
      this.maxConcurrentOperations = value;
      return this;
    }

    /** See {@link PlacementSettings#hotKeyShare()}. */
    public Builder hotKeyShare(double value) {
      this.hotKeyShare = value;
      return this;
    }

    /** The settings; throws {@link IllegalArgumentException} when a value is out of range. */
    public PlacementSettings build() {
      return new PlacementSettings(maxConcurrentOperations, hotKeyShare);
    }
  }
}
