package io.cleave.placement;

import io.cleave.api.v1.KeyspaceDescriptor;
import io.cleave.api.v1.ShardDescriptor;
import io.cleave.api.v1.ShardStats;
import io.cleave.placement.PlacementOperation.Merge;
import io.cleave.placement.internal.EffectivePolicy;
import io.cleave.placement.internal.RoutingSpace;
import io.cleave.placement.internal.SplitPoints;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Decides which shards to split and which adjacent pairs to merge: RaftKV's split/merge policy (see
 * {@code docs/design/0004-placement-policy.md}) with load-aware split points.
 *
 * <p>Pure: the same view, settings and time give the same operations, with no I/O, clock or
 * randomness, so it is tested with tables and a simulated cluster instead of a real one. Cost is
 * O(n log n) in the number of shards per call (one sort by keyspace and start key).
 *
 * <p>Rules, per keyspace with at least one limit set:
 *
 * <ul>
 *   <li>ratio of a shard = the largest of keys/max_keys, size/max_size, load/max_load over the
 *       limits that are set;
 *   <li>split a shard when its ratio is over 1, it holds more than one key, and the keyspace's
 *       shard count plus the splits in flight or decided this round is under max_shards;
 *   <li>merge adjacent shards when each, and their sum, has a ratio under merge_threshold_ratio and
 *       the shard count minus merges in flight or decided is over min_shards;
 *   <li>a shard split or merged within its keyspace's cooldown, a shard in an operation in flight,
 *       and a shard without stats are left alone; a shard is in at most one operation;
 *   <li>at most {@link PlacementSettings#maxConcurrentOperations()} splits and merges run at once,
 *       counting those in flight; splits go first, hottest first, then merges, coldest first.
 * </ul>
 *
 * <p>No flapping: a split shard had a ratio over 1, so its halves sum to more than 1 and cannot
 * merge back; a merged pair summed under the merge ratio (at most 1), so it cannot split again,
 * until the workload itself moves.
 */
public final class SplitMergeDecider {
  private static final Comparator<ShardDescriptor> BY_START =
      (a, b) -> RoutingSpace.compare(a.getStart(), b.getStart());

  private SplitMergeDecider() {}

  /**
   * The operations to start now, in priority order: splits and merges (within the concurrency limit
   * left over by {@code view.inFlight()}) and hot-key reports (which take no slot).
   */
  public static List<PlacementOperation> decide(
      ClusterView view, PlacementSettings settings, long nowMillis) {
    Round round = new Round(view, settings);
    List<SplitCandidate> splits = new ArrayList<>();
    List<MergeCandidate> merges = new ArrayList<>();
    for (var entry : shardsByKeyspace(view).entrySet()) {
      KeyspaceDescriptor keyspace = round.keyspaces.get(entry.getKey());
      if (keyspace == null || keyspace.getDeleting()) {
        continue;
      }
      EffectivePolicy policy = EffectivePolicy.of(keyspace.getPolicy());
      if (policy.hasLimits()) {
        round.findCandidates(keyspace, policy, entry.getValue(), nowMillis, splits, merges);
      }
    }
    // Stable sorts over a deterministic scan order (keyspace id, then start key) keep ties
    // deterministic.
    splits.sort(Comparator.comparingDouble(SplitCandidate::ratio).reversed());
    merges.sort(Comparator.comparingDouble(MergeCandidate::ratio));
    List<PlacementOperation> out = new ArrayList<>();
    for (SplitCandidate c : splits) {
      round.trySplit(c, out);
    }
    for (MergeCandidate c : merges) {
      round.tryMerge(c, out);
    }
    return List.copyOf(out);
  }

  /** Shards grouped by keyspace id (ascending) and sorted by start key within each. */
  private static TreeMap<Integer, List<ShardDescriptor>> shardsByKeyspace(ClusterView view) {
    TreeMap<Integer, List<ShardDescriptor>> byKeyspace = new TreeMap<>();
    for (ShardDescriptor s : view.shards()) {
      byKeyspace.computeIfAbsent(s.getKeyspaceId(), k -> new ArrayList<>()).add(s);
    }
    // TimSort: a cluster map already kept in key order (as the meta shard stores it) sorts in O(n).
    byKeyspace.values().forEach(list -> list.sort(BY_START));
    return byKeyspace;
  }

  private record SplitCandidate(
      KeyspaceDescriptor keyspace,
      EffectivePolicy policy,
      ShardDescriptor shard,
      ShardStats stats,
      double ratio) {}

  private record MergeCandidate(
      KeyspaceDescriptor keyspace,
      EffectivePolicy policy,
      ShardDescriptor left,
      ShardDescriptor right,
      double ratio) {}

  /** The bookkeeping of one call: what is busy, how many slots are left, counts per keyspace. */
  private static final class Round {
    private final ClusterView view;
    private final PlacementSettings settings;
    private final Map<Integer, KeyspaceDescriptor> keyspaces = new HashMap<>();
    private final Set<Long> busy = new HashSet<>();
    private final Map<Integer, Integer> shardCount = new HashMap<>();
    // Splits and merges in flight or decided this round, per keyspace: the shard counts they will
    // produce are what max_shards and min_shards bound.
    private final Map<Integer, Integer> pendingSplits = new HashMap<>();
    private final Map<Integer, Integer> pendingMerges = new HashMap<>();
    private int slots;

    Round(ClusterView view, PlacementSettings settings) {
      this.view = view;
      this.settings = settings;
      for (KeyspaceDescriptor k : view.keyspaces()) {
        keyspaces.put(k.getId(), k);
      }
      int running = 0;
      for (PlacementOperation op : view.inFlight()) {
        if (op.changesShards()) {
          running++;
          busy.addAll(op.shardIds());
        }
      }
      // One pass over the shards; only the few busy ones need their keyspace remembered.
      Map<Long, Integer> keyspaceOfBusy = new HashMap<>();
      for (ShardDescriptor s : view.shards()) {
        shardCount.merge(s.getKeyspaceId(), 1, Integer::sum);
        if (busy.contains(s.getShardId())) {
          keyspaceOfBusy.put(s.getShardId(), s.getKeyspaceId());
        }
      }
      for (PlacementOperation op : view.inFlight()) {
        Integer keyspace = keyspaceOfBusy.get(op.shardIds().get(0));
        if (op.changesShards() && keyspace != null) {
          (op instanceof Merge ? pendingMerges : pendingSplits).merge(keyspace, 1, Integer::sum);
        }
      }
      slots = Math.max(0, settings.maxConcurrentOperations() - running);
    }

    void findCandidates(
        KeyspaceDescriptor keyspace,
        EffectivePolicy policy,
        List<ShardDescriptor> shards,
        long nowMillis,
        List<SplitCandidate> splits,
        List<MergeCandidate> merges) {
      ShardDescriptor prev = null;
      ShardStats prevStats = null;
      double prevRatio = 0;
      for (ShardDescriptor shard : shards) {
        ShardStats stats = eligibleStats(shard, policy, nowMillis);
        double ratio = stats == null ? 0 : policy.ratio(stats);
        // Shards of one key are candidates too, but only ever for a hot-key report.
        if (stats != null && ratio > 1) {
          splits.add(new SplitCandidate(keyspace, policy, shard, stats, ratio));
        }
        // Cheap ratio tests first: most neighbours are too warm to merge.
        if (stats != null
            && prevStats != null
            && ratio < policy.mergeRatio()
            && prevRatio < policy.mergeRatio()
            && !prev.getEnd().isEmpty()
            && prev.getEnd().equals(shard.getStart())) {
          double merged = policy.mergedRatio(prevStats, stats);
          if (merged < policy.mergeRatio()) {
            merges.add(new MergeCandidate(keyspace, policy, prev, shard, merged));
          }
        }
        prev = shard;
        prevStats = stats;
        prevRatio = ratio;
      }
    }

    /** The shard's stats if it may take part in an operation now, else null. */
    private ShardStats eligibleStats(ShardDescriptor shard, EffectivePolicy policy, long now) {
      if (busy.contains(shard.getShardId())) {
        return null;
      }
      Long last = view.lastChangeMillis().get(shard.getShardId());
      if (last != null && now - last < policy.cooldownMillis()) {
        return null;
      }
      return view.stats().get(shard.getShardId());
    }

    void trySplit(SplitCandidate c, List<PlacementOperation> out) {
      long shardId = c.shard().getShardId();
      int keyspace = c.keyspace().getId();
      long after = (long) count(shardCount, keyspace) + count(pendingSplits, keyspace);
      boolean canSplit = slots > 0 && after < c.policy().maxShards();
      // Only a load-dominated shard can yield a hot-key report; skip choosing a cut for the rest
      // when no split can start, or a backlog of hot shards costs a cut each every round.
      if (busy.contains(shardId)
          || (!canSplit && c.policy().dominant(c.stats()) != SplitReason.LOAD)) {
        return;
      }
      Optional<PlacementOperation> op =
          SplitPoints.choose(
              c.shard(),
              c.stats(),
              c.keyspace().getPartitioning(),
              c.policy(),
              settings.hotKeyShare(),
              view.reportedHotKeys().get(shardId));
      if (op.isPresent() && !op.get().changesShards()) {
        // A report needs no slot and no room under max_shards: nothing changes.
        out.add(op.get());
      } else if (op.isPresent() && canSplit) {
        take(op.get(), pendingSplits, keyspace, out);
      }
    }

    void tryMerge(MergeCandidate c, List<PlacementOperation> out) {
      long left = c.left().getShardId();
      long right = c.right().getShardId();
      int keyspace = c.keyspace().getId();
      long after = (long) count(shardCount, keyspace) - count(pendingMerges, keyspace);
      if (slots == 0 || busy.contains(left) || busy.contains(right)) {
        return;
      }
      if (after <= c.policy().minShards()) {
        return;
      }
      Merge merge = new Merge(left, c.left().getEpoch(), right, c.right().getEpoch(), c.ratio());
      take(merge, pendingMerges, keyspace, out);
    }

    private void take(
        PlacementOperation op,
        Map<Integer, Integer> pending,
        int keyspace,
        List<PlacementOperation> out) {
      out.add(op);
      busy.addAll(op.shardIds());
      pending.merge(keyspace, 1, Integer::sum);
      slots--;
    }

    private static int count(Map<Integer, Integer> counts, int keyspace) {
      return counts.getOrDefault(keyspace, 0);
    }
  }
}
