package io.cleave.server.node;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Each follower's applied index over time, as heartbeats report it: tells a follower that catches
 * up (its index moves) from one that lags (behind its leader and not moving for {@link
 * #LAGGING_AFTER_MILLIS}: no candidate to take over leadership) and one that is stuck (not moving
 * for {@link #STUCK_AFTER_MILLIS}: its leader no longer sends it entries, see {@code
 * PlacementLoop.unstickFollowers}).
 */
final class FollowerProgress {
  static final long LAGGING_AFTER_MILLIS = 3_000;
  static final long STUCK_AFTER_MILLIS = 15_000;

  /**
   * How far a healthy follower's applied index may stay behind its leader's while the shard is
   * idle. A leader's newest entries (its own metadata entry after a commit among them) can reach a
   * follower's applied index only with later traffic: CI saw an idle meta shard's two followers at
   * 10 for good while the leader was at 12, and the remedy made the leader step down for nothing,
   * under a test's first request.
   */
  static final long MAX_IDLE_GAP = 2;

  /**
   * What one round found.
   *
   * @param lagging {@code shard/node} keys of lagging followers
   * @param stuck shard id to the nodes whose replica of it is stuck
   */
  record Round(Set<String> lagging, Map<Long, Set<String>> stuck) {}

  /** Per {@code shard/node}: the applied index last reported and when it last changed. */
  private final Map<String, long[]> seen = new ConcurrentHashMap<>();

  /**
   * Takes one round of reports.
   *
   * @param applied shard id to node id to that replica's applied index, from fresh heartbeats only:
   *     a replica missing here is on a node that is down
   * @param leaders shard id to the node that reports leading it
   */
  Round update(Map<Long, Map<String, Long>> applied, Map<Long, String> leaders, long now) {
    // Forget replicas without a fresh report. A node that comes back reports the index it stopped
    // at; that must count as news, not as an index unmoved since before the outage (which judged
    // every follower back from an outage of 15 s stuck at once, and moved its shard's leadership
    // for nothing: on the meta shard, admin calls in flight got no answer).
    seen.keySet().removeIf(k -> !applied.getOrDefault(shardOf(k), Map.of()).containsKey(nodeOf(k)));
    Set<String> lagging = new HashSet<>();
    Map<Long, Set<String>> stuck = new HashMap<>();
    for (var shard : applied.entrySet()) {
      long shardId = shard.getKey();
      Map<String, Long> byNode = shard.getValue();
      String leader = leaders.get(shardId);
      Long leaderApplied = leader == null ? null : byNode.get(leader);
      for (var e : byNode.entrySet()) {
        String key = key(shardId, e.getKey());
        long index = e.getValue();
        long[] last = seen.get(key);
        if (last == null || last[0] != index) {
          seen.put(key, new long[] {index, now});
        } else if (leaderApplied != null
            && !e.getKey().equals(leader)
            && leaderApplied > index + MAX_IDLE_GAP) {
          if (now - last[1] >= LAGGING_AFTER_MILLIS) {
            lagging.add(key);
          }
          if (now - last[1] >= STUCK_AFTER_MILLIS) {
            stuck.computeIfAbsent(shardId, k -> new HashSet<>()).add(e.getKey());
          }
        }
      }
    }
    return new Round(lagging, stuck);
  }

  /** Starts the clock again for followers whose replication was just restarted. */
  void restarted(long shardId, Set<String> nodes, long now) {
    nodes.forEach(n -> seen.put(key(shardId, n), new long[] {-1, now}));
  }

  /** The {@code shard/node} key of a replica, as {@link Round#lagging} holds them. */
  static String key(long shardId, String nodeId) {
    return shardId + "/" + nodeId;
  }

  private static long shardOf(String key) {
    return Long.parseLong(key.substring(0, key.indexOf('/')));
  }

  private static String nodeOf(String key) {
    return key.substring(key.indexOf('/') + 1);
  }
}
