package io.cleave.placement.internal;

import com.google.protobuf.ByteString;
import io.cleave.api.v1.KeySample;
import io.cleave.api.v1.Partitioning;
import io.cleave.api.v1.ShardDescriptor;
import io.cleave.api.v1.ShardStats;
import io.cleave.placement.PlacementOperation;
import io.cleave.placement.PlacementOperation.HotKeyReport;
import io.cleave.placement.PlacementOperation.Split;
import io.cleave.placement.SplitReason;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Where to cut a shard that passed a limit, or why not to.
 *
 * <p>Too many keys or bytes: cut where half the data should be. For HASH keyspaces hashes spread
 * keys evenly, so that is the middle of the hash range. For RANGE keyspaces the byte-wise middle of
 * two user keys says little about where keys are ("user/…" keys all sit below 0x80), so the median
 * sampled key is used when there are samples.
 *
 * <p>Too much load: cut where the sampled load is halved, so both halves cool down; RaftKV's hash
 * midpoint leaves a hot half hot. When one key carries most of the load no cut helps (the key stays
 * whole on one side), so it is reported instead of split round after round.
 */
public final class SplitPoints {
  private SplitPoints() {}

  /**
   * The split of {@code shard}, a hot-key report, or empty when the range cannot be cut (it holds
   * at most one key, or a single routing key) or the hot key was already reported.
   *
   * @param reportedHotKey the key already reported for this shard, or null
   */
  public static Optional<PlacementOperation> choose(
      ShardDescriptor shard,
      ShardStats stats,
      Partitioning partitioning,
      EffectivePolicy policy,
      double hotKeyShare,
      ByteString reportedHotKey) {
    double ratio = policy.ratio(stats);
    SplitReason reason = policy.dominant(stats);
    boolean cuttable = stats.getKeyCount() > 1; // RaftKV: one key (or none) is never split
    ByteString start = shard.getStart();
    ByteString end = shard.getEnd();
    TreeMap<ByteString, Double> samples = samplesInRange(stats, start, end);
    double total = samples.values().stream().mapToDouble(Double::doubleValue).sum();
    if (reason == SplitReason.LOAD && total > 0) {
      Map.Entry<ByteString, Double> top =
          samples.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow();
      double share = top.getValue() / total;
      boolean oneHotKey = !cuttable || share > hotKeyShare;
      if (oneHotKey && (!cuttable || policy.dataRatio(stats) <= 1)) {
        return top.getKey().equals(reportedHotKey)
            ? Optional.empty()
            : Optional.of(
                new HotKeyReport(
                    shard.getShardId(), top.getKey(), share * stats.getLoadPerSecond(), share));
      }
      if (oneHotKey) {
        // Also over the key or size limit: that split is needed whatever the hot key does.
        reason = policy.dataReason(stats);
      } else {
        Optional<ByteString> cut = loadMedian(samples, start, end, total);
        if (cut.isPresent()) {
          return Optional.of(split(shard, cut.get(), SplitReason.LOAD, ratio));
        }
      }
    }
    if (!cuttable) {
      return Optional.empty();
    }
    SplitReason dataReason = reason;
    return dataMidpoint(partitioning, samples, start, end)
        .map(cut -> split(shard, cut, dataReason, ratio));
  }

  private static Split split(ShardDescriptor shard, ByteString cut, SplitReason r, double ratio) {
    return new Split(shard.getShardId(), shard.getEpoch(), cut, r, ratio);
  }

  /**
   * The sampled key at which the load before it comes closest to half the total. Only keys strictly
   * inside the range qualify: a cut at start would leave the left shard empty.
   */
  static Optional<ByteString> loadMedian(
      TreeMap<ByteString, Double> samples, ByteString start, ByteString end, double total) {
    ByteString best = null;
    double bestGap = Double.POSITIVE_INFINITY;
    double before = 0;
    for (var e : samples.entrySet()) {
      if (RoutingSpace.strictlyInside(e.getKey(), start, end)) {
        double gap = Math.abs(before - total / 2);
        if (gap < bestGap) {
          bestGap = gap;
          best = e.getKey();
        }
      }
      before += e.getValue();
    }
    return Optional.ofNullable(best);
  }

  /** Where half the keys and bytes should be. */
  static Optional<ByteString> dataMidpoint(
      Partitioning partitioning,
      TreeMap<ByteString, Double> samples,
      ByteString start,
      ByteString end) {
    if (partitioning == Partitioning.RANGE) {
      List<ByteString> inside = new ArrayList<>();
      for (ByteString key : samples.keySet()) {
        if (RoutingSpace.strictlyInside(key, start, end)) {
          inside.add(key);
        }
      }
      if (!inside.isEmpty()) {
        return Optional.of(inside.get(inside.size() / 2));
      }
      return RoutingSpace.byteMidpoint(start, end);
    }
    return RoutingSpace.hashMidpoint(start, end);
  }

  /**
   * The samples that fall in the shard, by routing key, loads of a repeated key summed. Samples
   * outside the range (a report that raced a split) would pull the cut outside the shard.
   */
  static TreeMap<ByteString, Double> samplesInRange(
      ShardStats stats, ByteString start, ByteString end) {
    TreeMap<ByteString, Double> byKey = new TreeMap<>(RoutingSpace::compare);
    for (KeySample s : stats.getHotKeysList()) {
      ByteString key = s.getRoutingKey();
      boolean inRange =
          RoutingSpace.compare(key, start) >= 0
              && (end.isEmpty() || RoutingSpace.compare(key, end) < 0);
      if (inRange && s.getLoad() > 0) {
        byKey.merge(key, s.getLoad(), Double::sum);
      }
    }
    return byKey;
  }
}
