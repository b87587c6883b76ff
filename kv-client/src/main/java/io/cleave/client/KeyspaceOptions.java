package io.cleave.client;

import io.cleave.api.v1.Partitioning;
import io.cleave.api.v1.RegisterKeyspaceRequest;
import io.cleave.api.v1.SplitMergePolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * How to create a keyspace, for {@link Admin#registerKeyspace}. Immutable. Anything left unset
 * takes the node's default (listed per setter), so an empty builder makes a HASH keyspace of raw
 * bytes with one shard and three replicas.
 */
public final class KeyspaceOptions {
  /** Every setting at the node's default. */
  public static final KeyspaceOptions DEFAULT = builder().build();

  private final RegisterKeyspaceRequest template;

  private KeyspaceOptions(RegisterKeyspaceRequest template) {
    this.template = template;
  }

  /** A builder with every setting at the node's default. */
  public static Builder builder() {
    return new Builder();
  }

  /** The request registering {@code name} with these options. */
  RegisterKeyspaceRequest toRequest(String name) {
    return template.toBuilder().setName(name).build();
  }

  @Override
  public String toString() {
    return template.toString();
  }

  /** Builds {@link KeyspaceOptions}. */
  public static final class Builder {
    private final RegisterKeyspaceRequest.Builder request = RegisterKeyspaceRequest.newBuilder();
    private final SplitMergePolicy.Builder policy = SplitMergePolicy.newBuilder();
    private final List<Bytes> splitKeys = new ArrayList<>();

    private Builder() {}

    /** The ValuePerKey type name, e.g. "counter". Default "bytes". */
    public Builder valueType(String valueType) {
      request.setValueType(Objects.requireNonNull(valueType));
      return this;
    }

    /** HASH (default: spreads any key pattern) or RANGE (ordered keys, ordered scans). */
    public Builder partitioning(Partitioning partitioning) {
      request.setPartitioning(Objects.requireNonNull(partitioning));
      return this;
    }

    /** Shards to start with. Default 1. */
    public Builder initialShards(int shards) {
      request.setInitialShards(atLeastOne(shards, "initialShards"));
      return this;
    }

    /** Replicas per shard, capped by the live nodes. Default 3. */
    public Builder replicationFactor(int replicas) {
      request.setReplicationFactor(atLeastOne(replicas, "replicationFactor"));
      return this;
    }

    /** The most shards splitting may create. Default: no limit. */
    public Builder maxShards(int maxShards) {
      policy.setMaxShards(atLeastOne(maxShards, "maxShards"));
      return this;
    }

    /** The fewest shards merging may leave. Default: no limit. */
    public Builder minShards(int minShards) {
      policy.setMinShards(atLeastOne(minShards, "minShards"));
      return this;
    }

    /** Split a shard above this many keys. Default: unset. */
    public Builder maxKeysPerShard(long keys) {
      policy.setMaxKeysPerShard(positive(keys, "maxKeysPerShard"));
      return this;
    }

    /** Split a shard above this size (as the value type counts it). Default: unset. */
    public Builder maxSizePerShard(long size) {
      policy.setMaxSizePerShard(positive(size, "maxSizePerShard"));
      return this;
    }

    /** Split a shard above this many load units per second. Default: unset. */
    public Builder maxLoadPerShard(long loadPerSecond) {
      policy.setMaxLoadPerShard(positive(loadPerSecond, "maxLoadPerShard"));
      return this;
    }

    /** Merge neighbours when both, and their sum, are under this ratio of a limit. Default 0.5. */
    public Builder mergeThresholdRatio(double ratio) {
      if (!(ratio > 0 && ratio < 1)) {
        throw new IllegalArgumentException("mergeThresholdRatio must be in (0, 1), got " + ratio);
      }
      policy.setMergeThresholdRatio(ratio);
      return this;
    }

    /** No split or merge of a shard within this long of its last one. Default 30 s. */
    public Builder cooldown(Duration cooldown) {
      policy.setCooldownMillis(Options.positive(cooldown).toMillis());
      return this;
    }

    /**
     * RANGE keyspaces only: the keys where the initial shards after the first start; sets
     * initialShards to {@code splitKeys.size() + 1}.
     */
    public Builder splitKeys(List<Bytes> splitKeys) {
      this.splitKeys.clear();
      this.splitKeys.addAll(splitKeys);
      return this;
    }

    public KeyspaceOptions build() {
      RegisterKeyspaceRequest.Builder copy = request.clone().setPolicy(policy.build());
      if (!splitKeys.isEmpty()) {
        copy.setInitialShards(splitKeys.size() + 1);
        splitKeys.forEach(k -> copy.addSplitKeys(k.toByteString()));
      }
      return new KeyspaceOptions(copy.build());
    }

    private static int atLeastOne(int n, String what) {
      if (n < 1) {
        throw new IllegalArgumentException(what + " must be >= 1, got " + n);
      }
      return n;
    }

    private static long positive(long n, String what) {
      if (n < 1) {
        throw new IllegalArgumentException(what + " must be >= 1, got " + n);
      }
      return n;
    }
  }
}
