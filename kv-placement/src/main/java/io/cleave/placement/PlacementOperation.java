package io.cleave.placement;

import com.google.protobuf.ByteString;
import java.util.List;

/**
 * What the placement policy asks the controller to do. Splits and merges change shards and take a
 * slot of {@link PlacementSettings#maxConcurrentOperations()} until the controller reports them
 * done; hot-key reports change nothing and take no slot.
 *
 * <p>Every shard-changing operation names the epochs it was decided against, so the controller can
 * refuse to apply it to a shard that changed in between (the same check a client's request gets).
 */
public sealed interface PlacementOperation {

  /** The shards this operation works on; a shard is in at most one operation at a time. */
  List<Long> shardIds();

  /** Whether this operation changes shards (and so occupies them and a concurrency slot). */
  default boolean changesShards() {
    return true;
  }

  /**
   * Cut shard {@code shardId} at {@code splitAt}: it keeps {@code [start, splitAt)} and a new shard
   * takes {@code [splitAt, end)}. {@code splitAt} lies strictly inside the shard's range.
   *
   * @param ratio the shard's ratio when decided (largest value/limit over the set limits)
   */
  record Split(
      long shardId, long expectedEpoch, ByteString splitAt, SplitReason reason, double ratio)
      implements PlacementOperation {
    @Override
    public List<Long> shardIds() {
      return List.of(shardId);
    }
  }

  /**
   * Merge the adjacent shards {@code left} and {@code right} (left's end is right's start) into
   * left, which then owns both ranges.
   *
   * @param mergedRatio the ratio of the two shards' summed stats when decided
   */
  record Merge(
      long leftShardId, long leftEpoch, long rightShardId, long rightEpoch, double mergedRatio)
      implements PlacementOperation {
    @Override
    public List<Long> shardIds() {
      return List.of(leftShardId, rightShardId);
    }
  }

  /**
   * A shard over its load limit whose load is mostly one key: splitting cannot cool it, because the
   * key stays whole on one side. Reported once per shard and key (the controller records it in
   * {@link ClusterView#reportedHotKeys()}) so operators see it, instead of a split every round.
   *
   * @param load estimated load per second of the key: its share of the sampled load times the
   *     shard's load
   * @param share the key's fraction of the shard's sampled load
   */
  record HotKeyReport(long shardId, ByteString routingKey, double load, double share)
      implements PlacementOperation {
    @Override
    public List<Long> shardIds() {
      return List.of(shardId);
    }

    @Override
    public boolean changesShards() {
      return false;
    }
  }
}
