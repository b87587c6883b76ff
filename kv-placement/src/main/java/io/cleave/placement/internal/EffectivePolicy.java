package io.cleave.placement.internal;

import io.cleave.api.v1.ShardStats;
import io.cleave.api.v1.SplitMergePolicy;
import io.cleave.placement.SplitReason;

/**
 * A keyspace's {@link SplitMergePolicy} with its zeros replaced by what they mean, and the ratio
 * arithmetic RaftKV defines on it.
 *
 * @param maxShards no split once the keyspace has this many shards; unset (0) means no cap
 * @param minShards no merge once the keyspace is down to this many shards; at least 1
 * @param maxKeys split limit on keys per shard, 0 when unset
 * @param maxSize split limit on size per shard, 0 when unset
 * @param maxLoad split limit on load per second per shard, 0 when unset
 * @param mergeRatio merge when both shards and their sum are under this fraction of every limit
 * @param cooldownMillis no split or merge of a shard within this long of its last one
 */
public record EffectivePolicy(
    long maxShards,
    long minShards,
    double maxKeys,
    double maxSize,
    double maxLoad,
    double mergeRatio,
    long cooldownMillis) {
  /** Merge threshold when the policy leaves it 0, as in RaftKV. */
  public static final double DEFAULT_MERGE_RATIO = 0.5;

  /** Cooldown when the policy leaves it 0. */
  public static final long DEFAULT_COOLDOWN_MILLIS = 30_000;

  /** Reads a policy, applying the defaults its comments promise. */
  public static EffectivePolicy of(SplitMergePolicy p) {
    double merge = p.getMergeThresholdRatio();
    if (!(merge > 0)) {
      merge = DEFAULT_MERGE_RATIO;
    }
    // Above 1 a merged pair could be over a limit and split again at once: the flapping the
    // threshold exists to prevent. At most 1, a merged pair is under every limit, and the two
    // halves
    // of a split sum to more than 1, so in a steady workload neither undoes the other.
    merge = Math.min(merge, 1.0);
    return new EffectivePolicy(
        p.getMaxShards() == 0 ? Long.MAX_VALUE : Integer.toUnsignedLong(p.getMaxShards()),
        Math.max(1, Integer.toUnsignedLong(p.getMinShards())),
        unsigned(p.getMaxKeysPerShard()),
        unsigned(p.getMaxSizePerShard()),
        unsigned(p.getMaxLoadPerShard()),
        merge,
        p.getCooldownMillis() == 0 ? DEFAULT_COOLDOWN_MILLIS : p.getCooldownMillis());
  }

  /** Whether any limit is set; without one the keyspace is never split or merged. */
  public boolean hasLimits() {
    return maxKeys > 0 || maxSize > 0 || maxLoad > 0;
  }

  /** The ratio of one shard's stats. */
  public double ratio(ShardStats s) {
    return ratio(unsigned(s.getKeyCount()), unsigned(s.getSize()), s.getLoadPerSecond());
  }

  /** The ratio of two shards' summed stats: what the merged shard would carry. */
  public double mergedRatio(ShardStats a, ShardStats b) {
    return ratio(
        unsigned(a.getKeyCount()) + unsigned(b.getKeyCount()),
        unsigned(a.getSize()) + unsigned(b.getSize()),
        a.getLoadPerSecond() + b.getLoadPerSecond());
  }

  /** Largest of value/limit over the limits that are set; 0 when none is. */
  public double ratio(double keys, double size, double load) {
    return Math.max(part(keys, maxKeys), Math.max(part(size, maxSize), part(load, maxLoad)));
  }

  /** The limit with the largest ratio, which decides how the shard is cut. */
  public SplitReason dominant(ShardStats s) {
    return part(s.getLoadPerSecond(), maxLoad) >= dataRatio(s) ? SplitReason.LOAD : dataReason(s);
  }

  /** Of the key and size limits, the one with the larger ratio. */
  public SplitReason dataReason(ShardStats s) {
    return keysRatio(s) >= sizeRatio(s) ? SplitReason.KEYS : SplitReason.SIZE;
  }

  /** The larger of the key and size ratios: whether a shard needs a split whatever its load. */
  public double dataRatio(ShardStats s) {
    return Math.max(keysRatio(s), sizeRatio(s));
  }

  private double keysRatio(ShardStats s) {
    return part(unsigned(s.getKeyCount()), maxKeys);
  }

  private double sizeRatio(ShardStats s) {
    return part(unsigned(s.getSize()), maxSize);
  }

  private static double part(double value, double limit) {
    return limit > 0 ? value / limit : 0;
  }

  /** A proto uint64 (carried in a signed long) as a double. */
  static double unsigned(long v) {
    return v >= 0 ? v : (double) (v >>> 1) * 2.0;
  }
}
